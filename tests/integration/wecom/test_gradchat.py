"""打印 on WeCom, as a transcript: the approved notice's card, the print PDF as a WeCom file and
its preview as an image (each followed by its caption), the calibration page from 打印; another
school's clerk is refused; 查验 asks which kind and looks a graduation certificate up. SQLite
only (a chat test)."""

from __future__ import annotations

import io
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from issuance.core.chain import Act
from issuance.core.people import Invite
from issuance.graduation import demo
from issuance.graduation.demo import PER_SCHOOL, TERM
from issuance.graduation.service import Graduation
from issuance.xcert.service import Issuance
from tests.fakewecom import FakeWeCom
from tests.gradworld import NAMES, UNDER_FINAL_CITY
from tests.wecomworld import World, wecom_world


async def load_graduation(issuance: Issuance) -> list[Invite]:
    invites, _ = await demo.load(issuance)
    return invites


@pytest.fixture
async def grad(tmp_path: Path, fake: FakeWeCom) -> AsyncIterator[World]:
    async with wecom_world(tmp_path, fake, load=load_graduation) as world:
        for invite in world.invites:
            name = NAMES[invite.person.phone]
            fake.members.add(name)
            await world.issuance.bind(invite.code, "wecom", name, None)
        yield world


def pdf_text(data: bytes, path: Path) -> str:
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


async def test_the_clerk_prints_on_wecom_with_a_preview(grad: World, tmp_path: Path) -> None:
    world = grad
    graduation = Graduation(world.store, world.settings)
    request_id, _ = await graduation.declare(UNDER_FINAL_CITY, TERM)
    for phone in ("13900000022", "13900000004"):  # the school's 校领导, then 福州 (final)
        actor = await world.store.person_by_ref(phone)
        assert actor is not None
        await graduation.act(actor, request_id, Act.CONFIRM)
    school = await graduation.school(UNDER_FINAL_CITY)
    numbered = await world.store.numbered_graduates(school.id, TERM)

    told, card = await world.fake.next_messages("clerk_fuzhou", 0, 2)
    assert "已审批" in told.text and "打印 2025年6月" in card.buttons
    refused = await world.click("clerk_quanzhou", card, "打印 2025年6月", replies=1)
    assert "您不是该学校的经办人" in refused[0].text

    preparing, pdf, pdf_caption, image, image_caption = await world.click(
        "clerk_fuzhou", card, "打印 2025年6月", replies=5
    )
    assert "正在生成" in preparing.text
    assert (pdf.msgtype, image.msgtype) == ("file", "image")
    name, data = world.fake.media(pdf)
    assert name.endswith("毕业证打印.pdf") and f"{PER_SCHOOL} 页" in pdf_caption.text
    text = pdf_text(data, tmp_path / "print.pdf")
    assert all(row.cert_no in text for row in numbered)
    _, png = world.fake.media(image)
    with Image.open(io.BytesIO(png)) as preview:
        assert preview.format == "PNG" and preview.width > 1000
        assert len(preview.convert("RGB").getcolors(1 << 24) or []) > 10
    assert numbered[0].name in image_caption.text and "核对" in image_caption.text

    listing, buttons = await world.say("clerk_fuzhou", "打印", replies=2)
    assert "2025年6月：12 人" in listing.text and "校准页" in buttons.buttons
    page, caption = await world.click("clerk_fuzhou", buttons, "校准页", replies=2)
    _, calibration = world.fake.media(page)
    assert "按 100% 打印" in pdf_text(calibration, tmp_path / "calibration.pdf")
    assert "校准页" in caption.text

    which, kinds = await world.say("distributor", "查验", replies=2)
    assert "请选择要查验的证书种类" in which.text
    (ask,) = await world.click("distributor", kinds, "毕业证", replies=1)
    assert "毕业证书编号和姓名" in ask.text
    first = numbered[0]
    (valid,) = await world.say("distributor", f"{first.cert_no} {first.name}")
    assert "毕业证书有效" in valid.text and first.name not in valid.text
