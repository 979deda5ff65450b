"""Certificates end to end: confirmed records in SQLite or PostgreSQL → worker → PDFs read back."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from issuance.core.records import RecordFilter
from issuance.core.settings import Settings, load_settings, write_initial_config
from issuance.store import Store
from issuance.xcert import demo
from issuance.xcert.archive import RECORDS_NAME, write_batch_archives
from issuance.xcert.service import Issuance
from issuance.xcert.signing import certificate_link
from tests.workload import people
from worker.jobs import render_certificates
from worker.serve import render_pool

CONFIRMED = RecordFilter(status="确认签发")


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPoolExecutor]:
    executor = render_pool(load_settings(Path("/nonexistent"), environ={}))
    yield executor
    executor.shutdown()


@pytest.fixture
def settings(tmp_path: Path, database: str) -> Settings:
    return load_settings(
        tmp_path,
        environ={
            "QIANFA_SECRET_KEY": "test-secret",
            "QIANFA_PUBLIC_URL": "https://qf.example.cn",
            "QIANFA_DATABASE_URL": database,
        },
    )


@pytest.fixture
async def issuance(settings: Settings) -> AsyncIterator[Issuance]:
    store = await Store.open(settings.database)
    issuance = Issuance(store, settings)
    await demo.load(issuance)
    yield issuance
    await store.close()


def _run(*args: str | Path, env: dict[str, str] | None = None) -> str:
    command = [str(a) for a in args]
    return subprocess.run(command, check=True, capture_output=True, env=env, text=True).stdout


async def test_each_confirmed_record_gets_one_pdf_matching_its_recorded_sha256(
    issuance: Issuance, settings: Settings, pool: ProcessPoolExecutor
) -> None:
    store = issuance.store
    assert await render_certificates(store, settings, pool) == 14
    assert await render_certificates(store, settings, pool) == 0
    files = await store.certificate_files()
    confirmed = await store.records(CONFIRMED)
    assert sorted(f.record_id for f in files) == sorted(r.id for r in confirmed)
    for f in files:
        data = (settings.home / f.path).read_bytes()
        assert data.startswith(b"%PDF") and hashlib.sha256(data).hexdigest() == f.sha256
    on_disk = sorted(p.relative_to(settings.home).as_posix() for p in settings.home.rglob("*.pdf"))
    assert on_disk == sorted(f.path for f in files)
    assert list(settings.home.rglob("*.tmp")) == []
    assert await store.certificate_job_counts() == {"done": 14}


async def test_certificate_from_the_database_reads_back_with_poppler_and_zxing(
    issuance: Issuance, settings: Settings, pool: ProcessPoolExecutor, tmp_path: Path
) -> None:
    store = issuance.store
    await render_certificates(store, settings, pool)
    record = (await store.records(CONFIRMED))[0]
    certificate = await store.certificate_of(record.id)
    assert certificate is not None
    pdf = settings.home / certificate.path

    fonts = _run("pdffonts", pdf).splitlines()[2:]
    assert fonts and all(row.split()[-5:-3] == ["yes", "yes"] for row in fonts), fonts

    text = _run("pdftotext", pdf, "-")
    for value in (
        record.student_name,
        record.id_number,
        record.cert_no,
        record.program,
        record.level,
        record.issuer_name,
        record.site_name,
        "职业技能等级证书",
    ):
        assert value in text, value

    images = _run("pdfimages", "-list", pdf).splitlines()[2:]
    # The school's stamp and the demo evaluator's seal (颁证机构（盖章）).
    assert [row.split()[2] for row in images] == ["image", "smask", "image", "smask"]

    info = dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition(":") for line in _run("pdfinfo", pdf).splitlines())
    )
    assert info["Creator"] == "Qianfa"
    created = _run("pdfinfo", "-isodates", pdf).split("CreationDate:")[1].split()[0]
    assert datetime.fromisoformat(created).date() == store.now().date()  # rendered today

    _run("pdftoppm", "-r", "150", "-png", "-singlefile", pdf, tmp_path / "page")
    found = zxingcpp.read_barcodes(Image.open(tmp_path / "page.png"))
    link = certificate_link(settings, record.cert_no, record.id_number)
    assert link.startswith(f"https://qf.example.cn/c/{record.cert_no}?t=")
    assert [b.text for b in found if b.format == zxingcpp.BarcodeFormat.QRCode] == [link]


async def test_verification_shows_the_certificate_file_sha256(
    issuance: Issuance, settings: Settings, pool: ProcessPoolExecutor
) -> None:
    record = (await issuance.store.records(CONFIRMED))[0]
    before = await issuance.verify(record.cert_no, record.id_number)
    assert before.status == "valid" and before.sha256 is None
    await render_certificates(issuance.store, settings, pool)
    after = await issuance.verify(record.cert_no, record.id_number)
    certificate = await issuance.store.certificate_of(record.id)
    assert certificate is not None and after.sha256 == certificate.sha256


async def test_records_confirmed_later_are_rendered_on_a_later_tick(
    issuance: Issuance, settings: Settings, pool: ProcessPoolExecutor
) -> None:
    store = issuance.store
    await render_certificates(store, settings, pool)
    _, head, _ = await people(issuance)
    png, strokes = demo.signature_png(5)
    signature = await store.add_signature(head.id, png, hashlib.sha256(png).hexdigest(), strokes)
    await issuance.confirm(head, [15, 16, 17], signature)
    assert await render_certificates(store, settings, pool) == 3
    assert len(await store.certificate_files()) == 17


async def test_a_claim_taken_over_after_its_lease_cannot_record_its_result(
    issuance: Issuance,
) -> None:
    store = issuance.store
    await store.discover_certificate_jobs()
    first = await store.claim_certificate_jobs(2, timedelta(0))
    second = await store.claim_certificate_jobs(2, timedelta(minutes=5))
    assert [c.record_id for c in second] == [c.record_id for c in first]
    assert await store.current_claims(first) == set()
    assert await store.current_claims(second) == {c.record_id for c in second}
    assert await store.claim_certificate_jobs(2, timedelta(minutes=5)) != second


async def test_batch_archive_splits_under_the_limit_and_holds_every_pdf_and_the_xlsx(
    issuance: Issuance, settings: Settings, pool: ProcessPoolExecutor, tmp_path: Path
) -> None:
    store = issuance.store
    await render_certificates(store, settings, pool)
    files = {f.sha256 for f in await store.certificate_files()}
    limit = 300 * 1024
    paths = await write_batch_archives(store, settings, 1, tmp_path / "out", part_limit=limit)
    assert len(paths) > 1
    assert paths[0].name == "batch-1-certificates.zip"
    assert paths[1].name == "batch-1-certificates.part2.zip"
    names, hashes = [], set()
    for path in paths:
        assert path.stat().st_size <= limit
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                names.append(info.filename)
                if info.filename.endswith(".pdf"):
                    hashes.add(hashlib.sha256(archive.read(info)).hexdigest())
    assert names[0] == RECORDS_NAME
    assert len(names) == 15 and hashes == files
    records = await store.records(CONFIRMED)
    assert sorted(names[1:]) == sorted(f"{r.cert_no}_{r.student_name}.pdf" for r in records)


async def test_cli_exports_a_batch_of_certificates(
    issuance: Issuance, settings: Settings, pool: ProcessPoolExecutor
) -> None:
    await render_certificates(issuance.store, settings, pool)
    write_initial_config(settings.home)  # the command line needs a home with a configuration
    out = settings.home / "exports" / "batch1.zip"
    command = [
        sys.executable,
        "-m",
        "qianfa",
        "export",
        "certificates",
        "--batch",
        "1",
        "--out",
        str(out),
        "--json",
        "--home",
        str(settings.home),
    ]
    result = json.loads(
        _run(*command, env={**os.environ, "QIANFA_DATABASE_URL": settings.database_url})
    )
    assert result == {"files": [str(out)], "certificates": 14, "missing": 0}
    with zipfile.ZipFile(out) as archive:
        assert len(archive.namelist()) == 15
