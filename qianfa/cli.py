"""The `qianfa` command line: administration, imports and exports, and running the parts."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sqlite3
import sys
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from issuance.core.catalog import t
from issuance.core.errors import DomainError, Invalid
from issuance.core.files import os_message, output_format, private_files, share_files
from issuance.core.idcard import mask
from issuance.core.logs import configure_logging
from issuance.core.records import RecordFilter
from issuance.core.settings import Settings, SettingsError, load_settings, write_initial_config
from issuance.graduation import qualifications
from issuance.graduation.importing import import_graduates, notes
from issuance.importing import ImportReport
from issuance.store.base import StoreUnavailable, is_refusal
from issuance.store.opening import open_store
from issuance.store.serving import (
    home_of,
    print_error,
    require_config,
    warn_default_public_url,
)
from issuance.xcert.archive import write_batch_archives
from issuance.xcert.exporting import export_records
from issuance.xcert.filters import checked_filter
from issuance.xcert.handout import Handout
from issuance.xcert.importing import import_orgs, import_people, import_results
from issuance.xcert.service import Issuance
from qianfa import admin_cli, database, directory_cli, doctor, grad_cli, handout_cli, logs
from qianfa.helptext import EXPORT_FILTERS, Parser, help_text, record_id
from qianfa.operations import NotValid, home_store, rerender, verify_anchor_and_pages
from qianfa.run import PARTS, run_parts

log = logging.getLogger("qianfa")
Command = Callable[[argparse.Namespace, Settings], Awaitable[tuple[Any, str]]]


async def _open(settings: Settings, create: bool = False) -> Issuance:
    if not create:
        # Only `init` (and `run --demo`) make a home; a wrong --home must not grow a new one.
        require_config(settings.home)
    store = await open_store(settings, create=create)
    return Issuance(store, settings)


async def _with_issuance(
    settings: Settings,
    body: Callable[[Issuance], Awaitable[tuple[Any, str]]],
    create: bool = False,
) -> tuple[Any, str]:
    issuance = await _open(settings, create)
    try:
        return await body(issuance)
    finally:
        await issuance.store.close()


async def cmd_init(args: argparse.Namespace, settings: Settings) -> tuple[Any, str]:
    return await initialize(settings, args.demo)


async def initialize(settings: Settings, demo: bool) -> tuple[Any, str]:
    """Create the home (config, database at the latest schema); with demo, load demo data once."""
    created = write_initial_config(settings.home)
    settings = load_settings(settings.home)

    async def body(issuance: Issuance) -> tuple[Any, str]:
        result: dict[str, Any] = {"home": str(settings.home), "config_created": created}
        lines = [t("cli.init.done", home=settings.home)]
        if demo:
            if await issuance.store.orgs_by_code([demo_data().ISSUER[0]]):
                lines.append(t("cli.init.demo_present"))
                result["demo"] = "present"
            else:
                invites = await demo_data().load(issuance)
                result["demo"] = "loaded"
                result["invites"] = [_invite_json(invite) for invite in invites]
                lines.append(t("cli.init.demo_loaded"))
                lines += [
                    t("cli.init.invite", name=i.person.name, role=i.person.role, code=i.code)
                    for i in invites
                ]
            lines += await _graduation_demo(issuance, result)
            # the codes and people every --school and --by of the demo takes
            orgs = [dict(r) for r in await issuance.store.directory_orgs()]
            people = [dict(r) for r in await issuance.store.directory_people()]
            lines += directory_cli.directory_lines(orgs, people)
        return result, "\n".join(lines)

    return await _with_issuance(settings, body, create=True)


async def _graduation_demo(issuance: Issuance, result: dict[str, Any]) -> list[str]:
    """Load the graduation demo once; its invite codes go with the X-certificate demo's."""
    from issuance.graduation import demo

    if await demo.present(issuance.store):
        return []
    invites, graduates = await demo.load(issuance)
    result["graduation_invites"] = [_invite_json(invite) for invite in invites]
    return [t("grad.cli.demo_loaded", graduates=graduates)] + [
        t("cli.init.invite", name=i.person.name, role=i.person.role, code=i.code) for i in invites
    ]


