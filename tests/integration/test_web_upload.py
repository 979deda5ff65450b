"""The upload page over real HTTP on both databases: one-time links bound to a person and the
kinds they may import, the all-or-nothing report on the page and in the chat, the 经办人's own
school only, oversize bodies refused on the stream with memory flat."""

from __future__ import annotations

import contextlib
import io
import socket
import threading
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import openpyxl
import pytest

from issuance.accounts import Accounts
from issuance.chat.notices import rendered
from issuance.core.catalog import t
from issuance.core.errors import Conflict, Forbidden, NotFound
from issuance.core.idcard import check_character
from issuance.core.people import Channel, Person
from issuance.core.uploads import UploadKind
from issuance.formats.tabular import MAX_FILE_BYTES
from issuance.graduation import demo as grad_demo
from issuance.uploads import UploadLink, kinds_for, open_upload, start_upload
from issuance.xcert import demo as x_demo
from issuance.xcert.completion import Completion
from issuance.xcert.signing import token_hash
from tests.webserver import EVALUATOR_PHONE, HEAD_PHONE, Live, LiveThread, csrf_of

ADMIN_PHONE = "13600000009"
CLERK_PHONE = "13900000011"  # 张秀英, 经办人 of 福建省技师学院 (FJ-JSXY)
OWN_SCHOOL, OTHER_SCHOOL = grad_demo.SCHOOLS[0][0], grad_demo.SCHOOLS[1][0]
GRAD_HEADER = (
    "姓名,身份证号,性别,所属院校,专业代码,专业名称,培养层次,入学时间,毕业时间,学制,学习方式\n"
)


def number(index: int) -> str:
    first17 = f"35010220060101{index * 2 + 1:03d}"
    return first17 + check_character(first17)


def graduate_line(index: int, school: str = OWN_SCHOOL, id_number: str = "") -> str:
    cells = (
        f"新生{index}",
        id_number or number(index),
        "男",
        school,
        "0402",
        "数控加工",
        "高级工班",
        "202209",
        "202506",
        "3",
        "全日制",
    )
    return ",".join(cells) + "\n"


@pytest.fixture
async def grad_live(live: Live) -> AsyncIterator[Live]:
    await grad_demo.load(live.issuance)
    yield live


async def person(live: Live, phone: str) -> Person:
    found = await live.store.person_by_ref(phone)
    assert found is not None
    return found


async def link_for(live: Live, phone: str, channel: str = Channel.TELEGRAM) -> UploadLink:
    return await start_upload(live.issuance, await person(live, phone), channel)


def path_of(link: UploadLink) -> str:
    return urlsplit(link.url).path


async def send(
    client: httpx.AsyncClient, link: UploadLink, kind: str, name: str, data: bytes
) -> httpx.Response:
    page = await client.get(path_of(link))
    assert page.status_code == 200, page.text
    return await client.post(
        path_of(link),
        data={"csrf": csrf_of(page), "kind": kind},
        files={"file": (name, data, "text/csv")},
    )


async def graduates_of(live: Live, school: str) -> int:
    org = (await live.store.grad_orgs_by_code([school]))[school]
    return sum((await live.store.graduate_counts(org.id, None)).values())


async def notices(live: Live) -> list[str]:
    items = await live.store.claim_outbox(20, lease=timedelta(minutes=1))
    return [(await rendered(live.store, item)).payload["text"] for item in items]


# Store and use case level


async def test_a_link_is_bound_to_its_person_and_kinds_and_only_its_hash_is_stored(
    grad_live: Live,
) -> None:
    link = await link_for(grad_live, CLERK_PHONE)
    token = path_of(link).rsplit("/", 1)[1]
    stored = await grad_live.store.upload_link_by_token_hash(token_hash(token))
    assert stored is not None and stored.status == "open"
    assert stored.person_id == (await person(grad_live, CLERK_PHONE)).id
    assert stored.kinds == (
        UploadKind.GRADUATES,
        UploadKind.QUALIFICATIONS,
        UploadKind.EMPLOYMENT,
        UploadKind.GRADES,
    )
    rows = await grad_live.store._all("SELECT token_hash FROM upload_link")
    assert [r["token_hash"] for r in rows] == [token_hash(token)]
    assert link.qr_png.startswith(b"\x89PNG")


