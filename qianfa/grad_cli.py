"""The `qianfa grad …` and `qianfa stock …` commands: graduation certificates and blank stock."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from issuance.core.catalog import t
from issuance.core.chain import Act
from issuance.core.files import output_format
from issuance.core.settings import Settings
from issuance.core.vocabulary import SchoolLevel
from issuance.formats.tabular import Format
from issuance.graduation.exporting import export_graduates
from issuance.graduation.holds import HELD
from issuance.graduation.sealing import Sealing
from issuance.graduation.service import Graduation, term_of
from issuance.graduation.stock import Stock
from qianfa import grad_print_cli, handout_cli, qual_cli
from qianfa.helptext import help_text, record_id
from qianfa.operations import home_store

Result = tuple[Any, str]


async def _with(
    settings: Settings, body: Callable[[Graduation, Stock], Awaitable[Result]]
) -> Result:
    async with home_store(settings) as store:
        return await body(Graduation(store, settings), Stock(store, settings))


async def cmd_declare(args: argparse.Namespace, settings: Settings) -> Result:
    async def body(grad: Graduation, _: Stock) -> Result:
        # 证书比对 first: the 经办人 sees every mismatch; declaring without a qualification is
        # allowed (those graduates are held once numbered).
        matching = await qual_cli.match(grad, args.school, args.term)
        request_id, count = await grad.declare(args.school, args.term, args.by)
        result = {"declaration": request_id, "graduates": count, "match": matching.as_json()}
        lines = [t("grad.cli.declared", id=request_id, count=count)]
        if matching.kept or matching.unqualified:
            lines += [t("qual.match.before_declare"), *matching.lines()]
        return result, "\n".join(lines)

    return await _with(settings, body)


async def cmd_status(args: argparse.Namespace, settings: Settings) -> Result:
    async def body(grad: Graduation, _: Stock) -> Result:
        counts = await grad.counts(args.school, args.term)
        counts |= await Sealing(grad).counts(args.school, args.term)
        return counts, "  ".join(f"{status} {n}" for status, n in counts.items())

    return await _with(settings, body)


async def cmd_list(args: argparse.Namespace, settings: Settings) -> Result:
    async def body(grad: Graduation, _: Stock) -> Result:
        rows = await grad.listing(args.school, args.term)
        lines = [
            f"{r['cert_no'] or '-'} {r['name']} {r['id_number_masked']} {r['status']}"
            f" {r['class_level']} {r['major']}" + (f" {HELD}" if r["held"] else "")
            for r in rows
        ]
        return rows, "\n".join(lines)

    return await _with(settings, body)


async def cmd_explain(args: argparse.Namespace, settings: Settings) -> Result:
    async def body(grad: Graduation, _: Stock) -> Result:
        parts = asdict(grad.explain(args.number))
        return parts, t("grad.cli.explain", number=args.number.strip(), **parts)

    return await _with(settings, body)


async def cmd_export(args: argparse.Namespace, settings: Settings) -> Result:
    async def body(grad: Graduation, _: Stock) -> Result:
        school_id = (await grad.school(args.school)).id if args.school else None
        fmt: Format = (
            "csv" if output_format(args.out, ("xlsx", "csv"), args.format) == "csv" else "xlsx"
        )
        count = await export_graduates(
            grad.store,
            Path(args.out),
            fmt,
            school_id,
            term_of(args.term) if args.term else None,
            args.status,
        )
        return {"exported": count, "out": args.out}, t(
            "grad.cli.export_done", count=count, out=args.out
        )

    return await _with(settings, body)


def _act(act: Act) -> Callable[[argparse.Namespace, Settings], Awaitable[Result]]:
    async def command(args: argparse.Namespace, settings: Settings) -> Result:
        async def body(grad: Graduation, _: Stock) -> Result:
            actor = await grad.person(args.by)
            items = [int(i) for i in args.items.split(",")] if args.items else None
            done = await grad.act(
                actor, args.request, act, reason=getattr(args, "reason", None), item_ids=items
            )
            lines = [
                t("grad.cli.act_done", id=done.request_id, items=done.items, status=done.status)
            ]
            if done.numbered:
                lines.append(t("grad.cli.numbered", count=done.numbered))
            return asdict(done), "\n".join(lines)

        return await _with(settings, body)

    return command


async def cmd_amend(args: argparse.Namespace, settings: Settings) -> Result:
    changes = dict(item.partition("=")[::2] for item in args.set)

    async def body(grad: Graduation, _: Stock) -> Result:
        request_id = await grad.amend(args.graduate, changes, args.by)
        return {"request": request_id}, t("grad.cli.amend_requested", id=request_id)

    return await _with(settings, body)


async def cmd_reprint(args: argparse.Namespace, settings: Settings) -> Result:
    async def body(grad: Graduation, _: Stock) -> Result:
        request_id = await grad.reprint(args.graduate, args.by)
        return {"request": request_id}, t("grad.cli.reprint_requested", id=request_id)

    return await _with(settings, body)


async def cmd_history(args: argparse.Namespace, settings: Settings) -> Result:
    async def body(grad: Graduation, _: Stock) -> Result:
        rows = await grad.history(args.request)
        lines = [
            f"{r['at']} {r['person']} {t(_history_key(r))}{r.get('kind', '')}"
            f" ×{r['items']} {r['reason'] or ''}"
            for r in rows
        ]
        return rows, "\n".join(line.rstrip() for line in lines)

    return await _with(settings, body)


def _history_key(row: dict[str, Any]) -> str:
    review = row["act"] == "confirm" and row["stage"] == 0
    return "grad.history.confirm0" if review else f"grad.history.{row['act']}"


async def cmd_stock_receive(args: argparse.Namespace, settings: Settings) -> Result:
    async def body(_: Graduation, stock: Stock) -> Result:
        moved = await stock.receive(args.kind, args.first, args.last, args.by)
        first, last = moved.serials[0], moved.serials[-1]
        result = {"received": len(moved.serials), "first": first, "last": last}
        return result, t("stock.cli.received", count=len(moved.serials), first=first, last=last)

    return await _with(settings, body)


async def cmd_stock_request(args: argparse.Namespace, settings: Settings) -> Result:
    async def body(grad: Graduation, _: Stock) -> Result:
        request_id = await grad.request_blanks(args.school, args.kind, args.count, args.by)
        text = t("stock.cli.requested", id=request_id, kind=args.kind, count=args.count)
        return {"request": request_id}, text

    return await _with(settings, body)


async def cmd_stock_issue(args: argparse.Namespace, settings: Settings) -> Result:
    async def body(grad: Graduation, stock: Stock) -> Result:
        moved = await stock.issue(args.request, args.first, args.by)
        request = await grad.store.grad_request(args.request)
        assert request is not None
        first, last = moved.serials[0], moved.serials[-1]
        lines = [
            t(
                "stock.cli.issued",
                count=len(moved.serials),
                first=first,
                last=last,
                school=request.school_name,
            )
        ]
        if moved.low_stock is not None:
            lines.append(t("stock.cli.low", kind=request.blank_kind, left=moved.low_stock))
        result = {
            "issued": len(moved.serials),
            "first": first,
            "last": last,
            "school": request.school_code,
            "low_stock": moved.low_stock,
        }
        return result, "\n".join(lines)

    return await _with(settings, body)


async def cmd_stock_void(args: argparse.Namespace, settings: Settings) -> Result:
    async def body(_: Graduation, stock: Stock) -> Result:
        await stock.void(args.serial, args.reason, args.by)
        return {"voided": args.serial}, t("stock.cli.voided", serial=args.serial)

    return await _with(settings, body)


async def cmd_stock_return(args: argparse.Namespace, settings: Settings) -> Result:
    async def body(_: Graduation, stock: Stock) -> Result:
        moved = await stock.return_(args.serials, args.by)
        return {"returned": moved.serials}, t("stock.cli.returned", count=len(moved.serials))

    return await _with(settings, body)


async def cmd_stock_trace(args: argparse.Namespace, settings: Settings) -> Result:
    async def body(_: Graduation, stock: Stock) -> Result:
        trace = await stock.trace(args.serial)
        events = [
            {"at": e.at, "event": e.event, "by": e.by, "school": e.school, "cert_no": e.cert_no}
            | ({"reason": e.reason} if e.reason else {})
            for e in trace.events
        ]
        lines = [t("stock.cli.trace_head", serial=trace.serial, kind=trace.kind, state=trace.state)]
        lines += [
            t(
                "stock.cli.trace_line",
                at=e.at,
                event=t(f"stock.event.{e.event}"),
                by=e.by or "",
                school=e.school or "",
                cert_no=e.cert_no or e.reason or "",
            ).rstrip()
            for e in trace.events
        ]
        result = {
            "serial": trace.serial,
            "kind": trace.kind,
            "state": trace.state,
            "events": events,
        }
        return result, "\n".join(lines)

    return await _with(settings, body)


async def cmd_stock_balance(args: argparse.Namespace, settings: Settings) -> Result:
    async def body(grad: Graduation, stock: Stock) -> Result:
        school_id = (await grad.school(args.school)).id if args.school else None
        rows = await stock.balance(school_id)
        result = {"balance": [{"kind": k, "state": s, "count": n} for k, s, n in rows]}
        lines = [t("stock.cli.balance_line", kind=k, state=s, count=n) for k, s, n in rows]
        return result, "\n".join(lines) or t("stock.cli.balance_empty")

    return await _with(settings, body)


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the `grad` and `stock` command groups to the `qianfa` parser."""
    _register_grad(sub, common)
    _register_stock(sub, common)


