"""Notices: what a use case tells a person, as a typed event the chat layer renders when it goes
out (in the reader's channel and language). A use case appends its notices to the outbox in the
transaction of its act, so the act and its notices commit together, or neither does."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class NoticeKind(StrEnum):
    """What a notice says; each value is the catalog key of its text."""

    # X certificates
    RESUBMITTED = "bot.resubmit.notice"
    INFO_TO_COMPLETE = "completion.notice"
    INFO_COMPLETED = "completion.school_done"
    BROADCAST = "bot.broadcast.notice"
    SIGNING_CONFIRMED = "signing.chat.confirmed"
    SIGNING_FAILED = "signing.chat.failed"
    INFO_OVERDUE = "worker.info_overdue"
    INFO_REMINDER = "worker.info_reminder"
    NUDGE = "worker.nudge"
    MAILED = "handout.mailed_notice"
    RECEIVED = "handout.received_notice"
    HANDOUT_REMINDER = "handout.reminder"
    # the upload page
    UPLOAD_DONE = "upload.chat.done"
    UPLOAD_REFUSED = "upload.chat.refused"
    # graduation
    GRAD_WAITING = "grad.notice.waiting"
    GRAD_RETURNED = "grad.notice.returned"
    GRAD_APPROVED = "grad.notice.approved"
    GRAD_APPROVED_BLANKS = "grad.notice.approved_blanks"
    GRAD_TO_ISSUE = "grad.notice.to_issue"
    GRAD_REMINDER = "grad.reminder"
    GRAD_DIGEST = "grad.digest"
    SEALED = "handout.sealed_notice"
    SEAL_READY = "seal.ready_notice"
    STOCK_LOW = "stock.low_notice"
    QUALIFICATION_RELEASED = "qual.notice.released"
    QUALIFICATION_RECORDED = "qual.notice.recorded"


@dataclass(frozen=True)
class Notice:
    """A notice for one person: its kind, the ids it is about (what its buttons open) and plain
    (JSON) parameters of its text. `dedup_key` makes it go out once, ever; `not_before` holds it
    back (quiet hours); `edit` names an earlier chat message of theirs to replace instead."""

    kind: NoticeKind
    person_id: int
    about: Mapping[str, int] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    dedup_key: str | None = None
    not_before: datetime | None = None
    edit: Mapping[str, Any] | None = None

    def payload(self) -> dict[str, Any]:
        """The outbox row's payload: the notice, to be rendered when it is sent."""
        payload: dict[str, Any] = {
            "notice": self.kind.value,
            "about": dict(self.about),
            "params": dict(self.params),
        }
        if self.edit is not None:
            payload.update(chat_id=self.edit["chat_id"], message_id=self.edit["message_id"])
        return payload
