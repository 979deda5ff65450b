"""Demo data mirroring the platform guide's screenshot: 61 passed students, 47 + 14."""

from __future__ import annotations

import hashlib
import io
import json
import math
import random
from functools import cache

from PIL import Image, ImageDraw, ImageFont

from issuance.core.idcard import check_character
from issuance.core.people import Invite, OrgKind, Person, Role
from issuance.formats.stamp_image import prepare_stamp
from issuance.xcert.importing import ResultRow
from issuance.xcert.service import Issuance

ISSUER = ("91110108MA01ZCJY5X", "中船教育科技(北京)有限公司")
SCHOOL = ("21020000000000000000", "辽宁示范船舶职业技术学院")
PROGRAM = "特殊焊接技术职业技能等级证书"
PLAN = "2020年7月考试计划特殊焊接技术职业技能等级证书初级"
NUMBER_PATTERN = "156000310156100120{seq:05d}"
PEOPLE = (
    ("王建国", "13800000001", ISSUER[0], Role.SIGNER, "证书部主任"),
    ("李明华", "13800000002", SCHOOL[0], Role.HEAD, "副校长"),
    ("赵晓燕", "13800000003", SCHOOL[0], Role.STAFF, "教务处干事"),
)
# (name, region, last four) of the guide's three visible rows, at numbers 43, 44 and 45.
_GUIDE_ROWS = {
    43: ("折海威", "612722", "5873"),
    44: ("杨刚", "610121", "5092"),
    45: ("朱鹏飞", "610114", "1011"),
}
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力斌宇浩凯鹏飞海波宁"
_CONFIRMED_BY_SCHOOL = 14
_FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)


def _id_number(rng: random.Random, region: str, last_four: str | None) -> str:
    """A valid ID number born 2000–2002 in `region`, ending in `last_four` when given."""
    while True:
        birth = f"{rng.randint(2000, 2002)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        sequence = last_four[:3] if last_four else f"{rng.randint(0, 999):03d}"
        first17 = region + birth + sequence
        check = check_character(first17)
        if last_four is None or check == last_four[3]:
            return first17 + check


def students(seed: int = 2020) -> list[tuple[str, str]]:
    """61 (name, id number) pairs; positions 43–45 are the guide's visible rows."""
    rng = random.Random(seed)
    result = []
    for position in range(1, 62):
        if position in _GUIDE_ROWS:
            name, region, last_four = _GUIDE_ROWS[position]
            result.append((name, _id_number(rng, region, last_four)))
        else:
            name = rng.choice(_SURNAMES) + "".join(rng.choices(_GIVEN, k=rng.randint(1, 2)))
            result.append(
                (
                    name,
                    _id_number(
                        rng, rng.choice(("610114", "610121", "612722", "210202", "210211")), None
                    ),
                )
            )
    return result