IMPORTERS: dict[str, Callable[..., Awaitable[ImportReport]]] = {
    "orgs": import_orgs,
    "people": import_people,
    "results": import_results,
    "graduates": import_graduates,
    "qualifications": qualifications.import_qualifications,
    "employment": qualifications.import_employment,
    "grades": qualifications.import_grades,
}


def demo_data() -> Any:
    from issuance.xcert import demo

    return demo


async def cmd_import(args: argparse.Namespace, settings: Settings) -> tuple[Any, str]:
    importer = IMPORTERS[args.kind]
    school = getattr(args, "school", None)
    if school and args.kind not in qualifications.SCHOOL_SCOPED:
        raise Invalid("qual.school_option")
    options = {"school": school} if school else {}

    async def body(issuance: Issuance) -> tuple[Any, str]:
        report = await importer(issuance.store, Path(args.file), **options)
        if report.errors:
            text = "\n".join(str(e) for e in report.errors)
            raise ImportFailed(
                report.as_json(), t("cli.import.failed", count=len(report.errors)), text
            )
        lines = [
            t("cli.import.done", count=report.imported),
            *notes(report),
            *qualifications.notes(report),
        ]
        return report.as_json(), "\n".join(lines)

    return await _with_issuance(settings, body)


class ImportFailed(Exception):
    """An import with bad rows: nothing was written; carries the JSON report."""

    def __init__(self, report: dict[str, Any], summary: str, details: str) -> None:
        super().__init__(summary)
        self.report = report
        self.summary = summary
        self.details = details


async def cmd_list_create(args: argparse.Namespace, settings: Settings) -> tuple[Any, str]:
    async def body(issuance: Issuance) -> tuple[Any, str]:
        batches = await issuance.create_lists(args.plan, args.school)
        result = {"batches": [asdict(b) for b in batches]}
        lines = [t("cli.list.batch", id=b.id, school=b.school, records=b.records) for b in batches]
        return result, "\n".join(lines) or t("cli.list.none")

    return await _with_issuance(settings, body)


async def cmd_status(args: argparse.Namespace, settings: Settings) -> tuple[Any, str]:
    async def body(issuance: Issuance) -> tuple[Any, str]:
        plan_id = None
        if args.plan:
            plan = await issuance.store.plan(args.plan)
            if plan is None:
                raise DomainError("plan.unknown", plan=args.plan)
            plan_id = plan.id
        record_filter = RecordFilter(plan_id=plan_id, site=args.school, batch_id=args.batch)
        checked = await checked_filter(issuance.store, record_filter)
        counts = await issuance.counts(checked)
        counts |= await Handout(issuance.store).counts(checked)
        return counts, "  ".join(f"{status} {n}" for status, n in counts.items())

    return await _with_issuance(settings, body)


async def cmd_export_records(args: argparse.Namespace, settings: Settings) -> tuple[Any, str]:
    record_filter = RecordFilter(
        name=args.name,
        id_number=args.id_number,
        student_type=args.student_type,
        school=args.school,
        cert_no=args.cert_no,
        program=args.program,
        issuer=args.issuer,
        plan=args.plan,
        site=args.site,
        status=args.status,
    )

    async def body(issuance: Issuance) -> tuple[Any, str]:
        checked = await checked_filter(issuance.store, record_filter)
        count = await export_records(
            issuance.store, checked, Path(args.out), output_format(args.out, _TABLES, args.format)
        )
        return {"exported": count, "out": args.out}, t("cli.export.done", count=count, out=args.out)

    return await _with_issuance(settings, body)