async def test_a_link_works_once_and_not_after_it_expired(grad_live: Live) -> None:
    store = grad_live.store
    first = await link_for(grad_live, CLERK_PHONE)
    stored = await store.upload_link_by_token_hash(token_hash(path_of(first).rsplit("/")[-1]))
    assert stored is not None
    assert await store.use_upload_link(stored.id) is True
    assert await store.use_upload_link(stored.id) is False
    with pytest.raises(Conflict, match=t("upload.used")):
        await open_upload(grad_live.issuance, path_of(first).rsplit("/")[-1])

    second = await link_for(grad_live, CLERK_PHONE)
    token = path_of(second).rsplit("/")[-1]
    grad_live.clock.advance(grad_live.settings.web_upload_link_minutes + 1)
    later = await store.upload_link_by_token_hash(token_hash(token))
    assert later is not None and await store.use_upload_link(later.id) is False
    with pytest.raises(Conflict, match=t("upload.expired")):
        await open_upload(grad_live.issuance, token)
    with pytest.raises(NotFound):
        await open_upload(grad_live.issuance, token[:-2] + "xx")


async def test_each_role_gets_only_its_own_kinds(grad_live: Live) -> None:
    assert kinds_for(await person(grad_live, EVALUATOR_PHONE)) == (
        UploadKind.RESULTS,
        UploadKind.PROBLEMS,
    )
    assert kinds_for(await person(grad_live, HEAD_PHONE)) == (UploadKind.PROBLEMS,)
    assert kinds_for(await person(grad_live, CLERK_PHONE))[0] == UploadKind.GRADUATES
    approver = await person(grad_live, "13900000001")
    assert kinds_for(approver) == ()
    with pytest.raises(Forbidden):
        await start_upload(grad_live.issuance, approver, Channel.TELEGRAM)


# The page over HTTP


async def test_a_good_graduates_file_is_imported_and_reported_on_the_page_and_in_chat(
    grad_live: Live, client: httpx.AsyncClient
) -> None:
    before = await graduates_of(grad_live, OWN_SCHOOL)
    link = await link_for(grad_live, CLERK_PHONE)
    page = await client.get(path_of(link))
    assert "张秀英" in page.text and t("upload.kind.graduates") in page.text
    assert page.headers["cache-control"] == "no-store"

    data = (GRAD_HEADER + graduate_line(1) + graduate_line(2)).encode()
    done = await send(client, link, "graduates", "毕业生.csv", data)

    assert done.status_code == 200, done.text
    assert t("upload.counts.graduates", imported=2, corrected=0, warnings=0) in done.text
    assert await graduates_of(grad_live, OWN_SCHOOL) == before + 2
    (chat,) = await notices(grad_live)
    assert t("upload.chat.done", kind=t("upload.kind.graduates")) in chat
    again = await client.get(path_of(link))
    assert again.status_code == 410 and t("upload.used") in again.text


async def test_a_bad_file_imports_nothing_and_lists_every_bad_row(
    grad_live: Live, client: httpx.AsyncClient
) -> None:
    before = await graduates_of(grad_live, OWN_SCHOOL)
    link = await link_for(grad_live, CLERK_PHONE)
    data = (GRAD_HEADER + graduate_line(1) + graduate_line(2, id_number="123")).encode()

    done = await send(client, link, "graduates", "bad.csv", data)

    assert done.status_code == 422
    assert "第 3 行，列 身份证号：" in done.text
    assert t("upload.page.refused_title") in done.text
    assert await graduates_of(grad_live, OWN_SCHOOL) == before
    (chat,) = await notices(grad_live)
    assert "第 3 行，列 身份证号：" in chat and "未导入任何数据" in chat


async def test_another_schools_graduate_is_a_bad_row_and_nothing_is_imported(
    grad_live: Live, client: httpx.AsyncClient
) -> None:
    own, other = (
        await graduates_of(grad_live, OWN_SCHOOL),
        await graduates_of(grad_live, OTHER_SCHOOL),
    )
    link = await link_for(grad_live, CLERK_PHONE)
    data = (GRAD_HEADER + graduate_line(1) + graduate_line(2, school=OTHER_SCHOOL)).encode()

    done = await send(client, link, "graduates", "mixed.csv", data)

    assert done.status_code == 422
    assert "第 3 行，列 所属院校：" in done.text
    assert await graduates_of(grad_live, OWN_SCHOOL) == own
    assert await graduates_of(grad_live, OTHER_SCHOOL) == other


async def test_expired_reused_forged_and_foreign_kind_links_are_refused(
    grad_live: Live, client: httpx.AsyncClient
) -> None:
    forged = await client.get("/upload/not-a-real-token")
    assert forged.status_code == 404 and t("upload.unknown") in forged.text

    link = await link_for(grad_live, CLERK_PHONE)
    wrong_kind = await send(client, link, "results", "x.csv", b"a,b\n")
    assert wrong_kind.status_code == 422 and t("upload.kind_not_allowed") in wrong_kind.text
    template = await client.get(f"{path_of(link)}/template/results")
    assert template.status_code == 403

    grad_live.clock.advance(grad_live.settings.web_upload_link_minutes + 1)
    expired = await client.get(path_of(link))
    assert expired.status_code == 410 and t("upload.expired") in expired.text
    refused = await client.post(path_of(link), files={"file": ("a.csv", b"x")})
    assert refused.status_code == 410