# The pictures are drawn (and prepared) once per process: tests load the demo hundreds of times,
# and PNG encoding was most of the time a load took.
@cache
def signature_png(seed: int) -> tuple[bytes, str]:
    """A handwriting-like squiggle and its stroke data, standing in for a signer's pen."""
    rng = random.Random(seed)
    # A pad 200 CSS pixels high at device pixel ratio 1, as the signing page's canvas.
    image = Image.new("RGBA", (600, 200), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    strokes = []
    for stroke in range(3):
        points = []
        for step in range(40):
            x = 60 + stroke * 160 + step * 3.5
            y = 100 + 50 * math.sin(step / 4 + stroke) + rng.uniform(-4, 4)
            points.append([round(x, 1), round(y, 1), step * 16])
        draw.line([(p[0], p[1]) for p in points], fill=(20, 20, 60, 255), width=5)
        strokes.append(points)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue(), json.dumps(strokes)


@cache
def stamp_png(name: str) -> bytes:
    """A square red-bordered signature stamp with the holder's name, on white."""
    image = Image.new("RGB", (300, 300), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((12, 12, 288, 288), outline=(200, 20, 20), width=14)
    font = _font(76)
    for index, char in enumerate(name[:3]):
        draw.text((150, 72 + index * 78), char, fill=(200, 20, 20), font=font, anchor="mm")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@cache
def seal_png(org_name: str) -> bytes:
    """A round red organization seal: the name along the top of the ring, a star in the middle."""
    side = 400
    image = Image.new("RGB", (side, side), "white")
    draw = ImageDraw.Draw(image)
    red = (200, 20, 20)
    draw.ellipse((14, 14, side - 14, side - 14), outline=red, width=14)
    centre, radius = side / 2, side / 2 - 62
    star = [
        (
            centre + (56 if i % 2 == 0 else 22) * math.sin(i * math.pi / 5),
            centre - (56 if i % 2 == 0 else 22) * math.cos(i * math.pi / 5),
        )
        for i in range(10)
    ]
    draw.polygon(star, fill=red)
    chars = org_name[:16]
    font = _font(38)
    spread = math.radians(230)
    for index, char in enumerate(chars):
        angle = -spread / 2 + spread * index / max(1, len(chars) - 1)
        glyph = Image.new("RGBA", (60, 60), (255, 255, 255, 0))
        ImageDraw.Draw(glyph).text((30, 30), char, fill=red, font=font, anchor="mm")
        glyph = glyph.rotate(-math.degrees(angle), resample=Image.Resampling.BICUBIC)
        x = centre + radius * math.sin(angle) - 30
        y = centre - radius * math.cos(angle) - 30
        image.paste(glyph, (round(x), round(y)), glyph)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


async def load(issuance: Issuance) -> list[Invite]:
    """Load the demo data set and walk it to the guide's counts; returns invites for everyone."""
    store = issuance.store
    await store.insert_orgs(
        [
            (ISSUER[0], ISSUER[1], OrgKind.EVALUATOR, "110108", None),
            (SCHOOL[0], SCHOOL[1], OrgKind.SCHOOL, "210200", None),
        ]
    )
    orgs = await store.orgs_by_code([ISSUER[0], SCHOOL[0]])
    await store.insert_people(
        [(name, phone, orgs[org].id, role, title) for name, phone, org, role, title in PEOPLE]
    )
    school, issuer = orgs[SCHOOL[0]].id, orgs[ISSUER[0]].id
    evaluator = await store.person_by_ref(PEOPLE[0][1])
    head = await store.person_by_ref(PEOPLE[1][1])
    assert evaluator is not None and head is not None
    # The evaluator's seal (颁证机构盖章), uploaded by its 签发人 like any stamp.
    seal = _prepared(seal_png(ISSUER[1]))
    await store.save_stamp(issuer, evaluator.id, seal, hashlib.sha256(seal).hexdigest())
    await store.import_results(
        [
            ResultRow(name, number, "院校学生", school, PROGRAM, "初级", issuer, PLAN, school, 1)
            for name, number in students()
        ]
    )
    plan = await store.plan(PLAN)
    assert plan is not None
    await store.set_number_pattern(plan.program_id, NUMBER_PATTERN)
    (batch,) = await issuance.create_lists(PLAN)
    records = await store.records_by_ids(list(range(1, batch.records + 1)))
    await _confirm(issuance, evaluator, [r.id for r in records], seed=1)
    png = _prepared(stamp_png(head.name))  # as an upload through /stamp would be
    await store.save_stamp(school, head.id, png, hashlib.sha256(png).hexdigest())
    await _confirm(issuance, head, [r.id for r in records[:_CONFIRMED_BY_SCHOOL]], seed=2)
    return [await issuance.create_invite(phone) for _, phone, _, _, _ in PEOPLE]


@cache
def _prepared(png: bytes) -> bytes:
    return prepare_stamp(png)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in _FONT_PATHS:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


async def _confirm(issuance: Issuance, signer: Person, record_ids: list[int], seed: int) -> None:
    png, strokes = signature_png(seed)
    signature = await issuance.store.add_signature(
        signer.id, png, hashlib.sha256(png).hexdigest(), strokes
    )
    await issuance.confirm(signer, record_ids, signature)
