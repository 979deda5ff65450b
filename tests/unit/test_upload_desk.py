"""The chat's side of the upload page: the link's screen and the report notices, per locale."""

from __future__ import annotations

from issuance.chat.notices import screen
from issuance.chat.upload_desk import link_screen
from issuance.core.notices import Notice, NoticeKind
from issuance.core.uploads import UploadKind
from issuance.uploads import UploadLink


def test_the_link_screen_names_the_kinds_and_opens_the_page() -> None:
    link = UploadLink(1, "https://q.example.cn/upload/t", "x", tuple(UploadKind)[:2], b"")
    zh = link_screen(link, 15).render("zh")
    en = link_screen(link, 15).render("en")
    assert zh.text.startswith("📤 上传文件：考核结果、学生信息更正清单") and "15 分钟" in zh.text
    assert en.text.startswith("📤 Upload a file: exam results, corrected student-info list")
    assert zh.buttons == [[{"text": "打开上传页面", "url": "https://q.example.cn/upload/t"}]]


def test_a_refused_upload_lists_its_rows_and_says_how_many_more() -> None:
    errors = [{"row": 3, "column": "身份证号", "message": "校验位错误"}]
    params = {"kind": "graduates", "counts": {}, "errors": errors, "count": 4}
    text = screen(Notice(NoticeKind.UPLOAD_REFUSED, 1, params=params)).render("zh").text
    assert "毕业生名单有 4 处错误，未导入任何数据" in text
    assert "第 3 行，列 身份证号：校验位错误" in text and "另有 3 处错误" in text


def test_an_unreadable_file_and_an_import_are_reported() -> None:
    failed = {"kind": "grades", "counts": {}, "failure": "文件过大"}
    done = {"kind": "grades", "counts": {"imported": 5, "replaced": 1}}
    refused = screen(Notice(NoticeKind.UPLOAD_REFUSED, 1, params=failed)).render("zh").text
    imported = screen(Notice(NoticeKind.UPLOAD_DONE, 1, params=done)).render("zh").text
    assert refused == "⚠️ 上传的成绩无法读取，未导入任何数据：文件过大"
    assert imported == "✅ 上传成功（成绩）\n已导入 5 条成绩，其中 1 条替换了原成绩"
