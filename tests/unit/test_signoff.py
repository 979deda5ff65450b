"""The pure sign-off engine: every status × act × party, in both signing orders."""

from __future__ import annotations

import pytest

from issuance.core.chain import Act, Chain, Step
from issuance.core.errors import Conflict, Forbidden
from issuance.xcert.statuses import X_STATUSES, x_certificate_chain
from tests.signoff_spec import ALLOWED, DONE, ORDERS, STATUSES, all_cases, expected_error


def _id(case: tuple[tuple[str, str], str, Act, str]) -> str:
    order, status, act, party = case
    return f"{order[0][:2]}first-{status}-{act.value}-{party}"


@pytest.mark.parametrize("case", all_cases(), ids=_id)
def test_transition_table(case: tuple[tuple[str, str], str, Act, str]) -> None:
    order, status, act, party = case
    chain = x_certificate_chain(order)
    if case in ALLOWED:
        assert chain.next_status(status, act, party) == ALLOWED[case]
    else:
        with pytest.raises(expected_error(status, act, party)):
            chain.next_status(status, act, party)


def test_the_table_allows_exactly_six_moves_per_order() -> None:
    for order in ORDERS:
        assert sum(1 for key in ALLOWED if key[0] == order) == 6


@pytest.mark.parametrize("order", ORDERS)
def test_nothing_leaves_the_confirmed_status(order: tuple[str, str]) -> None:
    chain = x_certificate_chain(order)
    for act in Act:
        for party in order:
            with pytest.raises(Conflict) as caught:
                chain.next_status(DONE, act, party)
            assert caught.value.key == "signoff.already_confirmed"


def test_the_first_status_follows_the_signing_order() -> None:
    assert x_certificate_chain().first_status == "培训评价组织待签发"
    assert x_certificate_chain(("考核站点", "培训评价组织")).first_status == "考核站点待签发"


def test_statuses_are_listed_evaluator_first_whatever_the_order() -> None:
    assert X_STATUSES == STATUSES


def test_acting_out_of_turn_names_whose_turn_it_is() -> None:
    with pytest.raises(Conflict) as caught:
        x_certificate_chain().next_status("培训评价组织待签发", Act.CONFIRM, "考核站点")
    assert caught.value.params == {"party": "培训评价组织"}


def test_an_unknown_status_is_a_conflict() -> None:
    with pytest.raises(Conflict) as caught:
        x_certificate_chain().next_status("草稿", Act.CONFIRM, "培训评价组织")
    assert caught.value.key == "signoff.unknown_status"


def test_a_three_step_chain_runs_in_order_and_restarts_after_refusal() -> None:
    """The graduation chain shape (申报 → 审核 → 审批) runs on the same engine."""
    chain = Chain(
        (
            Step("学校", "业务管理员", "待申报", "申报退回"),
            Step("校领导", "审核人", "待审核", "审核退回"),
            Step("主管部门", "审核人", "待审批", "审批退回"),
        ),
        done_status="已审批",
        owner="学校",
    )
    assert chain.next_status("待申报", Act.CONFIRM, "学校") == "待审核"
    assert chain.next_status("待审核", Act.CONFIRM, "校领导") == "待审批"
    assert chain.next_status("待审批", Act.CONFIRM, "主管部门") == "已审批"
    assert chain.next_status("待审批", Act.REFUSE, "主管部门") == "审批退回"
    assert chain.next_status("审批退回", Act.RESUBMIT, "学校") == "待申报"
    with pytest.raises(Forbidden):
        chain.next_status("审批退回", Act.RESUBMIT, "主管部门")
    with pytest.raises(Forbidden):
        chain.step_of("省厅")