async def cmd_export_certificates(args: argparse.Namespace, settings: Settings) -> tuple[Any, str]:
    out = Path(args.out).resolve()
    stem = out.name[: -len(".zip")] if out.name.lower().endswith(".zip") else out.name

    async def body(issuance: Issuance) -> tuple[Any, str]:
        paths = await write_batch_archives(
            issuance.store, settings, args.batch, out.parent, name=stem
        )
        items = await issuance.store.batch_certificates(args.batch)
        made = sum(item.file is not None for item in items)
        files = [str(p) for p in paths]
        lines = [t("worker.archive.done", count=made, files=", ".join(files))]
        if made < len(items):
            lines.append(t("worker.archive.missing", count=len(items) - made))
        result = {"files": files, "certificates": made, "missing": len(items) - made}
        return result, "\n".join(lines)

    return await _with_issuance(settings, body)


_TABLES = ("xlsx", "csv")


async def cmd_invite(args: argparse.Namespace, settings: Settings) -> tuple[Any, str]:
    async def body(issuance: Issuance) -> tuple[Any, str]:
        invite = await issuance.create_invite(args.person)
        text = t(
            "cli.invite.done",
            name=invite.person.name,
            code=invite.code,
            expires=invite.expires_at,
            link=invite.link,
        )
        return _invite_json(invite), text

    return await _with_issuance(settings, body)


def _invite_json(invite: Any) -> dict[str, Any]:
    return {
        "code": invite.code,
        "expires_at": invite.expires_at,
        "link": invite.link,
        "person": invite.person.name,
        "role": invite.person.role,
    }


async def cmd_verify(args: argparse.Namespace, settings: Settings) -> tuple[Any, str]:
    async def body(issuance: Issuance) -> tuple[Any, str]:
        answer = await issuance.verify(args.cert_no, args.id_number)
        result = {k: v for k, v in asdict(answer).items() if v is not None}
        text = t(
            f"cli.verify.{answer.status}",
            **asdict(answer),
            id_number=mask(unicodedata.normalize("NFKC", args.id_number).strip().upper()),
        )
        if answer.status != "valid":
            raise NotValid(result, text)
        return result, text

    return await _with_issuance(settings, body)


async def cmd_void(args: argparse.Namespace, settings: Settings) -> tuple[Any, str]:
    async def body(issuance: Issuance) -> tuple[Any, str]:
        record = await issuance.void(args.cert_no, args.reason)
        result = {"cert_no": record.cert_no, "void_at": record.void_at, "reason": args.reason}
        return result, t("cli.void.done", cert_no=record.cert_no)

    return await _with_issuance(settings, body)


async def cmd_audit_verify(args: argparse.Namespace, settings: Settings) -> tuple[Any, str]:
    async with home_store(settings) as store:
        problem = await Issuance(store, settings).audit_problem()
        entries = await store.audit_entries()
        if problem:
            raise DomainError("cli.audit.broken", id=problem[0], why=problem[1])
        changed = await store.final_digest_problems()
        if changed:
            raise DomainError(
                "audit.final_changed", count=len(changed), rows="; ".join(changed[:5])
            )
        return await verify_anchor_and_pages(store, entries)


async def cmd_rerender(args: argparse.Namespace, settings: Settings) -> tuple[Any, str]:
    async with home_store(settings) as store:
        result = await rerender(store, settings, None if args.all else args.batch)
    return result, t("rerender.done", queued=result["queued"], rendered=result["rendered"])


async def cmd_run(args: argparse.Namespace, settings: Settings) -> tuple[Any, str]:
    if args.demo:
        _, text = await initialize(settings, demo=True)
        print(text, flush=True)
    else:
        require_config(settings.home)
    settings = load_settings(settings.home)
    warn_default_public_url(settings)
    parts = {p for p in PARTS if not getattr(args, f"no_{p}", False)}
    if args.command in PARTS:
        parts = {args.command}
    await run_parts(settings, parts)
    return None, ""


def build_parser() -> argparse.ArgumentParser:
    common = _common_options()
    parser = Parser(prog="qianfa", parents=[common], description=help_text("help.description"))
    parser.add_argument(
        "--version", action="version", version=_version(), help=help_text("help.version")
    )
    sub = parser.add_subparsers(dest="command", required=True, title=help_text("help.commands"))
    _register_setup(sub, common)
    _register_records(sub, common)
    grad_cli.register(sub, common)
    directory_cli.register(sub, common)
    handout_cli.register(sub, common)
    admin_cli.register(sub, common)
    _register_running(sub, common)
    database.register(sub, common)
    doctor.register(sub, common)
    return parser


