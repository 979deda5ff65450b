"""Numbers under concurrent final approvals from several processes: unique, never skipped."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from issuance.core.chain import Act
from issuance.core.idcard import check_character
from issuance.graduation import demo
from tests.cli import sql
from tests.gradworld import UNDER_FINAL_CITY, grad_world

DECLARATIONS = 4
EACH = 25


def id_number(index: int) -> str:
    first17 = f"35010220060101{index:03d}"
    return first17 + check_character(first17)


async def test_concurrent_final_approvals_allocate_unique_numbers(tmp_path: Path) -> None:
    async with grad_world(tmp_path) as world:
        school = world["leader_fuzhou"].org_id
        template = demo.graduates({code: school for code, *_ in demo.SCHOOLS})[0]
        requests = []
        for declaration in range(DECLARATIONS):
            term = f"2025{declaration + 1:02d}"
            first = declaration * EACH
            await world.store.insert_graduates(
                [
                    replace(template, id_number=id_number(n), enrolled="202209", graduated=term)
                    for n in range(first, first + EACH)
                ]
            )
            request_id, _ = await world.grad.declare(UNDER_FINAL_CITY, term)
            await world.grad.act(world["leader_fuzhou"], request_id, Act.CONFIRM)
            requests.append(request_id)
        approver = world["fuzhou"].phone
    command = [sys.executable, "-m", "qianfa", "--home", str(tmp_path), "grad", "approve"]
    processes = [
        subprocess.Popen(
            [*command, str(request_id), "--by", approver],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for request_id in requests
    ]
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()
    rows = sql(tmp_path, "SELECT cert_no FROM graduate WHERE cert_no IS NOT NULL")
    numbers = [row[0] for row in rows]
    assert len(numbers) == DECLARATIONS * EACH == len(set(numbers))
    assert all(len(n) == 19 and n.isdigit() for n in numbers)
    assert sorted(int(n[-4:]) for n in numbers) == list(range(1, DECLARATIONS * EACH + 1))
