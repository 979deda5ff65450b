"""Notices rendered when they go out: the screen of each kind of notice (its text and buttons),
built from the ids and parameters the use case stored, in the reader's language of the moment."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from issuance.chat import upload_desk
from issuance.chat.actions import Action, ListProblems, OpenBatch
from issuance.chat.gradchat import print_buttons
from issuance.chat.graduation import buttons, described
from issuance.chat.handout import ConfirmReceipt, HandOutTerm, OpenHandout, SealTerm
from issuance.chat.notify import locale_of
from issuance.chat.screens import Button, Lines, Part, Rows, Screen, Text
from issuance.chat.xcert import Counts
from issuance.core.messaging import OutboxItem
from issuance.core.notices import Notice, NoticeKind
from issuance.core.ports import OutboxQueue
from issuance.xcert.reminders import Moment, Span

Render = Callable[[Notice], Screen]
_RENDER: dict[NoticeKind, Render] = {}

K = NoticeKind


def renders(*kinds: NoticeKind) -> Callable[[Render], Render]:
    """Register the decorated function as the screen of `kinds`."""

    def register(render: Render) -> Render:
        for kind in kinds:
            _RENDER[kind] = render
        return render

    return register


def screen(notice: Notice) -> Screen:
    """What the notice shows: its kind's screen, else its text alone."""
    render = _RENDER.get(notice.kind)
    return render(notice) if render else Screen(Text(notice.kind.value, notice.params))


def is_notice(item: OutboxItem) -> bool:
    """Whether the outbox row holds a typed notice (not a message rendered when queued)."""
    return "notice" in item.payload


async def rendered(store: OutboxQueue, item: OutboxItem) -> OutboxItem:
    """A notice row as the message (or edit) its channel sends, in the reader's language now."""
    return replace(item, payload=shown(item.payload, await locale_of(store, item.person_id)))


def shown(payload: Mapping[str, Any], locale: str) -> dict[str, Any]:
    """A stored outbox payload as its channel sends it in `locale`: a notice rendered (text,
    buttons, the message it edits), a row rendered when queued as it is."""
    if "notice" not in payload:
        return dict(payload)
    notice = Notice(NoticeKind(payload["notice"]), 0, payload["about"], payload["params"])
    screened = screen(notice).render(locale)
    message: dict[str, Any] = {"text": screened.text}
    if screened.buttons:
        message["buttons"] = screened.buttons
    if "message_id" in payload:
        message.update(chat_id=payload["chat_id"], message_id=payload["message_id"])
    return message


def _text(notice: Notice, **parts: Part) -> Text:
    return Text(notice.kind.value, {**notice.params, **parts})


def _one(label: str, action: Action) -> Rows:
    return [[Button(Text(label), action)]]


@renders(K.RESUBMITTED)
def _resubmitted(notice: Notice) -> Screen:
    return Screen(_text(notice), _one("bot.broadcast.open", OpenBatch(notice.about["batch"])))


@renders(K.BROADCAST)
def _broadcast(notice: Notice) -> Screen:
    body = _text(notice, counts=Counts(notice.params["counts"]))
    return Screen(body, _one("bot.broadcast.open", OpenBatch(notice.about["batch"])))


@renders(K.INFO_TO_COMPLETE)
def _to_complete(notice: Notice) -> Screen:
    return Screen(_text(notice), _one("completion.open_button", ListProblems()))


@renders(K.UPLOAD_DONE)
def _upload_done(notice: Notice) -> Screen:
    return Screen(upload_desk.done(notice.params))


@renders(K.UPLOAD_REFUSED)
def _upload_refused(notice: Notice) -> Screen:
    return Screen(upload_desk.refused(notice.params))


@renders(K.SIGNING_FAILED)
def _signing_failed(notice: Notice) -> Screen:
    reason = notice.params["reason"]
    return Screen(_text(notice, reason=Text(reason["key"], reason["params"])))


# The worker's reminders: spans of time and moments, written out in the reader's language.
_SPANS = ("late", "left", "waited")


def _timed(notice: Notice) -> Text:
    parts: dict[str, Part] = {
        name: Span(timedelta(seconds=notice.params[name]))
        for name in _SPANS
        if name in notice.params
    }
    if "deadline" in notice.params:
        moment = datetime.fromisoformat(notice.params["deadline"])
        parts["deadline"] = Moment(moment, moment.tzinfo)
    return _text(notice, **parts)


@renders(K.INFO_OVERDUE, K.INFO_REMINDER)
def _reminder(notice: Notice) -> Screen:
    return Screen(_timed(notice))


@renders(K.NUDGE)
def _nudge(notice: Notice) -> Screen:
    return Screen(_timed(notice), _one("worker.nudge_button", OpenBatch(notice.about["batch"])))


@renders(K.MAILED)
def _mailed(notice: Notice) -> Screen:
    return Screen(_text(notice), _one("handout.button.receive", ConfirmReceipt(_batch(notice))))


@renders(K.HANDOUT_REMINDER)
def _handout_reminder(notice: Notice) -> Screen:
    return Screen(_text(notice), _one("handout.button.open", OpenHandout(_batch(notice))))


def _batch(notice: Notice) -> int:
    return notice.about["batch"]


# Graduation: "what" names the request (kind, school, term or blanks, count).


def _what(notice: Notice) -> Text:
    return _text(notice, what=described(notice.params["what"]))


@renders(K.GRAD_WAITING, K.GRAD_RETURNED, K.GRAD_REMINDER, K.GRAD_TO_ISSUE)
def _request_turn(notice: Notice) -> Screen:
    """Whose turn it is, with what they may do with the request."""
    about = notice.about
    return Screen(_what(notice), [buttons(about["request"], about["round"], notice.params["role"])])


@renders(K.GRAD_APPROVED, K.GRAD_APPROVED_BLANKS)
def _approved(notice: Notice) -> Screen:
    """An approved declaration can be printed now: its term's 打印 and 花名册."""
    about = notice.about
    rows = [print_buttons(about["school"], str(about["term"]))] if "term" in about else []
    return Screen(_what(notice), rows)


@renders(K.GRAD_DIGEST)
def _digest(notice: Notice) -> Screen:
    lines: list[Mapping[str, object]] = notice.params["lines"]
    return Screen(_text(notice, lines=Lines([described(what) for what in lines])))


@renders(K.SEALED)
def _sealed(notice: Notice) -> Screen:
    term = HandOutTerm(notice.about["school"], notice.about["term"])
    return Screen(_text(notice), _one("handout.button.grad", term))


@renders(K.SEAL_READY)
def _seal_ready(notice: Notice) -> Screen:
    term = SealTerm(notice.about["school"], notice.about["term"])
    return Screen(_text(notice), _one("seal.button", term))
