"""What a chat does with the words every account has, for every channel: 绑定 (/start), 帮助
(/help), 待签发 (/pending) of either workflow, 取消 (/cancel) and 查验 (/verify) of either
kind of certificate."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from issuance.chat import grad_desk, print_desk
from issuance.chat import xcert as screens
from issuance.chat.gradchat import GRADUATION
from issuance.chat.screens import Screen, Text
from issuance.chat.screens import help_topic as topic_of
from issuance.chat.session import Session
from issuance.core.errors import Invalid

VERIFY = "verify"
GRADUATION_ANSWER = "verify_graduation"


async def bind(session: Session, code: str | None, language: str | None = None) -> Screen:
    """绑定 CODE: the one-time invite code binds this account; without one, who it is bound to,
    or how to get a code."""
    if code:
        bound = await session.issuance.bind(code, session.channel, session.account, language)
        params = {"name": bound.name, "org": bound.org_name, "role": bound.role}
        return Screen(Text(session.key("start.bound"), params))
    person = await session.actor()
    if person is None:
        return Screen(Text(session.key("start.unknown")))
    params = {"name": person.name, "org": person.org_name}
    return Screen(Text(session.key("start.welcome"), params))


async def help_topic(session: Session) -> Screen:
    """帮助: what this person can do here, by role."""
    person = await session.actor()
    return Screen(Text(session.key(f"help.{topic_of(person)}")))


async def pending(session: Session) -> Screen:
    """待签发: the batches with their counts (for graduation people, the declarations and
    requests waiting for them)."""
    actor = await session.need_actor()
    if grad_desk.is_graduation(actor):
        return await grad_desk.pending(session.graduation, actor)
    return screens.pending_list(await session.issuance.visible_batches(actor))


async def cancel(session: Session) -> Screen:
    """取消: forget whatever was asked for."""
    awaited = await session.conversation.take_awaited()
    return Screen(Text("bot.cancelled" if awaited else "bot.nothing_to_cancel"))


async def ask_verify(session: Session, kind: int) -> Screen:
    """X 证书 or 毕业证 chosen: ask for that kind's inputs."""
    if kind == GRADUATION:
        await session.conversation.expect(GRADUATION_ANSWER)
        return Screen(Text("gradchat.verify.ask_graduation"))
    await session.conversation.expect(VERIFY)
    return Screen(Text(session.key("verify.ask")))


async def verify(session: Session, cert_no: str, id_number: str) -> Screen:
    """证书查验 of an X certificate: valid, void or not found (throttled per account)."""
    session.throttle_verify()
    result = await session.issuance.verify(cert_no, id_number)
    return Screen(Text(f"bot.verify.{result.status}", asdict(result)))


async def numbers_given(session: Session, data: dict[str, Any], reply: str) -> Screen:
    """The certificate number and ID number arrived (asked again when malformed)."""
    parts = reply.split()
    if len(parts) != 2:
        await session.conversation.expect(VERIFY)
        raise Invalid("bot.verify.format")
    return await verify(session, *parts)


async def graduation_given(session: Session, data: dict[str, Any], reply: str) -> Screen:
    """A certificate number and a name: the graduation lookup's answer (every try counts
    against the limit, as every POST of the web form does)."""
    session.throttle_verify()
    if len(reply.split()) < 2:
        await session.conversation.expect(GRADUATION_ANSWER)
        raise Invalid("gradchat.verify.format")
    return await print_desk.lookup(session.printouts, reply)
