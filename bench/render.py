"""Render 500 certificates with stamps and print certificates per second and peak RSS.

Run from the repository root: `.venv/bin/python -m bench.render`.
"""

from __future__ import annotations

import resource
import time
from dataclasses import replace

from issuance.formats.certificate import DEFAULT_TEMPLATE, load_template, render
from issuance.formats.stamp_image import prepare_stamp
from tests.pictures import drawn_stamp, sample_certificate

COUNT = 500


def main() -> None:
    """Warm up once (font registration, border), then time COUNT distinct certificates."""
    template = load_template(DEFAULT_TEMPLATE)
    base = replace(
        sample_certificate(),
        cert_no="15600031015610012000000",
        verify_url="https://qianfa.example.cn/verify/15600031015610012000000",
        school_stamp_png=prepare_stamp(drawn_stamp(400, 400)),
        issuer_seal_png=prepare_stamp(drawn_stamp(500, 480)),
    )
    render(base, template)
    names = ["朱鹏飞", "李娜", "欧阳文静", "王小明", "张伟"]
    certificates = [
        replace(
            base,
            cert_no=f"156000310156100120{i:05d}",
            student_name=names[i % len(names)],
            verify_url=f"https://qianfa.example.cn/verify/156000310156100120{i:05d}",
        )
        for i in range(COUNT)
    ]
    start = time.perf_counter()
    total_bytes = sum(len(render(cert, template)) for cert in certificates)
    elapsed = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{COUNT} certificates in {elapsed:.2f} s: {COUNT / elapsed:.0f} certificates/s, "
        f"{total_bytes / COUNT / 1024:.0f} KiB each, peak RSS {peak_mib:.0f} MiB"
    )


if __name__ == "__main__":
    main()
