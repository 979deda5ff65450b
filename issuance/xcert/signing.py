"""Signing requests (在线手写签名): a one-time link pins what a signer confirms by signing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import segno

from issuance.core.audit import AuditEntry
from issuance.core.catalog import DEFAULT_LOCALE, t
from issuance.core.errors import Conflict, DomainError, Forbidden, NotFound
from issuance.core.notices import Notice, NoticeKind
from issuance.core.people import Person
from issuance.core.records import Batch, IssuanceRecord, StoredSigningRequest
from issuance.core.settings import Settings, SettingsError
from issuance.core.timing import SHANGHAI
from issuance.core.tokens import new_token
from issuance.formats.signature_image import check_signature
from issuance.xcert.service import Issuance, Verification, id_ranges

# Errors of confirm() that mean the pinned records are no longer what the signer was shown.
_CHANGED = ("signoff.changed_meanwhile", "signoff.not_your_turn", "signoff.already_confirmed")
_MAX_TOKEN = 128


@dataclass(frozen=True)
class SigningLink:
    """The link (and its QR code) a signer opens to sign a signing request."""

    request_id: int
    url: str
    expires_at: str
    qr_png: bytes


@dataclass(frozen=True)
class SigningView:
    """What the signing page shows: who signs which records of which batch, until when."""

    request_id: int
    signer: Person
    batch: Batch | None
    records: list[IssuanceRecord]
    expires_at: str


@dataclass(frozen=True)
class SigningOutcome:
    """The result of submitting a signature: confirmed, or failed with the catalog key of why."""

    view: SigningView
    confirmed: bool
    key: str
    params: dict[str, Any]
    signature_sha256: str | None
    finished_at: str

    def message(self, locale: str = DEFAULT_LOCALE) -> str:
        return t(self.key, locale, **self.params)


def token_hash(token: str) -> str:
    """SHA-256 of a signing token: the only form in which tokens are stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def content_hash(records: Sequence[IssuanceRecord]) -> str:
    """SHA-256 over what is signed: each record's certificate number, name, ID, status, version."""
    pinned = [
        [r.id, r.cert_no, r.student_name, r.id_number, r.status, r.version]
        for r in sorted(records, key=lambda r: r.id)
    ]
    encoded = json.dumps(pinned, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def qr_png(url: str) -> bytes:
    """A QR code of `url`, as a PNG for the chat."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=8, border=4)
    return out.getvalue()


async def start_signing(
    issuance: Issuance,
    actor: Person,
    record_ids: Sequence[int],
    chat_ref: dict[str, Any] | None = None,
) -> SigningLink:
    """Check the act is allowed now, then create a one-time signing link bound to the actor."""
    records = await issuance.check_confirmable(actor, record_ids)
    store = issuance.store
    batch_ids = {r.batch_id for r in records}
    token = new_token()
    expires = store.now() + timedelta(minutes=issuance.settings.signoff_signing_ttl_minutes)
    expires_at = expires.astimezone(SHANGHAI).isoformat(timespec="seconds")
    async with store.transaction():
        request_id = await store.add_signing_request(
            token_hash(token),
            actor.id,
            batch_ids.pop() if len(batch_ids) == 1 else None,
            {r.id: r.version for r in records},
            content_hash(records),
            chat_ref,
            expires_at,
        )
        await store.append_audit(
            AuditEntry(
                store.now_iso(),
                f"person:{actor.id}",
                "signing.start",
                f"signing:{request_id} records:{id_ranges([r.id for r in records])}",
            )
        )
    url = f"{issuance.settings.public_url.rstrip('/')}/sign/{token}"
    return SigningLink(request_id, url, expires_at, qr_png(url))


async def open_signing(issuance: Issuance, token: str) -> SigningView:
    """The open request behind `token`, or a DomainError saying why it cannot be signed."""
    request = await _request(issuance, token)
    view = await _view(issuance, request)
    if content_hash(view.records) != request.content_sha256:
        raise Conflict("signing.records_changed")
    return view


async def complete_signing(
    issuance: Issuance,
    token: str,
    signature_png_data: str,
    strokes_json: str,
    presented_by: Person | None = None,
) -> SigningOutcome:
    """Check the signature and confirm the pinned records with it, atomically with using the link.

    `presented_by` is the person a Telegram Mini App vouches for, when the page was opened there.
    If the records changed since the link was made, nothing is confirmed and the request fails.
    """
    request = await _request(issuance, token)
    view = await _view(issuance, request)
    if presented_by is not None and presented_by.id != request.person_id:
        raise Forbidden("signing.not_yours")
    signature = check_signature(signature_png_data, strokes_json)
    if content_hash(view.records) != request.content_sha256:
        return await _fail(issuance, request, view, Conflict("signing.records_changed"))
    store = issuance.store
    try:
        async with store.transaction():
            signature_id = await store.add_signature(
                view.signer.id, signature.png, signature.sha256, signature.strokes_json
            )
            if not await store.use_signing_request(request.id, signature_id):
                raise Conflict("signing.used")
            await issuance.confirm(
                view.signer, request.record_ids, signature_id, request.record_versions
            )
            outcome = SigningOutcome(
                view,
                True,
                "signing.confirmed",
                {"count": request.record_count},
                signature.sha256,
                store.now_iso(),
            )
            await _tell_chat(issuance, request, outcome)
    except DomainError as error:
        if error.key == "signing.used":
            await _request(issuance, token)  # raises the precise reason (used or expired)
            raise
        if error.key in _CHANGED:
            error = Conflict("signing.records_changed")
        return await _fail(issuance, request, view, error)
    return outcome


async def _request(issuance: Issuance, token: str) -> StoredSigningRequest:
    """The request behind `token` if it can still be signed; else a DomainError saying why."""
    if not token or len(token) > _MAX_TOKEN:
        raise NotFound("signing.unknown")
    request = await issuance.store.signing_request_by_token_hash(token_hash(token))
    if request is None:
        raise NotFound("signing.unknown")
    _check_open(issuance, request)
    return request


def _check_open(issuance: Issuance, request: StoredSigningRequest) -> None:
    if request.status == "used":
        raise Conflict("signing.used")
    if request.status == "failed":
        failure = json.loads(request.failure or "{}")
        reason = t(failure.get("key", "signing.records_changed"), **failure.get("params", {}))
        raise Conflict("signing.failed", reason=reason)
    if request.expires_at <= issuance.store.now_iso():
        raise Conflict("signing.expired")


async def _view(issuance: Issuance, request: StoredSigningRequest) -> SigningView:
    store = issuance.store
    signer = await store.person(request.person_id)
    if signer is None:
        raise NotFound("signing.unknown")
    batch = await store.batch(request.batch_id) if request.batch_id is not None else None
    records = await store.records_by_ids(request.record_ids)
    return SigningView(request.id, signer, batch, records, request.expires_at)


async def _fail(
    issuance: Issuance, request: StoredSigningRequest, view: SigningView, error: DomainError
) -> SigningOutcome:
    """Close the request unconfirmed, record why, and tell the chat."""
    store = issuance.store
    outcome = SigningOutcome(view, False, error.key, dict(error.params), None, store.now_iso())
    async with store.transaction():
        failure = json.dumps({"key": error.key, "params": error.params}, ensure_ascii=False)
        if not await store.fail_signing_request(request.id, failure):
            current = await store.signing_request(request.id)
            assert current is not None
            _check_open(issuance, current)
            raise Conflict("signing.used")
        await store.append_audit(
            AuditEntry(
                outcome.finished_at,
                f"person:{request.person_id}",
                "signing.fail",
                f"signing:{request.id}",
                reason=error.key,
            )
        )
        await _tell_chat(issuance, request, outcome)
    return outcome


async def _tell_chat(
    issuance: Issuance, request: StoredSigningRequest, outcome: SigningOutcome
) -> None:
    """Queue an edit of the chat message that carried the link, showing the result."""
    ref = request.chat_ref
    if not ref or "chat_id" not in ref or "message_id" not in ref:
        return
    if outcome.confirmed:
        batch = outcome.view.batch
        kind = NoticeKind.SIGNING_CONFIRMED
        params: dict[str, object] = {
            "count": request.record_count,
            "program": batch.program if batch else "",
            "at": outcome.finished_at[:16].replace("T", " "),
        }
    else:
        kind = NoticeKind.SIGNING_FAILED
        params = {"reason": {"key": outcome.key, "params": outcome.params}}
    notice = Notice(
        kind, request.person_id, params=params, dedup_key=f"signing:{request.id}", edit=ref
    )
    await issuance.store.append_notice(notice)


# Certificate QR links (/c/{cert_no}?t=…): an HMAC over the number and the holder's ID number,
# so the page can answer without any ID number in the URL.


def _secret(settings: Settings) -> bytes:
    if not settings.secret_key:
        raise SettingsError("setting secret_key: empty; run `qianfa init` to generate one")
    return settings.secret_key.encode("utf-8")


def certificate_token(settings: Settings, cert_no: str, id_number: str) -> str:
    """128-bit HMAC tag binding a certificate number to its holder's ID number."""
    message = f"qianfa/cert/v1\n{cert_no.strip()}\n{id_number.strip().upper()}".encode()
    digest = hmac.new(_secret(settings), message, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def certificate_link(settings: Settings, cert_no: str, id_number: str) -> str:
    """The verification URL printed as a QR code on the certificate."""
    token = certificate_token(settings, cert_no, id_number)
    return f"{settings.public_url.rstrip('/')}/c/{cert_no}?t={token}"


async def verify_link(issuance: Issuance, cert_no: str, token: str) -> Verification:
    """证书查验 from a certificate's QR link; a wrong tag answers like an unknown number."""
    record = await issuance.store.record_by_cert_no(cert_no.strip())
    if record is not None:
        expected = certificate_token(issuance.settings, record.cert_no, record.id_number)
        if hmac.compare_digest(expected.encode("ascii"), token.encode("utf-8", "replace")):
            return await issuance.verify(record.cert_no, record.id_number)
    return Verification("not_found", cert_no.strip())
