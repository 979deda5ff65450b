"""The typed context every handler gets: the store, settings and core services, no grab-bags."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.telegram.pace import Pace
from issuance.chat.session import Session
from issuance.chat.signing_step import SigningStep
from issuance.core.catalog import locale_for, t
from issuance.core.people import Channel
from issuance.core.ratelimit import RateLimiter
from issuance.core.settings import Settings
from issuance.store import Store

CHANNEL = Channel.TELEGRAM
# 证书查验 look-ups per chat: at most 5 a minute, so numbers cannot be guessed by brute force.
VERIFY_PER_MINUTE = 5


@dataclass
class Services:
    """What the bot works with; built with the Application, store opened by post_init."""

    settings: Settings | None = None
    store: Store | None = None
    owns_store: bool = False
    signing: SigningStep | None = None
    pace: Pace | None = None
    verify_limiter: RateLimiter = field(
        default_factory=lambda: RateLimiter(VERIFY_PER_MINUTE, burst=VERIFY_PER_MINUTE)
    )


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], Services]):
    """CallbackContext with typed access to the store, the settings and the core."""

    @property
    def services(self) -> Services:
        return self.bot_data

    @property
    def store(self) -> Store:
        assert self.bot_data.store is not None, "the store opens in post_init"
        return self.bot_data.store

    @property
    def settings(self) -> Settings:
        assert self.bot_data.settings is not None
        return self.bot_data.settings

    def session(self, update: Update) -> Session:
        """The Telegram account behind this update, as the desks see it."""
        user = update.effective_user
        assert user is not None
        return Session(
            self.store,
            self.settings,
            CHANNEL,
            str(user.id),
            "bot",
            self.services.verify_limiter,
            self.services.signing,
        )


BotApp = Application[ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], Services, Any]


def locale_of(update: Update) -> str:
    """The catalog locale for the user's Telegram language."""
    user = update.effective_user
    return locale_for(user.language_code if user else None)


def text(update: Update, key: str, **params: Any) -> str:
    """Catalog text in the user's language."""
    return t(key, locale_of(update), **params)
