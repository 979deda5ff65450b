"""Routes of the upload page (上传): GET shows the form, POST imports the file; templates.

The file streams to a temporary file (Starlette spools a multipart file to disk past 1 MiB, and
the body limit counts the stream), so memory stays flat whatever is sent. A link given on WeCom
opens only after WeCom's OAuth2 named its person (`web/wecom_upload.py` sets the pass
cookie checked here), so a forwarded link is refused.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from issuance import uploads as upload_links
from issuance.core.catalog import DEFAULT_LOCALE, t
from issuance.core.errors import DomainError, Forbidden, Invalid, NotFound
from issuance.core.people import Channel
from issuance.core.tokens import sign, unsign
from issuance.core.uploads import UploadKind
from issuance.formats.tabular import MAX_FILE_BYTES
from issuance.uploads import UploadResult, UploadView, open_upload, run_upload
from issuance.xcert.signing import token_hash
from web import csrf
from web.context import context, error_page, form_page, html
from web.pages import render

PASS_COOKIE = "qf_upload"
_PASS_PURPOSE = "upload-pass"
_PASS_LIFETIME_S = 3600
# What `qianfa import` reads (issuance/formats/tabular.py read_table).
_SUFFIXES = (".xlsx", ".csv")
_CHUNK = 1 << 20
# The multipart body around the file: boundaries, the CSRF token, the kind.
UPLOAD_OVERHEAD = 64 * 1024
MAX_UPLOAD_BODY = MAX_FILE_BYTES + UPLOAD_OVERHEAD
PREFIX = "/upload/"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _scope(token: str) -> str:
    return f"upload:{token_hash(token)[:32]}"


def set_pass(response: Response, secret: bytes, token: str, secure: bool) -> None:
    """Let this browser use the WeCom link `token`: WeCom's OAuth2 named its person."""
    value = sign(secret, _PASS_PURPOSE, token_hash(token), int(time.time()) + _PASS_LIFETIME_S)
    response.set_cookie(
        PASS_COOKIE,
        value,
        max_age=_PASS_LIFETIME_S,
        path=PREFIX,
        secure=secure,
        httponly=True,
        samesite="lax",
    )


def _has_pass(request: Request, token: str) -> bool:
    try:
        payload = unsign(
            context(request).secret, _PASS_PURPOSE, request.cookies.get(PASS_COOKIE, "")
        )
    except Invalid:
        return False
    return payload == token_hash(token)


async def _view(request: Request, token: str) -> UploadView:
    """The link's view if this browser may use it; else a DomainError saying why."""
    view = await open_upload(context(request).issuance, token)
    if view.link.channel == Channel.WECOM and not _has_pass(request, token):
        raise Forbidden("upload.not_yours")
    return view


def _page(view: UploadView, token: str, csrf_token: str, error: str = "") -> str:
    return render(
        "upload.html",
        DEFAULT_LOCALE,
        view=view,
        token=token,
        csrf=csrf_token,
        error=error,
        limit=MAX_FILE_BYTES // (1024 * 1024),
    )


async def upload_get(request: Request) -> Response:
    """The upload page, or a page saying why this link cannot be used."""
    token = request.path_params["token"]
    try:
        view = await open_upload(context(request).issuance, token)
    except DomainError as error:
        return error_page(error)
    if view.link.channel == Channel.WECOM and not _has_pass(request, token):
        # through WeCom's OAuth2 first, which names who opened the link
        return RedirectResponse(f"/wecom/upload/{token}", status_code=302)
    return form_page(request, lambda csrf_token: _page(view, token, csrf_token), _scope(token))


async def upload_post(request: Request) -> Response:
    """Stream the file to disk, import it with the link's person's scope, show the report."""
    web = context(request)
    token = request.path_params["token"]
    try:
        view = await _view(request, token)
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            # a url-encoded body is held in memory as it is parsed: only files stream to disk
            raise Invalid("upload.no_file")
        async with request.form(max_files=1, max_fields=4) as form:
            csrf.check(web.secret, request, str(form.get(csrf.FIELD, "")), _scope(token))
            kind = str(form.get("kind", ""))
            upload = form.get("file")
            if kind not in view.kinds:
                raise Invalid("upload.kind_not_allowed")
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise Invalid("upload.no_file")
            suffix = Path(upload.filename).suffix.lower()
            if suffix not in _SUFFIXES:
                raise Invalid("upload.bad_suffix")
            with tempfile.TemporaryDirectory(prefix="qianfa-upload-") as folder:
                path = Path(folder) / f"upload{suffix}"
                with path.open("wb") as out:
                    shutil.copyfileobj(upload.file, out, _CHUNK)
                result = await run_upload(web.issuance, token, kind, path)
    except Invalid as error:
        if error.key == "web.csrf":
            return error_page(error)
        return await _again(request, token, error)
    except DomainError as error:
        return error_page(error)
    return html(_result_page(view, result), 200 if result.imported else 422, private=True)


async def _again(request: Request, token: str, error: DomainError) -> Response:
    """The form again with the problem shown (the link is still unused)."""
    try:
        view = await _view(request, token)
    except DomainError as other:
        return error_page(other)
    message = error.message()
    return form_page(
        request, lambda csrf_token: _page(view, token, csrf_token, message), _scope(token), 422
    )


def _result_page(view: UploadView, result: UploadResult) -> str:
    errors = [
        t("upload.row_error", row=e.row, column=e.column, message=e.message) for e in result.errors
    ]
    return render(
        "upload_done.html",
        DEFAULT_LOCALE,
        view=view,
        result=result,
        kind_label=t(f"upload.kind.{result.kind}"),
        counts=t(f"upload.counts.{result.kind}", DEFAULT_LOCALE, **result.counts)
        if result.imported
        else "",
        errors=errors,
    )


async def template(request: Request) -> Response:
    """The XLSX template of one kind this link may upload."""
    token = request.path_params["token"]
    kind = request.path_params["kind"]
    try:
        view = await _view(request, token)
        if kind not in view.kinds:
            raise NotFound("upload.kind_not_allowed")
    except DomainError as error:
        return error_page(error)
    name = quote(f"{t(f'upload.kind.{kind}')}导入模板.xlsx")
    disposition = f"attachment; filename=\"template-{kind}.xlsx\"; filename*=UTF-8''{name}"
    return Response(
        upload_links.template(UploadKind(kind)),
        media_type=XLSX_TYPE,
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


routes = [
    Route("/upload/{token}", upload_get, methods=["GET"]),
    Route("/upload/{token}", upload_post, methods=["POST"]),
    Route("/upload/{token}/template/{kind}", template, methods=["GET"]),
]