async def test_a_post_without_the_csrf_token_imports_nothing(
    grad_live: Live, client: httpx.AsyncClient
) -> None:
    before = await graduates_of(grad_live, OWN_SCHOOL)
    link = await link_for(grad_live, CLERK_PHONE)
    await client.get(path_of(link))
    data = (GRAD_HEADER + graduate_line(1)).encode()
    refused = await client.post(
        path_of(link), data={"kind": "graduates"}, files={"file": ("g.csv", data)}
    )
    assert refused.status_code == 403
    assert await graduates_of(grad_live, OWN_SCHOOL) == before
    assert (await client.get(path_of(link))).status_code == 200  # the link is still unused


async def test_the_template_has_chinese_headers_an_example_and_id_columns_as_text(
    grad_live: Live, client: httpx.AsyncClient
) -> None:
    link = await link_for(grad_live, CLERK_PHONE)
    answer = await client.get(f"{path_of(link)}/template/graduates")
    assert answer.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None
    headers = [c.value for c in sheet[1]]
    assert headers[:4] == ["姓名", "身份证号", "性别", "所属院校"]
    assert sheet.cell(2, 2).value == "11010519491231002X"
    assert sheet.cell(2, 2).number_format == "@" and sheet.cell(50, 2).number_format == "@"
    assert sheet.cell(2, 1).number_format != "@"


async def test_an_evaluator_uploads_results_of_their_own_organization(
    grad_live: Live, client: httpx.AsyncClient
) -> None:
    link = await link_for(grad_live, EVALUATOR_PHONE)
    school, issuer = x_demo.SCHOOL[0], x_demo.ISSUER[0]
    header = (
        "学生姓名,身份证号,学生类型,所属院校,证书名称,证书等级,颁证机构,考试计划,考核站点,考核状态"
    )
    cells = ("新学员", number(7), "院校学生", school, x_demo.PROGRAM, "中级", issuer)
    row = ",".join((*cells, "2025年新计划", school, "已通过"))

    done = await send(client, link, "results", "results.csv", f"{header}\n{row}\n".encode())

    assert done.status_code == 200, done.text
    assert t("upload.counts.results", imported=1) in done.text


async def test_an_evaluators_row_of_another_issuer_is_a_bad_row_and_nothing_is_imported(
    grad_live: Live, client: httpx.AsyncClient
) -> None:
    await grad_live.store.insert_orgs([("E-OTHER", "另一评价组织", "培训评价组织", "110108", None)])
    link = await link_for(grad_live, EVALUATOR_PHONE)
    school = x_demo.SCHOOL[0]
    header = (
        "学生姓名,身份证号,学生类型,所属院校,证书名称,证书等级,颁证机构,考试计划,考核站点,考核状态"
    )
    cells = ("别家学员", number(8), "院校学生", school, "别家证书", "初级", "E-OTHER")
    row = ",".join((*cells, "别家计划", school, "已通过"))

    done = await send(client, link, "results", "results.csv", f"{header}\n{row}\n".encode())

    assert done.status_code == 422
    assert f"第 2 行，列 颁证机构：{t('import.not_own_issuer')}" in done.text
    assert await grad_live.store.students_by_id_number([number(8)]) == {}


async def test_an_evaluator_uploads_the_corrected_student_info_list_they_sent_out(
    grad_live: Live, client: httpx.AsyncClient
) -> None:
    evaluator = await person(grad_live, EVALUATOR_PHONE)
    (problem,) = await Completion(grad_live.issuance).flag(evaluator, [15], "name", "姓名有误")
    link = await link_for(grad_live, EVALUATOR_PHONE)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["问题编号", "更正值"])
    sheet.append([str(problem.id), "更正名"])
    data = io.BytesIO()
    book.save(data)

    done = await send(client, link, "problems", "清单.xlsx", data.getvalue())

    assert done.status_code == 200, done.text
    assert t("upload.counts.problems", imported=1) in done.text
    (record,) = await grad_live.store.records_by_ids([15])
    assert record.student_name == "更正名"
    assert await grad_live.store.problems(site_id=problem.site_id) == []