def _register_grad(sub: Any, common: argparse.ArgumentParser) -> None:
    """qianfa grad: declarations, their acts, corrections, printouts, qualifications."""
    grad = sub.add_parser("grad", parents=[common], help=help_text("help.grad"))
    g = grad.add_subparsers(dest="grad_command", required=True, title=help_text("help.commands"))

    p = g.add_parser("declare", parents=[common], help=help_text("help.grad.declare"))
    p.add_argument("--school", required=True, help=help_text("help.grad.school"))
    p.add_argument("--term", required=True, help=help_text("help.grad.term"))
    p.add_argument("--by", help=help_text("help.grad.by"))
    p.set_defaults(func=cmd_declare)

    for name, func in (("status", cmd_status), ("list", cmd_list)):
        p = g.add_parser(name, parents=[common], help=help_text(f"help.grad.{name}"))
        p.add_argument("--school", help=help_text("help.grad.school"))
        p.add_argument("--term", help=help_text("help.grad.term"))
        p.set_defaults(func=func)

    p = g.add_parser("explain", parents=[common], help=help_text("help.grad.explain"))
    p.add_argument("number", help=help_text("help.grad.number"))
    p.set_defaults(func=cmd_explain)

    p = g.add_parser("export", parents=[common], help=help_text("help.grad.export"))
    p.add_argument("--out", required=True, help=help_text("help.export.out"))
    p.add_argument("--format", choices=("xlsx", "csv"), help=help_text("help.export.format"))
    p.add_argument("--school", help=help_text("help.grad.school"))
    p.add_argument("--term", help=help_text("help.grad.term"))
    p.add_argument("--status", help=help_text("help.grad.status_filter"))
    p.set_defaults(func=cmd_export)

    for name, act in (("approve", Act.CONFIRM), ("return", Act.REFUSE), ("resubmit", Act.RESUBMIT)):
        p = g.add_parser(name, parents=[common], help=help_text(f"help.grad.{name}"))
        p.add_argument("request", type=record_id, help=help_text("help.grad.request"))
        p.add_argument("--by", required=True, help=help_text("help.grad.person"))
        p.add_argument("--items", help=help_text("help.grad.items"))
        if act is Act.REFUSE:
            p.add_argument("--reason", required=True, help=help_text("help.grad.reason"))
        p.set_defaults(func=_act(act))

    for name, func in (("amend", cmd_amend), ("reprint", cmd_reprint)):
        p = g.add_parser(name, parents=[common], help=help_text(f"help.grad.{name}"))
        p.add_argument("graduate", help=help_text("help.grad.graduate"))
        if name == "amend":
            p.add_argument("--set", action="append", required=True, help=help_text("help.grad.set"))
        p.add_argument("--by", help=help_text("help.grad.by"))
        p.set_defaults(func=func)

    grad_print_cli.register(g, common)
    qual_cli.register(g, common)
    handout_cli.register_grad(g, common)

    p = g.add_parser("history", parents=[common], help=help_text("help.grad.history"))
    p.add_argument("request", type=record_id, help=help_text("help.grad.request"))
    p.set_defaults(func=cmd_history)


