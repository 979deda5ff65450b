"""The bot's composition root: one Application, its typed context, its ordered features."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from types import ModuleType
from typing import Any

from telegram import BotCommand, BotCommandScopeDefault, Update
from telegram.error import NetworkError, TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.telegram.context import BotApp, BotContext, Services
from bot.telegram.handlers import (
    admin,
    broadcast,
    completion,
    confirm,
    declare,
    download,
    errors,
    fallback,
    gradchat,
    graduation,
    handout,
    help,
    lists,
    outputs,
    pending,
    refuse,
    review,
    stamp,
    start,
    stock,
    upload,
    verify,
)
from bot.telegram.pace import Limits, Pace, PacedLimiter
from bot.telegram.sender import OutboxSender
from issuance.chat.signing_step import SigningStep, default_step
from issuance.core.catalog import t
from issuance.core.settings import Settings
from issuance.store import Store
from issuance.store.opening import open_store
from issuance.telemetry import REQUEST_ID
from issuance.xcert.service import Issuance

log = logging.getLogger(__name__)

# Order matters: specific features first, the catch-alls (awaited text, stale buttons) last.
FEATURES: tuple[ModuleType, ...] = (
    start,
    help,
    pending,
    confirm,
    refuse,
    review,
    graduation,
    outputs,
    gradchat,
    handout,
    download,
    broadcast,
    lists,
    completion,
    stamp,
    verify,
    upload,
    admin,
    stock,
    declare,
    fallback,
    errors,
)
COMMANDS = (
    "start",
    "pending",
    "handout",
    "stamp",
    "verify",
    "import",
    "broadcast",
    "lists",
    "print",
    "roster",
    "stats",
    "export",
    "help",
)


def build_application(
    settings: Settings,
    store: Store | None = None,
    signing: SigningStep | None = None,
    limits: Limits | None = None,
    webhook: bool = False,
) -> BotApp:
    """The Application; the store opens in post_init (unless given) and closes in post_shutdown."""
    pace = Pace(limits or Limits())

    async def post_init(app: Application) -> None:  # type: ignore[type-arg]
        services: Services = app.bot_data
        services.settings = settings
        services.owns_store = store is None
        services.store = store or await open_store(settings)
        services.signing = signing or default_step()
        services.pace = pace
        await set_commands(app)

    async def post_shutdown(app: Application) -> None:  # type: ignore[type-arg]
        services: Services = app.bot_data
        if services.owns_store and services.store is not None:
            await services.store.close()
        services.store = None

    builder = (
        ApplicationBuilder()
        .token(settings.telegram_token)
        .base_url(settings.bot_base_url)
        .base_file_url(settings.bot_base_file_url)
        .context_types(ContextTypes(context=BotContext, bot_data=Services))
        .rate_limiter(PacedLimiter(pace))
        .concurrent_updates(True)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if webhook:
        builder = builder.updater(None)
    app: BotApp = builder.build()  # type: ignore[assignment]
    # Before every feature, in a group of its own (one handler runs per group): the update's id
    # tags each log line written while handling it.
    app.add_handler(TypeHandler(Update, _tag_update), group=TAG_GROUP)
    for feature in FEATURES:
        feature.register(app)
    return app


TAG_GROUP = -1000


async def _tag_update(update: Update, context: BotContext) -> None:
    """The update's log tag (`request` in JSON log lines), set for the task handling it."""
    REQUEST_ID.set(f"tg-{update.update_id}")


async def set_commands(app: Application) -> None:  # type: ignore[type-arg]
    """Register the command menu (Chinese, plus English); failing here is not fatal."""
    for locale, language in (("zh", ""), ("en", "en")):
        commands = [BotCommand(c, t(f"bot.command.{c}", locale)) for c in COMMANDS]
        try:
            await app.bot.set_my_commands(commands, BotCommandScopeDefault(), language)
        except (TelegramError, OSError) as error:
            log.warning("bot: could not register the command menu (%s); carrying on", error)


@asynccontextmanager
async def running(
    settings: Settings,
    store: Store,
    signing: SigningStep | None = None,
    limits: Limits | None = None,
    webhook: bool = False,
    shutdown: asyncio.Event | None = None,
) -> AsyncIterator[BotApp]:
    """The bot receiving updates (long polling unless `webhook`) and the outbox sender running.

    While Telegram is unreachable it keeps trying; `shutdown` set meanwhile raises NotStarted.
    """
    app = build_application(settings, store, signing, limits, webhook)
    stop = asyncio.Event()
    await _initialize(app, shutdown or asyncio.Event())
    try:
        assert app.post_init is not None and app.post_shutdown is not None
        await app.post_init(app)  # run_polling would call it; we run the parts ourselves
        sender = OutboxSender(app.bot, Issuance(store, settings))
        if app.updater is not None:
            await app.updater.start_polling(poll_interval=0, drop_pending_updates=False)
        await app.start()
        sending = asyncio.create_task(sender.run(stop), name="outbox-sender")
        try:
            yield app
        finally:
            stop.set()
            await sending
            if app.updater is not None and app.updater.running:
                await app.updater.stop()
            await app.stop()
    finally:
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


class NotStarted(Exception):
    """Shutdown was asked for before Telegram could be reached."""


async def _initialize(app: BotApp, shutdown: asyncio.Event) -> None:
    """Reach Telegram (getMe); while it is unreachable, keep trying until `shutdown` is set."""
    delay = 1.0
    while True:
        try:
            await _unless(shutdown, app.initialize())
            return
        except NetworkError as error:
            log.warning("bot: Telegram unreachable (%s); trying again in %.0fs", error, delay)
            await _unless(shutdown, asyncio.sleep(delay))
            delay = min(delay * 2, 30.0)


async def _unless(shutdown: asyncio.Event, step: Coroutine[Any, Any, None]) -> None:
    """Await `step`, or cancel it and raise NotStarted as soon as `shutdown` is set."""
    # In mainland China Telegram is usually unreachable: SIGTERM must not wait for it.
    task = asyncio.ensure_future(step)
    waiter = asyncio.ensure_future(shutdown.wait())
    try:
        await asyncio.wait((task, waiter), return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    if task.done():
        task.result()
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, TelegramError, OSError):
        await task
    raise NotStarted