async def test_an_administrator_uploads_organizations_then_their_people(
    grad_live: Live, client: httpx.AsyncClient
) -> None:
    admin = await Accounts(grad_live.issuance).add_admin(ADMIN_PHONE, "王管理")
    assert kinds_for(admin) == (UploadKind.ORGS, UploadKind.PEOPLE)
    province = (await grad_live.store.departments())[0]
    orgs = "机构代码,机构名称,机构类型,行政区划代码,上级机构代码,办学层次,学校序号,终审\n"
    orgs += f"T-NEW,新建技工学校,技工院校,350100,{province.code},技工学校,077,\n"
    link = await link_for(grad_live, ADMIN_PHONE)
    done = await send(client, link, "orgs", "机构.csv", orgs.encode())
    assert done.status_code == 200, done.text
    assert t("upload.counts.orgs", imported=1) in done.text

    people = "姓名,手机号,所属机构代码,角色,职务\n新经办,13700000077,T-NEW,经办人,教务\n"
    people += "坏号码,12345,T-NEW,负责人,\n"
    link = await link_for(grad_live, ADMIN_PHONE)
    refused = await send(client, link, "people", "人员.csv", people.encode())
    assert refused.status_code == 422 and "第 3 行，列 手机号：" in refused.text
    assert await grad_live.store.person_by_ref("13700000077") is None

    link = await link_for(grad_live, ADMIN_PHONE)
    good = people.splitlines()[0] + "\n" + people.splitlines()[1] + "\n"
    done = await send(client, link, "people", "人员.csv", good.encode())
    assert done.status_code == 200, done.text
    assert t("upload.counts.people", imported=1) in done.text
    clerk = await person(grad_live, "13700000077")
    assert clerk.org_name == "新建技工学校" and kinds_for(clerk)[0] == UploadKind.GRADUATES
    chats = await notices(grad_live)
    assert t("upload.chat.done", kind=t("upload.kind.people")) in chats[-1]


async def test_an_administrators_templates_have_the_import_headers(
    grad_live: Live, client: httpx.AsyncClient
) -> None:
    await Accounts(grad_live.issuance).add_admin(ADMIN_PHONE, "王管理")
    link = await link_for(grad_live, ADMIN_PHONE)
    page = await client.get(path_of(link))
    assert t("upload.kind.orgs") in page.text and t("upload.kind.people") in page.text
    for kind, first in (("orgs", "机构代码"), ("people", "姓名")):
        answer = await client.get(f"{path_of(link)}/template/{kind}")
        assert answer.status_code == 200
        sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
        assert sheet is not None and sheet.cell(1, 1).value == first
        assert sheet.cell(2, 1).value not in (None, "")
    refused = await client.get(f"{path_of(link)}/template/graduates")
    assert refused.status_code == 403


def chunked_upload(base_url: str, path: str, total: int) -> bytes:
    """POST a multipart file of up to `total` bytes in chunks (no Content-Length); the raw
    response. Sending stops as soon as the server answers."""
    address = urlsplit(base_url)
    boundary = "qianfa-test-boundary"
    chunk = b"a" * 65536
    with socket.create_connection((address.hostname or "", address.port or 80)) as connection:
        connection.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {address.netloc}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file";'
            ' filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
        connection.sendall(b"%x\r\n%s\r\n" % (len(head), head))
        connection.settimeout(0.01)
        sent, answer = 0, b""
        while sent < total and not answer:
            with contextlib.suppress(TimeoutError):
                connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
            with contextlib.suppress(TimeoutError):
                answer = connection.recv(65536)
        connection.settimeout(10)
        with contextlib.suppress(TimeoutError, ConnectionError):
            while b"</html>" not in answer and (more := connection.recv(65536)):
                answer += more
    return answer


class PeakMemory:
    """The process's resident memory above where it was at the start, sampled in a thread."""

    def __init__(self) -> None:
        self.start = self.peak = _rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss())

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def growth(self) -> int:
        return self.peak - self.start


def _rss() -> int:
    status = Path("/proc/self/status").read_text()
    (line,) = [line for line in status.splitlines() if line.startswith("VmRSS:")]
    return int(line.split()[1]) * 1024


@pytest.mark.one_database
def test_an_oversize_chunked_upload_is_refused_on_the_stream_with_memory_flat(
    tmp_path: Path,
) -> None:
    total = MAX_FILE_BYTES + 8 * 2**20
    with LiveThread(tmp_path) as running:
        live = running.value
        assert live is not None
        link = running.call(lambda live: link_for(live, EVALUATOR_PHONE))
        with PeakMemory() as memory:
            answer = chunked_upload(live.base_url, path_of(link), total)
        token = path_of(link).rsplit("/")[-1]
        still_open = running.call(lambda live: open_upload(live.issuance, token))

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert t("web.message.too_large.title") in body.decode("utf-8")
    # 72 MiB went through the server in this process; it never held more than a few MiB of it
    assert memory.growth < 16 * 2**20, memory.growth
    assert still_open.link.status == "open"