def _register_stock(sub: Any, common: argparse.ArgumentParser) -> None:
    """qianfa stock: the blank certificates, received, requested, issued, voided, returned."""
    stock = sub.add_parser("stock", parents=[common], help=help_text("help.stock"))
    s = stock.add_subparsers(dest="stock_command", required=True, title=help_text("help.commands"))
    kinds = tuple(SchoolLevel)

    p = s.add_parser("receive", parents=[common], help=help_text("help.stock.receive"))
    p.add_argument("--kind", required=True, choices=kinds, help=help_text("help.stock.kind"))
    p.add_argument("--first", required=True, help=help_text("help.stock.first"))
    p.add_argument("--last", required=True, help=help_text("help.stock.last"))
    p.add_argument("--by", required=True, help=help_text("help.grad.person"))
    p.set_defaults(func=cmd_stock_receive)

    p = s.add_parser("request", parents=[common], help=help_text("help.stock.request"))
    p.add_argument("--school", required=True, help=help_text("help.grad.school"))
    p.add_argument("--kind", required=True, choices=kinds, help=help_text("help.stock.kind"))
    p.add_argument("--count", required=True, type=int, help=help_text("help.stock.count"))
    p.add_argument("--by", help=help_text("help.grad.by"))
    p.set_defaults(func=cmd_stock_request)

    p = s.add_parser("issue", parents=[common], help=help_text("help.stock.issue"))
    p.add_argument("--request", required=True, type=record_id, help=help_text("help.grad.request"))
    p.add_argument("--first", required=True, help=help_text("help.stock.first"))
    p.add_argument("--by", required=True, help=help_text("help.grad.person"))
    p.set_defaults(func=cmd_stock_issue)

    p = s.add_parser("void", parents=[common], help=help_text("help.stock.void"))
    p.add_argument("serial", help=help_text("help.stock.serial"))
    p.add_argument("--reason", required=True, help=help_text("help.stock.reason"))
    p.add_argument("--by", help=help_text("help.grad.person"))
    p.set_defaults(func=cmd_stock_void)

    p = s.add_parser("return", parents=[common], help=help_text("help.stock.return"))
    p.add_argument("serials", nargs="+", help=help_text("help.stock.serial"))
    p.add_argument("--by", required=True, help=help_text("help.grad.person"))
    p.set_defaults(func=cmd_stock_return)

    p = s.add_parser("trace", parents=[common], help=help_text("help.stock.trace"))
    p.add_argument("serial", help=help_text("help.stock.serial"))
    p.set_defaults(func=cmd_stock_trace)

    p = s.add_parser("balance", parents=[common], help=help_text("help.stock.balance"))
    p.add_argument("--school", help=help_text("help.grad.school"))
    p.set_defaults(func=cmd_stock_balance)
