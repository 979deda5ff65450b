"""Typed button actions: one frozen dataclass per action, packed and parsed here and only here.

Packed data is `prefix:number:number`: ASCII, at most 64 bytes (Telegram's callback-data limit; a
valid WeCom template-card key too), and ids only, never a name or an ID number. The prefixes are
the ones buttons already sent carry, so a button in an old message still works.
"""

from __future__ import annotations

import re
from dataclasses import MISSING, dataclass, fields
from typing import Any, ClassVar

MAX_BYTES = 64
_NUMBER = re.compile(r"[0-9]{1,9}")
_PREFIX = re.compile(r"[a-z]{1,8}")
_ACTIONS: dict[str, type[Action]] = {}


class Action:
    """What a button does; each kind names its prefix: `class OpenBatch(Action, prefix="b")`."""

    prefix: ClassVar[str]

    def __init_subclass__(cls, prefix: str, aliases: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in (prefix, *aliases):
            if not _PREFIX.fullmatch(name) or name in _ACTIONS:
                raise ValueError(f"action prefix {name!r} is malformed or taken")
            _ACTIONS[name] = cls
        cls.prefix = prefix


def pack(action: Action) -> str:
    """The button data for `action`."""
    values = [getattr(action, f.name) for f in fields(action)]  # type: ignore[arg-type]
    if not all(isinstance(v, int) and 0 <= v < 10**9 for v in values):
        raise ValueError(f"action fields must be ids (0 ≤ n < 10⁹): {action!r}")
    data = ":".join([action.prefix, *map(str, values)])
    if len(data) > MAX_BYTES:
        raise ValueError(f"packed action longer than {MAX_BYTES} bytes: {data}")
    return data


def parse(data: str | None) -> Action | None:
    """The action packed in `data`; None for data we did not make (forged, stale, malformed)."""
    if not data or len(data) > MAX_BYTES:
        return None
    prefix, *values = data.split(":")
    kind = _ACTIONS.get(prefix)
    if kind is None or not all(_NUMBER.fullmatch(v) for v in values):
        return None
    declared = fields(kind)  # type: ignore[arg-type]
    required = sum(1 for f in declared if f.default is MISSING)
    if not required <= len(values) <= len(declared):
        return None
    return kind(*map(int, values))


# Signing desk (签发工作台)


@dataclass(frozen=True)
class OpenBatch(Action, prefix="b", aliases=("batch",)):
    """Show one page of a batch ("batch:N" is what the worker's nudges used to carry)."""

    batch: int
    page: int = 0


@dataclass(frozen=True)
class Toggle(Action, prefix="t"):
    """Tick or untick a record for a batch act, staying on this page."""

    record: int
    page: int


@dataclass(frozen=True)
class Confirm(Action, prefix="c"):
    """确认签发 one record, as seen at `version`."""

    record: int
    version: int


@dataclass(frozen=True)
class ConfirmBatch(Action, prefix="ca"):
    """批量确认签发: the ticked records, or all the batch's records waiting for the signer."""

    batch: int


@dataclass(frozen=True)
class Refuse(Action, prefix="r"):
    """拒绝签发 one record, as seen at `version` (a reason is asked for)."""

    record: int
    version: int


@dataclass(frozen=True)
class RefuseSelected(Action, prefix="ra"):
    """拒绝签发 the ticked records of a batch."""

    batch: int


@dataclass(frozen=True)
class Resubmit(Action, prefix="rs"):
    """The evaluation organization resubmits a refused record, as seen at `version`."""

    record: int
    version: int


@dataclass(frozen=True)
class Download(Action, prefix="dl"):
    """下载证书: a batch's certificates as ZIP documents."""

    batch: int


@dataclass(frozen=True)
class CreateLists(Action, prefix="lc"):
    """生成待签发名单 of an exam plan (evaluators)."""

    plan: int


@dataclass(frozen=True)
class Broadcast(Action, prefix="bc"):
    """群发通知 of an exam plan's pending lists."""

    plan: int


# Student info (完善学生信息)


@dataclass(frozen=True)
class Flag(Action, prefix="f"):
    """The evaluator flags a record's student info: which field?"""

    record: int


@dataclass(frozen=True)
class FlagField(Action, prefix="ff"):
    """The field (an index into `completion.FIELDS`) the school must complete."""

    record: int
    field: int


@dataclass(frozen=True)
class ListProblems(Action, prefix="pl"):
    """The school's open problems."""


@dataclass(frozen=True)
class FixProblem(Action, prefix="fx"):
    """Give the corrected value of one problem."""

    problem: int


@dataclass(frozen=True)
class ProblemSheet(Action, prefix="px"):
    """The open problems as an XLSX to correct."""


# Signature stamp (签名章) and the awaited answer


@dataclass(frozen=True)
class AcceptStamp(Action, prefix="sa"):
    """The letter of authorization is accepted: save the previewed stamp."""


@dataclass(frozen=True)
class DiscardStamp(Action, prefix="sx"):
    """Throw the previewed stamp away."""


@dataclass(frozen=True)
class Cancel(Action, prefix="x"):
    """Stop waiting for an answer."""
