"""The real python-telegram-bot network stack against the loopback fake Bot API."""

import asyncio
import io

import httpx
import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from tests.fakebot import Button, FakeBotApi, RateLimits, User

ALICE = User(1001, "小李")
KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("确认签发", callback_data="sign:7"),
            InlineKeyboardButton("拒绝签发", callback_data="refuse:7"),
        ]
    ]
)


async def test_get_me_reaches_the_fake_over_http(bot_api: FakeBotApi) -> None:
    async with bot_api.bot() as bot:
        me = await bot.get_me()
    assert me.id == bot_api.bot_user["id"]
    assert me.is_bot
    assert [c.method for c in bot_api.calls] == ["getMe", "getMe"]


async def test_send_message_echoes_inline_keyboard_and_renders_html(bot_api: FakeBotApi) -> None:
    async with bot_api.bot() as bot:
        message = await bot.send_message(
            ALICE.id, "<b>待签发</b> 3 &lt;批&gt;", parse_mode="HTML", reply_markup=KEYBOARD
        )
    assert message.text == "待签发 3 <批>"
    assert message.reply_markup == KEYBOARD
    shown = bot_api.message(ALICE.id, message.message_id)
    assert shown.buttons == [[Button("确认签发", "sign:7"), Button("拒绝签发", "refuse:7")]]
    assert bot_api.calls_to("sendMessage")[0].params["reply_markup"] == KEYBOARD.to_dict()


async def test_html_telegram_cannot_parse_is_a_bad_request(bot_api: FakeBotApi) -> None:
    async with bot_api.bot() as bot:
        with pytest.raises(BadRequest, match=r"(?i)unsupported start tag"):
            await bot.send_message(ALICE.id, "a <张三> b", parse_mode="HTML")
    assert bot_api.messages(ALICE.id) == []


async def test_long_poll_returns_as_soon_as_an_update_arrives(bot_api: FakeBotApi) -> None:
    async with bot_api.bot() as bot:
        poll = asyncio.create_task(bot.get_updates(timeout=30))
        await asyncio.sleep(0.05)  # let the poll reach the server so the update must wake it
        bot_api.send_text(ALICE, "你好")
        # Well before the poll's own 30 s: the update ended it, with room for a loaded machine.
        [update] = await asyncio.wait_for(poll, timeout=20)
        again = await bot.get_updates(offset=update.update_id + 1, timeout=0)
    assert update.message is not None and update.message.text == "你好"
    assert again == ()


async def test_raw_requests_get_telegram_shaped_answers(bot_api: FakeBotApi) -> None:
    async with httpx.AsyncClient(base_url=f"{bot_api.base_url}{bot_api.token}") as client:
        by_json = await client.post("/sendMessage", json={"chat_id": 5, "text": "123"})
        by_query = await client.get("/getMe")
        by_form = await client.post("/sendMessage", data={"chat_id": "5", "text": "true"})
        unknown = await client.post("/noSuchMethod")
    assert by_json.json()["result"]["text"] == "123"
    assert by_query.json() == {"ok": True, "result": bot_api.bot_user}
    assert by_form.json()["result"]["text"] == "true"
    assert unknown.status_code == 404
    assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_application_replies_to_start_over_long_polling(bot_api: FakeBotApi) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"欢迎 {' '.join(context.args or [])}")

    app = bot_api.app_builder().build()
    app.add_handler(CommandHandler("start", start))
    async with bot_api.polling(app):
        bot_api.send_command(ALICE, "start", "INV42")
        reply = await bot_api.next_message(ALICE.id)
    assert reply.text == "欢迎 INV42"
    assert reply.raw["chat"]["first_name"] == "小李"


