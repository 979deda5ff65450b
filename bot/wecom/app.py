"""The WeCom channel's composition root: the API client, the callback handler, the sender."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bot.wecom.api import WeComClient, WeComError
from bot.wecom.callback import Doorbell
from bot.wecom.context import Services
from bot.wecom.conversation import COMMAND_WORDS, handle
from bot.wecom.inbound import InboundWorker
from bot.wecom.pace import Limits, Pace
from bot.wecom.sender import WeComSender
from issuance.chat.signing_step import SigningStep, default_step
from issuance.core.catalog import t
from issuance.core.settings import Settings
from issuance.store import Store

log = logging.getLogger(__name__)


def menu(locale: str = "zh") -> list[dict[str, Any]]:
    """The app's menu: its clicks arrive as the same words a member may type."""

    def click(command: str) -> dict[str, Any]:
        word = t(f"wecom.menu.{command}", locale)
        return {"type": "click", "name": word, "key": COMMAND_WORDS[command]}

    return [
        click("pending"),
        click("stamp"),
        {
            "name": t("wecom.menu.more", locale),
            "sub_button": [click("verify"), click("upload"), click("help")],
        },
    ]


async def set_menu(client: WeComClient) -> None:
    """Register the app's menu; failing here is not fatal (the words can be typed)."""
    try:
        await client.create_menu(menu())
    except WeComError as error:
        log.warning("wecom: could not set the app menu (%s); carrying on", error)


def client_for(settings: Settings, limits: Limits | None = None) -> WeComClient:
    return WeComClient(
        settings.wecom_api_url,
        settings.wecom_corp_id,
        str(settings.wecom_secret),
        settings.wecom_agent_id,
        Pace(limits),
    )


@asynccontextmanager
async def running(
    settings: Settings,
    store: Store,
    signing: SigningStep | None = None,
    limits: Limits | None = None,
    doorbell: Doorbell | None = None,
) -> AsyncIterator[Services]:
    """Stored callbacks handled and answered until the block ends; `doorbell` is rung by the
    callback route of the same process (without one, stored callbacks are found by polling)."""
    client = client_for(settings, limits)
    await set_menu(client)
    services = Services(settings, store, client, signing or default_step())
    stop = asyncio.Event()
    inbound = InboundWorker(services, handle, doorbell or Doorbell())
    sender = WeComSender(client, services.issuance)
    tasks = [
        asyncio.create_task(inbound.run(stop), name="wecom-inbound"),
        asyncio.create_task(sender.run(stop), name="wecom-sender"),
    ]
    try:
        yield services
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        await client.close()
