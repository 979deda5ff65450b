"""The domain's words, each defined once: statuses of both workflows, request kinds, blank
states, school and class levels.

Screens, SQL parameters and tests use these members; the migrations' CHECK constraints spell
the same words (a test compares them).
"""

from __future__ import annotations

from enum import StrEnum


class Party(StrEnum):
    """签发方: a party of the X-certificate dual sign-off."""

    EVALUATOR = "培训评价组织"
    SITE = "考核站点"


class XStatus(StrEnum):
    """An X certificate's status (签发状态) on the platform, in the order it lists them."""

    EVALUATOR_PENDING = "培训评价组织待签发"
    EVALUATOR_REFUSED = "培训评价组织拒绝签发"
    SITE_PENDING = "考核站点待签发"
    SITE_REFUSED = "考核站点拒绝签发"
    CONFIRMED = "确认签发"
    # Not a sign-off status: a confirmed certificate voided afterwards (void_at set) reads 作废.
    VOID = "作废"


class GradStatus(StrEnum):
    """A graduation item's status (申报 → 审核 → 审批)."""

    PENDING_REVIEW = "待审核"
    REVIEW_RETURNED = "审核退回"
    PENDING_APPROVAL = "待审批"
    APPROVAL_RETURNED = "审批退回"
    APPROVED = "已审批"


class RequestKind(StrEnum):
    """What a graduation request (申报) asks for."""

    DECLARATION = "毕业证申报"
    BLANK_REQUEST = "空白毕业证申报"
    AMENDMENT = "毕业证修改"
    REPRINT = "毕业证重打"


class BlankState(StrEnum):
    """Where a blank graduation certificate (空白毕业证) is: 在库 → 已发放 → 已打印 → 已验印;
    已发放/已打印 → 已作废 → 已退回."""

    IN_STOCK = "在库"
    ISSUED = "已发放"
    PRINTED = "已打印"
    SEALED = "已验印"
    VOIDED = "已作废"
    RETURNED = "已退回"


class Delivery(StrEnum):
    """How a paper certificate reached its student (发放): handed out, or (X only) mailed on."""

    HANDED = "已发放"
    MAILED_ON = "已转寄"


class HandoutStage(StrEnum):
    """Where an issued X certificate is on paper, in the order it passes the stages."""

    MAILED = "已邮寄至院校"
    RECEIVED = "院校已签收"
    HANDED = "已发放"
    MAILED_ON = "已转寄学生"


class Employment(StrEnum):
    """就业情况 of a graduate."""

    EMPLOYED = "已就业"
    FURTHER_STUDY = "升学"
    SEEKING = "待就业"


# What the statistics count as placed (就业率): employed, or gone on to further study.
PLACED = (Employment.EMPLOYED, Employment.FURTHER_STUDY)


class SchoolLevel(StrEnum):
    """学校办学层次: which of the three blanks a school prints on."""

    TECHNICIAN_COLLEGE = "技师学院"
    SENIOR_TECHNICAL_SCHOOL = "高级技工学校"
    TECHNICAL_SCHOOL = "技工学校"


class ClassLevel(StrEnum):
    """学生毕业层次, as graduates are stored; the layouts map them to the printed words."""

    PREPARATORY_TECHNICIAN = "预备技师班"
    SENIOR = "高级工班"
    INTERMEDIATE = "中级工班"