async def test_tap_reaches_callback_query_handler(bot_api: FakeBotApi) -> None:
    async def on_tap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("已签发")
        await query.edit_message_text(f"已确认 {query.data}")

    app = bot_api.app_builder().build()
    app.add_handler(CallbackQueryHandler(on_tap))
    async with bot_api.polling(app):
        await app.bot.send_message(ALICE.id, "批次 7", reply_markup=KEYBOARD)
        sent = await bot_api.next_message(ALICE.id)
        update = bot_api.tap(ALICE, sent, "确认签发")
        edited = await bot_api.next_message(ALICE.id)
        answer = await bot_api.wait_for(lambda c: c.method == "answerCallbackQuery")
    assert edited.text == "已确认 sign:7"
    assert edited.buttons == [] and edited.edited
    assert answer.ok and answer.params["callback_query_id"] == update["callback_query"]["id"]
    with pytest.raises(KeyError):
        bot_api.tap(ALICE, edited, "sign:7")


async def test_documents_round_trip_both_ways(bot_api: FakeBotApi) -> None:
    pdf = b"%PDF-1.7\n\x00\xff binary body"
    update = bot_api.send_document(ALICE, pdf, "名单.xlsx", "application/vnd.ms-excel")
    async with bot_api.bot() as bot:
        sent = await bot.send_document(
            ALICE.id, pdf, filename="证书.pdf", caption="证书", reply_markup=KEYBOARD
        )
        received = update["message"]["document"]
        downloaded = await (await bot.get_file(received["file_id"])).download_as_bytearray()
    assert bytes(downloaded) == pdf
    assert received["file_name"] == "名单.xlsx"
    assert sent.document is not None and sent.document.file_name == "证书.pdf"
    assert sent.caption == "证书"
    assert bot_api.message(ALICE.id, sent.message_id).button("sign:7").text == "确认签发"
    [upload] = bot_api.uploads(ALICE.id)
    assert (upload.data, upload.file_name, upload.mime_type) == (pdf, "证书.pdf", "application/pdf")


async def test_user_photo_arrives_recompressed_in_sizes(bot_api: FakeBotApi) -> None:
    png = io.BytesIO()
    Image.new("RGBA", (1000, 500), (200, 0, 0, 128)).save(png, "PNG")
    update = bot_api.send_photo(ALICE, png.getvalue())
    sizes = update["message"]["photo"]
    assert [s["width"] for s in sizes] == [90, 320, 800, 1000]
    async with bot_api.bot() as bot:
        largest = await (await bot.get_file(sizes[-1]["file_id"])).download_as_bytearray()
        sent = await bot.send_photo(ALICE.id, png.getvalue())
        with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
            await bot.send_photo(ALICE.id, b"not an image")
    assert bytes(largest[:3]) == b"\xff\xd8\xff"
    assert sent.photo[-1].width == 1000
    assert bot_api.uploads(ALICE.id)[0].data == png.getvalue()


async def test_flood_limit_surfaces_as_retry_after(bot_api: FakeBotApi) -> None:
    bot_api.rate_limits = RateLimits(per_chat_interval=60)
    async with bot_api.bot() as bot:
        await bot.send_message(ALICE.id, "一")
        with pytest.raises(RetryAfter):
            await bot.send_message(ALICE.id, "二")
        await bot.send_message(ALICE.id + 1, "另一个聊天")
    refused = bot_api.calls_to("sendMessage")[1]
    assert (refused.status, refused.description) == (429, "Too Many Requests: retry after 60")
    assert bot_api.stats.retry_after == 1
    assert bot_api.stats.accepted == {ALICE.id: 1, ALICE.id + 1: 1}


async def test_global_flood_limit_counts_all_chats(bot_api: FakeBotApi) -> None:
    bot_api.rate_limits = RateLimits(per_second=2, per_chat_interval=0)
    async with bot_api.bot() as bot:
        await bot.send_message(1, "a")
        await bot.send_message(2, "b")
        with pytest.raises(RetryAfter):
            await bot.send_message(3, "c")
    assert sum(bot_api.stats.accepted.values()) == 2


