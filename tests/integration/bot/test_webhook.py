"""Webhook mode: Telegram posts to a route of the web part's app; the secret token is checked; the
update reaches the bot in this process, or through the database the bot process of another."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import httpx

from bot.telegram.serve import serve
from bot.telegram.webhook import Inbox, StoredInbox, routes
from issuance.core.settings import Secret
from issuance.store import Store
from tests.botworld import STRANGER, World
from web.app import build_app


async def test_webhook_updates_are_answered_and_a_wrong_secret_is_refused(world: World) -> None:
    settings = replace(
        world.settings,
        telegram_webhook_url="https://qianfa.example.cn/telegram/hook",
        telegram_webhook_secret=Secret("s3cret-token"),
        secret_key=Secret("k" * 32),
    )
    inbox = Inbox()
    web = build_app(settings, world.store, extra_routes=routes(settings, inbox))
    stop = asyncio.Event()
    bot = asyncio.create_task(serve(settings, world.store, stop, inbox))
    try:
        await world.api.wait_for(lambda c: c.method == "setWebhook" and c.ok)
        assert world.api.webhook is not None
        assert world.api.webhook["secret_token"] == "s3cret-token"
        update = world.api.send_text(STRANGER, "/help")  # not queued: a webhook is set
        transport = httpx.ASGITransport(app=web)
        async with httpx.AsyncClient(transport=transport, base_url="http://web") as client:
            forged = await world.api.post_webhook(
                {**update, "update_id": 999},
                url="http://web/telegram/hook",
                secret_token="wrong",
                client=client,
            )
            accepted = await world.api.post_webhook(
                update, url="http://web/telegram/hook", client=client
            )
            reply = await world.api.next_message(STRANGER.id)
    finally:
        stop.set()
        await bot
    assert forged.status_code == 403
    assert accepted.status_code == 200
    assert "/verify" in (reply.text or "")
    assert len(world.api.messages(STRANGER.id)) == 1


async def test_a_web_process_passes_updates_to_the_bot_process_through_the_database(
    world: World,
) -> None:
    """Web and bot in different processes (each with its own store): the update goes through the
    database, once even when Telegram delivers it twice, to the bot holding the inbox lease."""
    settings = replace(
        world.settings,
        telegram_webhook_url="https://qianfa.example.cn/telegram/hook",
        telegram_webhook_secret=Secret("s3cret-token"),
        secret_key=Secret("k" * 32),
    )
    web_store = await Store.open(settings.database)
    web = build_app(settings, web_store, extra_routes=routes(settings, StoredInbox(web_store)))
    stop = asyncio.Event()
    bot = asyncio.create_task(serve(settings, world.store, stop))  # no inbox: the database's
    try:
        await world.api.wait_for(lambda c: c.method == "setWebhook" and c.ok)
        update = world.api.send_text(STRANGER, "/help")
        transport = httpx.ASGITransport(app=web)
        async with httpx.AsyncClient(transport=transport, base_url="http://web") as client:
            answers = [
                await world.api.post_webhook(update, url="http://web/telegram/hook", client=client)
                for _ in range(2)  # Telegram retries what it did not see answered
            ]
            reply = await world.api.next_message(STRANGER.id)
        kept = await web_store._all("SELECT update_key, taken_at FROM chat_inbox")
    finally:
        stop.set()
        await bot
        await web_store.close()
    assert [a.status_code for a in answers] == [200, 200]
    assert "/verify" in (reply.text or "")
    assert len(kept) == 1 and kept[0][0] == str(update["update_id"]) and kept[0][1] is not None
    assert len(world.api.messages(STRANGER.id)) == 1
