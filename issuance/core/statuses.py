"""X-certificate dual sign-off: its parties, statuses and chain (培训评价组织 then 考核站点)."""

from __future__ import annotations

from issuance.core.chain import Chain, Step
from issuance.core.people import Role

EVALUATOR = "培训评价组织"
SITE = "考核站点"
CONFIRMED = "确认签发"
# Not a sign-off status: a confirmed certificate voided afterwards (void_at set) reads 作废.
VOID = "作废"


X_STEPS = {
    EVALUATOR: Step(EVALUATOR, Role.SIGNER, f"{EVALUATOR}待签发", f"{EVALUATOR}拒绝签发"),
    SITE: Step(SITE, Role.HEAD, f"{SITE}待签发", f"{SITE}拒绝签发"),
}


def x_certificate_chain(order: tuple[str, ...] = (EVALUATOR, SITE)) -> Chain:
    """The X-certificate dual sign-off in the configured order."""
    return Chain(tuple(X_STEPS[party] for party in order), CONFIRMED, owner=EVALUATOR)


# The platform always lists the evaluator's statuses first, whatever the signing order.
X_STATUSES = x_certificate_chain().statuses
WAITING_STATUSES = x_certificate_chain().pending_statuses
REFUSED_STATUSES = x_certificate_chain().refused_statuses
