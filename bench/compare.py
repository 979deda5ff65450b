"""Qianfa against a plain reference measured in the same run: alternating rounds, medians, ratio.

The machine the benchmarks run on is shared and noisy, so absolute figures move by 2× from one
minute to the next; a reference doing the same job with no product logic, measured between
Qianfa's rounds, moves with them. Each `bench` module's `--compare` mode measures its rows with
`alternate` and prints them with `report`, whose exit status says whether every target was met.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass

ROUNDS = 3


@dataclass(frozen=True)
class Row:
    """One line of the performance table.

    `per` says what the figures are: a rate ("/s", higher is better) or a cost ("s", "ms", "MiB":
    lower is better). The ratio is always Qianfa's figure over the reference's; `at_least` targets
    a rate's ratio from below, `at_most` a cost's from above.
    """

    name: str
    reference: str
    reference_value: float
    value: float
    per: str
    at_least: float | None = None
    at_most: float | None = None

    @property
    def ratio(self) -> float:
        return self.value / self.reference_value if self.reference_value else float("inf")

    @property
    def met(self) -> bool:
        if self.at_least is not None and self.ratio < self.at_least:
            return False
        return self.at_most is None or self.ratio <= self.at_most

    @property
    def target(self) -> str:
        if self.at_least is not None:
            return f"≥ {self.at_least:g}×"
        if self.at_most is not None:
            return f"≤ {self.at_most:g}×"
        return "—"

    def line(self) -> str:
        verdict = "met" if self.met else "MISSED"
        if self.at_least is None and self.at_most is None:
            verdict = "shown"
        return (
            f"{self.name}: {self.reference} {_figure(self.reference_value, self.per)},"
            f" Qianfa {_figure(self.value, self.per)}; ratio {self.ratio:.2f}×"
            f" (target {self.target}) {verdict}"
        )


def _figure(value: float, per: str) -> str:
    if per == "/s":
        return f"{value:,.0f}/s" if value >= 100 else f"{value:.1f}/s"
    return f"{value:.3g} {per}"


def alternate(
    qianfa: Callable[[], float], reference: Callable[[], float], rounds: int = ROUNDS
) -> tuple[float, float]:
    """Medians of `rounds` alternating measurements: (reference, Qianfa), reference first."""
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(rounds):
        theirs.append(reference())
        ours.append(qianfa())
    return statistics.median(theirs), statistics.median(ours)


def p95(samples: list[float]) -> float:
    """The 95th percentile (nearest rank)."""
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def report(rows: list[Row]) -> int:
    """Print the rows; 0 when every target is met, else 1 (the process's exit status)."""
    for row in rows:
        print(row.line(), flush=True)
    return 0 if all(row.met for row in rows) else 1
