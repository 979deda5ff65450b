"""`qianfa grad print | calibrate | roster | stats | verify`: graduation printouts and lookup."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from issuance.core.catalog import t
from issuance.core.errors import NotFound
from issuance.core.files import output_format, write_bytes
from issuance.core.settings import Settings
from issuance.graduation.printouts import VOID, Printouts
from issuance.graduation.service import Graduation
from issuance.graduation.stock import Stock, serial_range
from qianfa.helptext import finite_number, help_text
from qianfa.operations import NotValid, home_store

Result = tuple[Any, str]


async def _with(
    settings: Settings, body: Callable[[Printouts, Stock], Awaitable[Result]]
) -> Result:
    async with home_store(settings) as store:
        printouts = Printouts(Graduation(store, settings), store)
        return await body(printouts, Stock(store, settings))


def _write(path: str, data: bytes) -> Path:
    """Write the file beside its target, then move it into place (never half a file)."""
    return write_bytes(Path(path), data)


async def cmd_print(args: argparse.Namespace, settings: Settings) -> Result:
    async def body(printouts: Printouts, stock: Stock) -> Result:
        if args.calibration:
            output_format(args.out, ("pdf",))
            out = _write(args.out, await printouts.calibration_pdf(args.school))
            return {"out": str(out)}, t("gradcli.calibration_written", out=out)
        output_format(args.out, ("pdf",))
        pdf, ids = await printouts.print_pdf(args.school, args.term or "")
        count = len(ids)
        serials: list[str] = []
        if args.first_serial:
            # book the blanks before handing out the pages: a refused booking prints nothing
            serials = serial_range(await stock.canonical(args.first_serial), count=count)
            school = await printouts.grad.school(args.school)
            by = await printouts.grad.clerk_of(school, args.by)
            await stock.record_printing(school.id, list(zip(serials, ids, strict=True)), by)
        out = _write(args.out, pdf)
        result = {"out": str(out), "certificates": count, "serials": serials}
        return result, t("gradcli.printed", out=out, count=count)

    return await _with(settings, body)


async def cmd_calibrate(args: argparse.Namespace, settings: Settings) -> Result:
    async def body(printouts: Printouts, _: Stock) -> Result:
        offset = await printouts.calibrate(args.school, args.dx, args.dy, args.by)
        return asdict(offset), t("gradcli.calibrated", dx=offset.dx_mm, dy=offset.dy_mm)

    return await _with(settings, body)


async def cmd_roster(args: argparse.Namespace, settings: Settings) -> Result:
    async def body(printouts: Printouts, _: Stock) -> Result:
        fmt = output_format(args.out, ("pdf", "xlsx"))
        data, count = await printouts.roster(args.school, args.term, fmt, args.mask_ids)
        out = _write(args.out, data)
        return {"out": str(out), "graduates": count}, t("gradcli.roster", out=out, count=count)

    return await _with(settings, body)


async def cmd_stats(args: argparse.Namespace, settings: Settings) -> Result:
    async def body(printouts: Printouts, _: Stock) -> Result:
        found = await printouts.rates(args.year, args.school)
        rows = [
            {
                "code": code,
                "name": r.school,
                "graduates": r.graduates,
                "qualified": r.qualified,
                "qualification_rate": round(r.qualification_rate, 4),
                "employed": r.employed,
                "employment_rate": round(r.employment_rate, 4),
            }
            for code, r in found
        ]
        lines = [
            t(
                "gradcli.stats_line",
                school=r.school,
                graduates=r.graduates,
                qualification=f"{r.qualification_rate:.1%}",
                employment=f"{r.employment_rate:.1%}",
            )
            for _, r in found
        ]
        result: dict[str, Any] = {"year": args.year, "schools": rows}
        if args.chart:
            output_format(args.chart, ("png",))
            chart = printouts.chart(args.year, [r for _, r in found])
            out = _write(args.chart, chart)
            result["chart"] = str(out)
            lines.append(t("gradcli.chart_written", out=out))
        return result, "\n".join(lines) or t("gradchart.no_schools")

    return await _with(settings, body)


async def cmd_verify(args: argparse.Namespace, settings: Settings) -> Result:
    async def body(printouts: Printouts, _: Stock) -> Result:
        try:
            answer = await printouts.lookup(args.number, args.name)
        except NotFound as missing:
            result = {"status": "not_found", "cert_no": args.number.strip()}
            raise NotValid(result, missing.message()) from None
        if answer.status == VOID:
            raise NotValid(asdict(answer), t("gradlookup.void", cert_no=answer.cert_no))
        text = t("gradlookup.found", **asdict(answer))
        return asdict(answer), text + ("\n" + t("gradlookup.held") if answer.held else "")

    return await _with(settings, body)


async def cmd_void(args: argparse.Namespace, settings: Settings) -> Result:
    async def body(printouts: Printouts, _: Stock) -> Result:
        cert_no = await printouts.void(args.number, args.reason)
        result = {"cert_no": cert_no, "status": VOID, "reason": args.reason.strip()}
        return result, t("gradvoid.done", cert_no=cert_no)

    return await _with(settings, body)


def register(g: Any, common: argparse.ArgumentParser) -> None:
    """Add the printout commands to the `qianfa grad` group."""
    school, term, by = (help_text(f"help.grad.{k}") for k in ("school", "term", "by"))
    p = g.add_parser("print", parents=[common], help=help_text("help.gradprint.print"))
    p.add_argument("--school", required=True, help=school)
    p.add_argument("--term", help=term)
    p.add_argument("--out", required=True, help=help_text("help.gradprint.out_pdf"))
    p.add_argument(
        "--calibration", action="store_true", help=help_text("help.gradprint.calibration")
    )
    p.add_argument("--first-serial", help=help_text("help.gradprint.first_serial"))
    p.add_argument("--by", help=by)
    p.set_defaults(func=cmd_print)

    p = g.add_parser("calibrate", parents=[common], help=help_text("help.gradprint.calibrate"))
    p.add_argument("--school", required=True, help=school)
    p.add_argument("--dx", type=finite_number, required=True, help=help_text("help.gradprint.dx"))
    p.add_argument("--dy", type=finite_number, required=True, help=help_text("help.gradprint.dy"))
    p.add_argument("--by", help=by)
    p.set_defaults(func=cmd_calibrate)

    p = g.add_parser("roster", parents=[common], help=help_text("help.gradprint.roster"))
    p.add_argument("--school", required=True, help=school)
    p.add_argument("--term", required=True, help=term)
    p.add_argument("--out", required=True, help=help_text("help.gradprint.out_roster"))
    p.add_argument("--mask-ids", action="store_true", help=help_text("help.gradprint.mask_ids"))
    p.set_defaults(func=cmd_roster)

    p = g.add_parser("stats", parents=[common], help=help_text("help.gradprint.stats"))
    p.add_argument("--year", type=int, required=True, help=help_text("help.gradprint.year"))
    p.add_argument("--school", help=school)
    p.add_argument("--chart", help=help_text("help.gradprint.chart"))
    p.set_defaults(func=cmd_stats)

    p = g.add_parser("verify", parents=[common], help=help_text("help.gradprint.verify"))
    p.add_argument("number", help=help_text("help.gradprint.number"))
    p.add_argument("name", help=help_text("help.gradprint.name"))
    p.set_defaults(func=cmd_verify)

    p = g.add_parser("void", parents=[common], help=help_text("help.gradvoid"))
    p.add_argument("number", help=help_text("help.gradprint.number"))
    p.add_argument("--reason", required=True, help=help_text("help.gradvoid.reason"))
    p.set_defaults(func=cmd_void)
