"""Render 500 certificates with stamps and print certificates per second and peak RSS.

Run from the repository root: `.venv/bin/python -m bench.render`; with `--compare [--quick]`,
against a naive reportlab script drawing the same page (bench.naive_certificate), alternating.
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable
from dataclasses import replace

from bench import naive_certificate
from bench.compare import Row, alternate, report
from issuance.formats.certificate import (
    DEFAULT_TEMPLATE,
    CertificateView,
    Template,
    load_template,
    render,
)
from issuance.formats.stamp_image import prepare_stamp
from tests.pictures import drawn_stamp, sample_certificate

COUNT = 500


def certificates(count: int) -> list[CertificateView]:
    """`count` distinct certificates with both stamps, as the worker renders them."""
    base = replace(
        sample_certificate(),
        cert_no="15600031015610012000000",
        verify_url="https://qianfa.example.cn/verify/15600031015610012000000",
        school_stamp_png=prepare_stamp(drawn_stamp(400, 400)),
        issuer_seal_png=prepare_stamp(drawn_stamp(500, 480)),
    )
    names = ["朱鹏飞", "李娜", "欧阳文静", "王小明", "张伟"]
    return [
        replace(
            base,
            cert_no=f"156000310156100120{i:05d}",
            student_name=names[i % len(names)],
            verify_url=f"https://qianfa.example.cn/verify/156000310156100120{i:05d}",
        )
        for i in range(count)
    ]


def rate(
    renderer: Callable[[CertificateView, Template], bytes],
    batch: list[CertificateView],
    template: Template,
) -> float:
    """Certificates per second rendering `batch` with `renderer`."""
    start = time.process_time()
    for cert in batch:
        renderer(cert, template)
    return len(batch) / (time.process_time() - start)


def compare(quick: bool) -> int:
    """Qianfa's renderer against the naive script, alternating rounds of the same certificates."""
    template = load_template(DEFAULT_TEMPLATE)
    batch = certificates(100 if quick else 300)
    naive_certificate.register(template)
    naive_certificate.render(batch[0], template)
    render(batch[0], template)
    naive, ours = alternate(
        lambda: rate(render, batch, template),
        lambda: rate(naive_certificate.render, batch, template),
    )
    row = Row("certificate PDF render", "naive reportlab script", naive, ours, "/s", at_least=2)
    return report([row])


def main() -> None:
    """Warm up once (font registration, border), then time COUNT distinct certificates."""
    if "--compare" in sys.argv:
        raise SystemExit(compare("--quick" in sys.argv))
    template = load_template(DEFAULT_TEMPLATE)
    batch = certificates(COUNT)
    render(batch[0], template)
    start = time.process_time()
    total_bytes = sum(len(render(cert, template)) for cert in batch)
    elapsed = time.process_time() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{COUNT} certificates in {elapsed:.2f} s: {COUNT / elapsed:.0f} certificates/s, "
        f"{total_bytes / COUNT / 1024:.0f} KiB each, peak RSS {peak_mib:.0f} MiB"
    )


if __name__ == "__main__":
    main()
