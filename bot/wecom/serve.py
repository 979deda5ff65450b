"""Serve the WeCom channel inside the shared event loop (when it is configured)."""

from __future__ import annotations

import asyncio
import logging

from bot.wecom.app import running
from bot.wecom.callback import Doorbell
from issuance.core.settings import Settings
from issuance.store import Store

log = logging.getLogger(__name__)


async def serve(
    settings: Settings, store: Store, stop: asyncio.Event, doorbell: Doorbell | None = None
) -> None:
    """Handle callbacks and send until `stop` is set; without settings, do nothing. `doorbell`
    comes from the process's composition root when the web part runs here too."""
    if not settings.wecom_enabled:
        log.info("企业微信：未配置（[wecom] 为空），不启用 · wecom: not configured, off")
        return
    async with running(settings, store, doorbell=doorbell):
        log.info(
            "企业微信：已启动（应用 %s，接口 %s） · wecom: running",
            settings.wecom_agent_id,
            settings.wecom_api_url,
        )
        await stop.wait()
