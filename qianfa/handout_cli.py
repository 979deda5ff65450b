"""Hand-out (发放) commands: `qianfa mail|receive|handout` for X certificates' paper copies, and
`qianfa grad seal|handout` for graduation certificates (验印, then 发放)."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import Any

from issuance.core.catalog import t
from issuance.core.errors import NotFound
from issuance.core.idcard import mask
from issuance.core.people import Person
from issuance.core.settings import Settings
from issuance.core.vocabulary import Delivery
from issuance.graduation.sealing import Sealing
from issuance.graduation.service import Graduation
from issuance.store import Store
from issuance.xcert.handout import Handout
from qianfa.helptext import help_text, record_id
from qianfa.operations import home_store

Result = tuple[Any, str]


async def _with(
    settings: Settings, by: str, body: Callable[[Store, Person], Awaitable[Result]]
) -> Result:
    async with home_store(settings) as store:
        person = await store.person_by_ref(by)
        if person is None:
            raise NotFound("person.unknown", ref=by)
        return await body(store, person)


async def cmd_mail(args: argparse.Namespace, settings: Settings) -> Result:
    async def body(store: Store, actor: Person) -> Result:
        mailing = await Handout(store).mail(actor, args.batch, args.courier, args.tracking)
        result = {"batch": args.batch, "courier": mailing.courier, "tracking": mailing.tracking}
        return result, t("handout.mailed", courier=mailing.courier, tracking=mailing.tracking)

    return await _with(settings, args.by, body)


async def cmd_receive(args: argparse.Namespace, settings: Settings) -> Result:
    async def body(store: Store, actor: Person) -> Result:
        batch = await Handout(store).receive(actor, args.batch)
        return {"batch": args.batch, "certificates": batch.issued}, t("handout.received")

    return await _with(settings, args.by, body)


async def cmd_handout(args: argparse.Namespace, settings: Settings) -> Result:
    async def body(store: Store, actor: Person) -> Result:
        handout = Handout(store)
        ids = await handout.record_ids(actor, args.batch, args.cert_no) if args.cert_no else []
        done = await handout.hand_out(actor, args.batch, ids, args.mailed_on)
        key = "handout.done_handed" if done.how == Delivery.HANDED else "handout.done_mailed_on"
        result = {
            "batch": args.batch,
            "how": done.how,
            "handed_out": [r.cert_no for r in done.records],
            "left": done.left,
        }
        return result, t(key, count=len(done.records), left=done.left)

    return await _with(settings, args.by, body)


async def cmd_seal(args: argparse.Namespace, settings: Settings) -> Result:
    async def body(store: Store, actor: Person) -> Result:
        sealed = await Sealing(Graduation(store, settings)).seal(actor, args.school, args.term)
        result = {"school": args.school, "term": sealed.term, "sealed": sealed.serials}
        text = t("seal.done", school=sealed.school, term=sealed.term, count=len(sealed.serials))
        return result, text

    return await _with(settings, args.by, body)


async def cmd_grad_handout(args: argparse.Namespace, settings: Settings) -> Result:
    async def body(store: Store, actor: Person) -> Result:
        sealing = Sealing(Graduation(store, settings))
        done = await sealing.hand_out(actor, args.school, args.term, args.id_number or ())
        result = {
            "school": args.school,
            "term": done.term,
            "handed_out": [g.cert_no for g in done.handed],
            "held": [{"name": g.name, "id_number_masked": mask(g.id_number)} for g in done.held],
        }
        lines = [t("handout.grad_done", school=done.school, term=done.term, count=len(done.handed))]
        if done.held:
            who = "、".join(f"{g.name} {mask(g.id_number)}" for g in done.held)
            lines.append(t("handout.grad_held", count=len(done.held), who=who))
        return result, "\n".join(lines)

    return await _with(settings, args.by, body)


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """`qianfa mail`, `qianfa receive`, `qianfa handout`."""
    p = sub.add_parser("mail", parents=[common], help=help_text("help.handout.mail"))
    p.add_argument("--batch", type=record_id, required=True, help=help_text("help.handout.batch"))
    p.add_argument("--courier", required=True, help=help_text("help.handout.courier"))
    p.add_argument("--tracking", required=True, help=help_text("help.handout.tracking"))
    p.add_argument("--by", required=True, help=help_text("help.handout.by"))
    p.set_defaults(func=cmd_mail)

    p = sub.add_parser("receive", parents=[common], help=help_text("help.handout.receive"))
    p.add_argument("--batch", type=record_id, required=True, help=help_text("help.handout.batch"))
    p.add_argument("--by", required=True, help=help_text("help.handout.by"))
    p.set_defaults(func=cmd_receive)

    p = sub.add_parser("handout", parents=[common], help=help_text("help.handout.handout"))
    p.add_argument("--batch", type=record_id, required=True, help=help_text("help.handout.batch"))
    p.add_argument("--cert-no", nargs="+", help=help_text("help.handout.cert_no"))
    p.add_argument("--mailed-on", metavar="TRACKING", help=help_text("help.handout.mailed_on"))
    p.add_argument("--by", required=True, help=help_text("help.handout.by"))
    p.set_defaults(func=cmd_handout)


def register_grad(g: Any, common: argparse.ArgumentParser) -> None:
    """`qianfa grad seal` and `qianfa grad handout`."""
    p = g.add_parser("seal", parents=[common], help=help_text("help.handout.seal"))
    p.add_argument("--school", required=True, help=help_text("help.grad.school"))
    p.add_argument("--term", required=True, help=help_text("help.grad.term"))
    p.add_argument("--by", required=True, help=help_text("help.handout.by"))
    p.set_defaults(func=cmd_seal)

    p = g.add_parser("handout", parents=[common], help=help_text("help.handout.grad"))
    p.add_argument("--school", required=True, help=help_text("help.grad.school"))
    p.add_argument("--term", required=True, help=help_text("help.grad.term"))
    p.add_argument("--id-number", nargs="+", help=help_text("help.handout.id_number"))
    p.add_argument("--by", required=True, help=help_text("help.handout.by"))
    p.set_defaults(func=cmd_grad_handout)
