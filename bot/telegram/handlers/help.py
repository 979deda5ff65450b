"""/help: what this person can do here, by role."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.telegram.context import BotContext, text
from issuance.core.people import Role
from issuance.graduation.chains import DEPARTMENT_ROLES, SCHOOL_ROLES

TOPICS: dict[str, str] = {
    Role.HEAD: "head",
    Role.STAFF: "staff",
    Role.SIGNER: "evaluator",
    **dict.fromkeys((*SCHOOL_ROLES, *DEPARTMENT_ROLES), "graduation"),
}


async def help_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    person = await context.actor(update)
    topic = TOPICS.get(person.role, "guest") if person else "guest"
    await message.reply_text(text(update, f"bot.help.{topic}"))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("help", help_command))
