"""X-certificate dual sign-off: its chain (培训评价组织 then 考核站点) on the shared engine.

The parties and statuses themselves are `Party` and `XStatus` in `issuance.core.vocabulary`.
"""

from __future__ import annotations

from issuance.core.chain import Chain, Step
from issuance.core.people import Role
from issuance.core.vocabulary import Party, XStatus

X_STEPS: dict[str, Step] = {
    Party.EVALUATOR: Step(
        Party.EVALUATOR, Role.SIGNER, XStatus.EVALUATOR_PENDING, XStatus.EVALUATOR_REFUSED
    ),
    Party.SITE: Step(Party.SITE, Role.HEAD, XStatus.SITE_PENDING, XStatus.SITE_REFUSED),
}


def x_certificate_chain(order: tuple[str, ...] = (Party.EVALUATOR, Party.SITE)) -> Chain:
    """The X-certificate dual sign-off in the configured order."""
    return Chain(tuple(X_STEPS[party] for party in order), XStatus.CONFIRMED, owner=Party.EVALUATOR)


# The platform always lists the evaluator's statuses first, whatever the signing order.
X_STATUSES = x_certificate_chain().statuses
WAITING_STATUSES = x_certificate_chain().pending_statuses
REFUSED_STATUSES = x_certificate_chain().refused_statuses