def _common_options() -> Parser:
    """--home, --json and --verbose, taken before or after any subcommand."""
    common = Parser(add_help=False)
    # SUPPRESS: an option given before the subcommand is not reset by the subparser's default.
    common.add_argument("--home", default=argparse.SUPPRESS, help=help_text("help.home"))
    common.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help=help_text("help.json")
    )
    common.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help=help_text("help.verbose"),
    )
    return common


def _register_setup(sub: Any, common: Parser) -> None:
    """init, import, list create, status."""
    p = sub.add_parser("init", parents=[common], help=help_text("help.init"))
    p.add_argument("--demo", action="store_true", help=help_text("help.init.demo"))
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("import", parents=[common], help=help_text("help.import"))
    p.add_argument("kind", choices=tuple(IMPORTERS), help=help_text("help.import.kind"))
    p.add_argument("file", help=help_text("help.import.file"))
    p.add_argument("--school", help=help_text("help.import.school"))
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("list", parents=[common], help=help_text("help.list"))
    list_sub = p.add_subparsers(
        dest="list_command", required=True, title=help_text("help.commands")
    )
    p = list_sub.add_parser("create", parents=[common], help=help_text("help.list.create"))
    p.add_argument("--plan", required=True, help=help_text("help.plan"))
    p.add_argument("--school", help=help_text("help.school"))
    p.set_defaults(func=cmd_list_create)

    p = sub.add_parser("status", parents=[common], help=help_text("help.status"))
    p.add_argument("--plan", help=help_text("help.plan"))
    p.add_argument("--school", help=help_text("help.school"))
    p.add_argument("--batch", type=record_id, help=help_text("help.batch"))
    p.set_defaults(func=cmd_status)


def _register_records(sub: Any, common: Parser) -> None:
    """export, invite, verify, void, audit verify."""
    p = sub.add_parser("export", parents=[common], help=help_text("help.export"))
    export_sub = p.add_subparsers(
        dest="export_command", required=True, title=help_text("help.commands")
    )
    p = export_sub.add_parser("records", parents=[common], help=help_text("help.export.records"))
    p.add_argument("--out", required=True, help=help_text("help.export.out"))
    p.add_argument("--format", choices=("xlsx", "csv"), help=help_text("help.export.format"))
    for name, zh, en in EXPORT_FILTERS:
        p.add_argument(f"--{name}", help=f"{t('help.export.filter', name=zh)} · filter: {en}")
    p.set_defaults(func=cmd_export_records)
    p = export_sub.add_parser(
        "certificates", parents=[common], help=help_text("help.export.certificates")
    )
    p.add_argument("--batch", type=record_id, required=True, help=help_text("help.batch"))
    p.add_argument("--out", required=True, help=help_text("help.export.zip"))
    p.set_defaults(func=cmd_export_certificates)

    p = sub.add_parser("invite", parents=[common], help=help_text("help.invite"))
    p.add_argument("person", help=help_text("help.invite.person"))
    p.set_defaults(func=cmd_invite)

    p = sub.add_parser("verify", parents=[common], help=help_text("help.verify"))
    p.add_argument("cert_no", help=help_text("help.verify.cert_no"))
    p.add_argument("id_number", help=help_text("help.verify.id_number"))
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("void", parents=[common], help=help_text("help.void"))
    p.add_argument("cert_no", help=help_text("help.verify.cert_no"))
    p.add_argument("--reason", required=True, help=help_text("help.void.reason"))
    p.set_defaults(func=cmd_void)

    p = sub.add_parser("audit", parents=[common], help=help_text("help.audit"))
    audit_sub = p.add_subparsers(
        dest="audit_command", required=True, title=help_text("help.commands")
    )
    p = audit_sub.add_parser("verify", parents=[common], help=help_text("help.audit.verify"))
    p.set_defaults(func=cmd_audit_verify)


