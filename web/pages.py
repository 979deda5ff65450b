"""Server-rendered pages: view data in, HTML out. Routes build the views from the store."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import escape
from starlette.staticfiles import StaticFiles

from issuance.core.catalog import DEFAULT_LOCALE, t
from issuance.core.errors import DomainError
from issuance.core.idcard import mask_name

STATIC_PREFIX = "/static"
SAMPLE_NAMES = 5

VerifyStatus = Literal["valid", "void", "not_found"]
MessageKind = Literal[
    "expired",
    "used",
    "forged",
    "changed",
    "foreign",
    "rate_limited",
    "error",
    "not_found",
    "method",
    "too_large",
    "bad_request",
    "link_expired",
    "link_used",
    "link_forged",
    "link_foreign",
]


@dataclass(frozen=True)
class SigningRequest:
    """What a signer is asked to confirm: one batch of records of one exam plan."""

    signer_name: str
    school: str
    batch: str
    program: str
    level: str
    exam_plan: str
    record_count: int
    first_student_names: tuple[str, ...]
    evaluator: bool = False  # an evaluation organization's 签发人, not a 考核站点负责人


@dataclass(frozen=True)
class VerifyResult:
    """The public answer to 证书查验 by certificate number + ID-card number."""

    status: VerifyStatus
    cert_no: str
    student_name: str = ""
    program: str = ""
    level: str = ""
    issuer: str = ""
    issued_on: str = ""
    file_sha256: str = ""


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("web", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, locale: str = DEFAULT_LOCALE, **context: Any) -> str:
    """Render a template; it reads texts through `t(key, **params)` in `locale`."""

    def text(key: str, **params: Any) -> str:
        return t(key, locale, **params)

    return (
        _environment()
        .get_template(template)
        .render(t=text, locale=locale, static=STATIC_PREFIX, **context)
    )


def sign_page(
    request: SigningRequest,
    csrf: str,
    locale: str = DEFAULT_LOCALE,
    error: DomainError | None = None,
) -> str:
    """The online signature page (one canvas, one 确认签发 button); it posts back to its own URL."""
    names = [mask_name(name) for name in request.first_student_names[:SAMPLE_NAMES]]
    return render(
        "sign.html",
        locale,
        req=request,
        masked_names=names,
        more=max(0, request.record_count - len(names)),
        csrf=csrf,
        error=error.message(locale) if error else None,
    )


def sign_done_page(request: SigningRequest, signed_at: str, locale: str = DEFAULT_LOCALE) -> str:
    """The page shown after a signature was accepted."""
    return render("sign_done.html", locale, req=request, signed_at=signed_at)


def verify_page(
    result: VerifyResult | None = None,
    cert_no: str = "",
    locale: str = DEFAULT_LOCALE,
    error: DomainError | None = None,
    csrf: str = "",
) -> str:
    """The verification form, plus the result block if given; the ID number is never echoed."""
    values = {"csrf": csrf, "cert_no": cert_no}
    if error:
        values["error"] = error.message(locale)
    if result:
        values.update(
            (field, getattr(result, field))
            for field in ("program", "level", "issuer", "issued_on", "file_sha256")
        )
        values["result_cert_no"] = result.cert_no
        values["masked_name"] = mask_name(result.student_name)
    shape = (
        locale,
        bool(error),
        result.status if result else None,
        bool(values.get("file_sha256")),
    )
    parts = _verify_skeleton(*shape)
    # Split by the slots' pattern: text at even places, slot names at odd ones.
    return "".join(
        part if i % 2 == 0 else str(escape(values[part])) for i, part in enumerate(parts)
    )


# A slot in a rendered skeleton: Jinja's escaping leaves NUL and word characters as they are.
_SLOT = re.compile("\x00(\\w+)\x00")


@cache
def _verify_skeleton(
    locale: str, error: bool, status: VerifyStatus | None, sha256: bool
) -> tuple[str, ...]:
    """verify.html rendered once per shape, a slot where each request's value goes: the page
    is the verification's most requested response and its texts and markup never change."""

    def slot(name: str) -> str:
        return f"\x00{name}\x00"

    result = None
    if status is not None:
        result = VerifyResult(
            status=status,
            cert_no=slot("result_cert_no"),
            program=slot("program"),
            level=slot("level"),
            issuer=slot("issuer"),
            issued_on=slot("issued_on"),
            file_sha256=slot("file_sha256") if sha256 else "",
        )
    page = render(
        "verify.html",
        locale,
        result=result,
        masked_name=slot("masked_name"),
        cert_no=slot("cert_no"),
        error=slot("error") if error else None,
        csrf=slot("csrf"),
    )
    return tuple(_SLOT.split(page))


def message_page(kind: MessageKind, locale: str = DEFAULT_LOCALE, detail: str = "") -> str:
    """A plain error page (expired, used or forged link, too many requests, server error)."""
    return render(
        "message.html",
        locale,
        title=t(f"web.message.{kind}.title", locale),
        body=t(f"web.message.{kind}.body", locale),
        detail=detail,
    )


def static_files() -> StaticFiles:
    """The ASGI app serving `web/static`; mount it at STATIC_PREFIX."""
    return StaticFiles(packages=[("web", "static")])
