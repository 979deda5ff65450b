"""`qianfa orgs` and `qianfa people`: who and what is on file, for every `--school` and `--by`."""

from __future__ import annotations

import argparse
from typing import Any

from issuance.core.catalog import t
from issuance.core.people import ORG_KINDS, ROLES
from issuance.core.settings import Settings
from qianfa.helptext import help_text
from qianfa.operations import home_store

Result = tuple[Any, str]


async def cmd_orgs(args: argparse.Namespace, settings: Settings) -> Result:
    async with home_store(settings) as store:
        rows = await store.directory_orgs(args.kind)
    orgs = [dict(row) for row in rows]
    lines = [t("directory.org_line", **(o | {"parent": o["parent"] or "-"})) for o in orgs]
    return {"orgs": orgs}, "\n".join(lines) or t("directory.none")


async def cmd_people(args: argparse.Namespace, settings: Settings) -> Result:
    async with home_store(settings) as store:
        rows = await store.directory_people(args.org, args.role)
    people = [dict(row) for row in rows]
    lines = [t("directory.person_line", **(p | {"title": p["title"] or ""})) for p in people]
    return {"people": people}, "\n".join(line.rstrip() for line in lines) or t("directory.none")


def directory_lines(orgs: list[dict[str, Any]], people: list[dict[str, Any]]) -> list[str]:
    """What `init --demo` prints: the codes and people every `--school` and `--by` takes."""
    return (
        [t("directory.orgs_head")]
        + [t("directory.org_line", **(o | {"parent": o["parent"] or "-"})) for o in orgs]
        + [t("directory.people_head")]
        + [t("directory.person_line", **(p | {"title": p["title"] or ""})).rstrip() for p in people]
    )


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add `orgs` and `people`."""
    p = sub.add_parser("orgs", parents=[common], help=help_text("help.orgs"))
    p.add_argument("--kind", choices=ORG_KINDS, help=help_text("help.orgs.kind"))
    p.set_defaults(func=cmd_orgs)
    p = sub.add_parser("people", parents=[common], help=help_text("help.people"))
    p.add_argument("--org", help=help_text("help.people.org"))
    p.add_argument("--role", choices=ROLES, help=help_text("help.people.role"))
    p.set_defaults(func=cmd_people)
