"""`qianfa admin add PHONE --name NAME [--org ORG]`: the first administrator (管理员), once at
set-up; from then on administrators invite, list bindings and unbind people in chat."""

from __future__ import annotations

import argparse
from typing import Any

from issuance.accounts import Accounts
from issuance.core.catalog import t
from issuance.core.settings import Settings
from issuance.xcert.service import Issuance
from qianfa.helptext import help_text
from qianfa.operations import home_store


async def cmd_admin_add(args: argparse.Namespace, settings: Settings) -> tuple[Any, str]:
    async with home_store(settings) as store:
        person = await Accounts(Issuance(store, settings)).add_admin(
            args.phone, args.name, args.org
        )
    result = {"id": person.id, "name": person.name, "phone": person.phone, "org": person.org_name}
    text = t("admin.cli.added", name=person.name, phone=person.phone, org=person.org_name)
    return result, text


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """`qianfa admin add`."""
    p = sub.add_parser("admin", parents=[common], help=help_text("help.admin"))
    admin_sub = p.add_subparsers(
        dest="admin_command", required=True, title=help_text("help.commands")
    )
    p = admin_sub.add_parser("add", parents=[common], help=help_text("help.admin.add"))
    p.add_argument("phone", help=help_text("help.admin.phone"))
    p.add_argument("--name", required=True, help=help_text("help.admin.name"))
    p.add_argument("--org", help=help_text("help.admin.org"))
    p.set_defaults(func=cmd_admin_add)
