"""The WeCom channel's composition root: the API client, the callback handler, the sender."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from channels.telegram.signing_step import SigningStep, default_step
from channels.wecom.api import WeComClient
from channels.wecom.callback import DOORBELL, Doorbell
from channels.wecom.context import Services
from channels.wecom.conversation import handle
from channels.wecom.inbound import InboundWorker
from channels.wecom.pace import Limits, Pace
from issuance.core.settings import Settings
from issuance.store import Store


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
    doorbell: Doorbell = DOORBELL,
) -> AsyncIterator[Services]:
    """Stored callbacks handled and answered until the block ends."""
    client = client_for(settings, limits)
    services = Services(settings, store, client, signing or default_step())
    stop = asyncio.Event()
    inbound = InboundWorker(services, handle, doorbell)
    tasks = [asyncio.create_task(inbound.run(stop), name="wecom-inbound")]
    try:
        yield services
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        await client.close()