async def test_scripted_failure_answers_once(bot_api: FakeBotApi) -> None:
    bot_api.fail_next("sendMessage", 429, retry_after=3)
    async with bot_api.bot() as bot:
        with pytest.raises(RetryAfter):
            await bot.send_message(ALICE.id, "一")
        await bot.send_message(ALICE.id, "一")
    assert bot_api.calls_to("sendMessage")[0].description == "Too Many Requests: retry after 3"
    assert [m.text for m in bot_api.messages(ALICE.id)] == ["一"]


async def test_blocked_chat_surfaces_as_forbidden(bot_api: FakeBotApi) -> None:
    bot_api.block(ALICE.id)
    async with bot_api.bot() as bot:
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(ALICE.id, "通知")
        bot_api.unblock(ALICE.id)
        await bot.send_message(ALICE.id, "通知")
    assert bot_api.stats.forbidden == 1
    assert bot_api.stats.accepted[ALICE.id] == 1


@pytest.mark.parametrize("drop", [False, True])
async def test_outage_fails_calls_until_cleared(bot_api: FakeBotApi, drop: bool) -> None:
    async with bot_api.bot() as bot:
        bot_api.outage(drop=drop)
        with pytest.raises(NetworkError):
            await bot.send_message(ALICE.id, "通知")
        bot_api.end_outage()
        await bot.send_message(ALICE.id, "通知")
    assert bot_api.stats.outage == 1
    assert bot_api.stats.accepted[ALICE.id] == 1


async def test_timed_outage_ends_by_itself(bot_api: FakeBotApi) -> None:
    async with bot_api.bot() as bot:
        bot_api.outage(seconds=0.3)
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(ALICE.id, "通知")
        await asyncio.sleep(0.3)
        await bot.send_message(ALICE.id, "通知")
    assert bot_api.stats.accepted[ALICE.id] == 1


async def test_edit_without_change_is_not_modified(bot_api: FakeBotApi) -> None:
    async with bot_api.bot() as bot:
        message = await bot.send_message(ALICE.id, "待签发", reply_markup=KEYBOARD)
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await bot.edit_message_text(
                "待签发", ALICE.id, message.message_id, reply_markup=KEYBOARD
            )
        await bot.edit_message_reply_markup(ALICE.id, message.message_id)
        await bot.delete_message(ALICE.id, message.message_id)
        with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
            await bot.edit_message_text("x", ALICE.id, message.message_id)
    assert bot_api.message(ALICE.id, message.message_id).deleted


async def test_commands_and_unknown_methods_behave_like_telegram(bot_api: FakeBotApi) -> None:
    async with bot_api.bot() as bot:
        await bot.set_my_commands([("pending", "待签发")], language_code="zh")
        commands = await bot.get_my_commands(language_code="zh")
        with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
            await bot.set_my_commands([("Pending", "待签发")])
        with pytest.raises(EndPointNotFound):
            await bot.do_api_request("noSuchMethod")
    assert [(c.command, c.description) for c in commands] == [("pending", "待签发")]
    assert bot_api.commands("zh") == [{"command": "pending", "description": "待签发"}]


async def test_unknown_token_is_unauthorized(bot_api: FakeBotApi) -> None:
    stranger = Bot("1:unknown", base_url=bot_api.base_url)
    with pytest.raises(InvalidToken):
        await stranger.get_me()
    assert bot_api.calls == []


async def test_webhook_mode_posts_updates_with_secret(bot_api: FakeBotApi) -> None:
    received: list[tuple[str | None, dict]] = []

    async def hook(request: Request) -> Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return Response()

    web = Starlette(routes=[Route("/tg", hook, methods=["POST"])])
    async with bot_api.bot() as bot:
        await bot.set_webhook("https://qianfa.example/tg", secret_token="s3cret")
        with pytest.raises(Conflict):
            await bot.get_updates()
    update = bot_api.send_text(ALICE, "/pending")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=web), base_url="https://qianfa.example"
    ) as client:
        response = await bot_api.post_webhook(update, client=client)
    assert response.status_code == 200
    assert received == [("s3cret", update)]
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 8}]
