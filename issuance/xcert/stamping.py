"""签名章 use cases: who may hold one, checking an upload, the preview, saving a new version."""

from __future__ import annotations

import asyncio
import hashlib
import math
from datetime import date
from typing import Literal

from issuance.core.catalog import t
from issuance.core.errors import Forbidden, Invalid
from issuance.core.people import OrgKind, Person
from issuance.core.vocabulary import Party
from issuance.formats.certificate import CertificateView, load_template
from issuance.formats.stamp_image import MAX_BYTES, prepare_stamp, preview_png
from issuance.xcert.service import Issuance


def check_holder(actor: Person) -> None:
    """Only a school's responsible person (or an evaluator's signer, for the seal) holds one."""
    if actor.party not in (Party.SITE, Party.EVALUATOR):
        raise Forbidden("bot.stamp.head_only")


def check_upload_size(size: int) -> None:
    """Refuse an oversized file before downloading it."""
    if size > MAX_BYTES:
        raise Invalid("stamp.too_large", size_kb=math.ceil(size / 1024))


def _specimen(actor: Person, issuer: str) -> CertificateView:
    return CertificateView(
        cert_no="00000000000000000000000",
        student_name="样例",
        id_number="110101********0000",
        program="职业技能等级证书（样例）",
        level="初级",
        issuer_name=issuer,
        school_name=actor.org_name,
        issued_on=date.today(),
        verify_url="https://example.invalid/",
        school_stamp_png=None,
        issuer_seal_png=None,
    )


async def prepare(issuance: Issuance, actor: Person, data: bytes) -> tuple[bytes, bytes]:
    """The cleaned stamp and a certificate preview carrying it (work done off the event loop)."""
    check_holder(actor)
    template = load_template(issuance.settings.certificate_template_path)
    slot: Literal["school", "issuer"] = "issuer" if actor.party == Party.EVALUATOR else "school"
    issuer = actor.org_name if slot == "issuer" else OrgKind.EVALUATOR.value

    def work() -> tuple[bytes, bytes]:
        clean = prepare_stamp(data)
        return clean, preview_png(clean, _specimen(actor, issuer), template, slot)

    return await asyncio.to_thread(work)


async def save(issuance: Issuance, actor: Person, clean_png: bytes) -> int:
    """Save a checked stamp after consent; returns its version number (1, 2, …)."""
    check_holder(actor)
    prepare_stamp(clean_png)  # the draft is ours, but check again rather than trust storage
    await issuance.store.save_stamp(
        actor.org_id, actor.id, clean_png, hashlib.sha256(clean_png).hexdigest()
    )
    return await issuance.store.stamp_versions(actor.org_id)


def letter(locale: str = "zh") -> str:
    """《电子签名章使用授权委托书》, in full."""
    return t("bot.stamp.letter", locale)
