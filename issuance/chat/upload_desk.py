"""上传 / 导入 in chat: the one-time link to the upload page (and its QR code), and the report
of an upload as it comes back to the chat. Both channels answer the same screens."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from issuance.chat.screens import Button, Lines, Link, Part, Screen, Text
from issuance.chat.session import Session
from issuance.core.catalog import t
from issuance.core.uploads import UploadKind
from issuance.uploads import UploadLink, start_upload


@dataclass(frozen=True)
class UploadOffer:
    """What the chat sends: the link's screen (text and a button opening it), the QR picture."""

    screen: Screen
    url: str
    qr_png: bytes


async def offer(session: Session, chat_ref: dict[str, Any] | None = None) -> UploadOffer:
    """A fresh one-time upload link for the person of this account, as the chat shows it."""
    issuance = session.issuance
    person = await session.need_actor()
    link = await start_upload(issuance, person, session.channel, chat_ref)
    return UploadOffer(
        link_screen(link, issuance.settings.web_upload_link_minutes), link.url, link.qr_png
    )


def link_screen(link: UploadLink, minutes: int) -> Screen:
    """The link's message: what may be uploaded, until when, and the button that opens it."""
    kinds = _Listed([kind_label(kind) for kind in link.kinds])
    body = Text("upload.chat.link", {"kinds": kinds, "minutes": minutes})
    return Screen(body, [[Button(Text("upload.chat.open"), Link(link.url))]])


@dataclass(frozen=True)
class _Listed:
    """Parts listed in a line, with the locale's separator (、 in Chinese)."""

    parts: Sequence[Part]

    def render(self, locale: str) -> str:
        return t("upload.separator", locale).join(part.render(locale) for part in self.parts)


def kind_label(kind: str) -> Text:
    """导入类型的名称 (成绩, 毕业生 …)."""
    return Text(f"upload.kind.{UploadKind(kind).value}")


def counts_text(kind: str, counts: Mapping[str, int]) -> Text:
    """What an import wrote, in the words of its kind."""
    return Text(f"upload.counts.{UploadKind(kind).value}", counts)


def error_lines(errors: Sequence[Mapping[str, Any]]) -> list[Part]:
    """Every bad row as 第 N 行，列 C：原因."""
    return [Text("upload.row_error", error) for error in errors]


def done(params: Mapping[str, Any]) -> Part:
    """The chat's report of an upload that was imported."""
    kind = params["kind"]
    head = Text("upload.chat.done", {"kind": kind_label(kind)})
    return Lines([head, counts_text(kind, params["counts"])])


def refused(params: Mapping[str, Any]) -> Part:
    """The chat's report of an upload that was refused: nothing imported, and why."""
    kind = kind_label(params["kind"])
    if "failure" in params:
        return Text("upload.chat.failed", {"kind": kind, "reason": params["failure"]})
    errors = params.get("errors", [])
    parts: list[Part] = [Text("upload.chat.refused", {"kind": kind, "count": params["count"]})]
    parts += error_lines(errors)
    if params["count"] > len(errors):
        parts.append(Text("upload.chat.more", {"count": params["count"] - len(errors)}))
    return Lines(parts)