def _register_running(sub: Any, common: Parser) -> None:
    """rerender, run and each part alone (web, bot, worker)."""
    p = sub.add_parser("rerender", parents=[common], help=help_text("help.rerender"))
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--batch", type=record_id, help=help_text("help.rerender.batch"))
    which.add_argument("--all", action="store_true", help=help_text("help.rerender.all"))
    p.set_defaults(func=cmd_rerender)

    p = sub.add_parser("run", parents=[common], help=help_text("help.run"))
    p.add_argument("--demo", action="store_true", help=help_text("help.run.demo"))
    for part in PARTS:
        p.add_argument(
            f"--no-{part}", action="store_true", help=help_text("help.run.no_part", part=part)
        )
    p.set_defaults(func=cmd_run)
    for part in PARTS:
        p = sub.add_parser(part, parents=[common], help=help_text("help.part", part=part))
        p.set_defaults(func=cmd_run, demo=False)


def _version() -> str:
    """The release and the schema its migrations build (CHANGELOG.md lists both)."""
    from issuance.store.backups import product_version
    from issuance.store.base import migrations

    schema = max(number for number, _, _ in migrations("sqlite"))
    return f"qianfa {product_version()} ({t('cli.schema')} schema {schema})"


def main(argv: list[str] | None = None) -> int:
    private_files()  # databases, certificates and rosters hold full ID numbers
    args = build_parser().parse_args(argv)
    for option in ("home", "json", "verbose"):
        if not hasattr(args, option):
            setattr(args, option, None if option == "home" else False)
    # Every record, whichever library logs it, has ID numbers and signing tokens masked.
    configure_logging(args.verbose)
    try:
        settings = load_settings(home_of(args.home))
        if settings.files_group:
            _share_files(settings.files_group)
        logs.configure(settings, logs.role_of(args.command))
        result, text = _run_command(args, settings)
    except KeyboardInterrupt:
        return 130
    except (DomainError, SettingsError, OSError) as error:
        print_error(error)
        if args.json:
            print(json.dumps(_error_json(error), ensure_ascii=False))
        return 1
    except ImportFailed as failed:
        _emit(args, failed.report, failed.details)
        print(failed.summary, file=sys.stderr)
        return 1
    except NotValid as answer:
        _emit(args, answer.result, answer.text)
        return 1
    if result is not None or text:
        try:
            _emit(args, result, text)
        except BrokenPipeError:
            # Piped into `head` and the like: the reader has what it wanted; the work is done.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _share_files(group: str) -> None:
    """Files created from now on belong to `group` (0640), or the setting is refused."""
    try:
        share_files(group)
    except PermissionError:
        raise SettingsError(
            f"setting files.group: this process may not create files of group {group!r}; run it"
            f" as that group (systemd Group={group}, or sg {group} -c 'qianfa …')"
        ) from None


def _run_command(args: argparse.Namespace, settings: Settings) -> tuple[Any, str]:
    """Run the command; a database locked past the busy timeout becomes a "busy" message."""
    waited = settings.database_busy_timeout_seconds
    try:
        return asyncio.run(args.func(args, settings))
    except sqlite3.Error as error:
        # Locked past the busy timeout, or any other database failure: one line, not a traceback.
        raise StoreUnavailable.of(settings.database_path, error, waited) from error
    except Exception as error:
        if is_refusal(error):  # PostgreSQL's constraints and triggers
            raise StoreUnavailable.of(settings.database_path, error, waited) from error
        raise


def _emit(args: argparse.Namespace, result: Any, text: str) -> None:
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    elif text:
        print(text)


def _error_json(error: Exception) -> dict[str, str]:
    if isinstance(error, DomainError):
        return {
            "error": error.key,
            "message": error.message("zh"),
            "message_en": error.message("en"),
        }
    if isinstance(error, OSError):
        return {
            "error": "file",
            "message": os_message(error, "zh"),
            "message_en": os_message(error, "en"),
        }
    return {"error": "settings", "message": str(error), "message_en": str(error)}


if __name__ == "__main__":
    sys.exit(main())
