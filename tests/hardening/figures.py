"""What the hardening tests measured, printed as one line per area at the end of the pytest run.

A test wraps each checked case in :func:`case`; the case counts as passed only
if its body finished without an exception (which also fails the test), and the
figures it records feed its area's line. So a line always says what really ran::

    with figures.case("faults", "429 on Launch create") as c:
        ...                       # act and assert
        c.figures["seconds"] = 1.4
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Case:
    area: str
    name: str
    ok: bool = False
    figures: dict = field(default_factory=dict)


CASES: list[Case] = []


@contextmanager
def case(area: str, name: str, **figures) -> Iterator[Case]:
    """Record one case of ``area``; it passes only if the ``with`` body raises nothing."""
    record = Case(area, name, figures=dict(figures))
    CASES.append(record)
    yield record
    record.ok = True


class _Totals(dict):
    """What an area's line may say about its cases: ``passed`` ("12/12"), ``sum_<figure>`` and
    ``max_<figure>`` over the cases' figures, and ``lines`` (the cases' own ``line`` figures, joined)."""

    def __init__(self, cases: list[Case]):
        super().__init__(passed=f"{sum(c.ok for c in cases)}/{len(cases)}")
        self.cases = cases

    def __missing__(self, name: str):
        if name == "lines":
            parts = [c.figures["line"] for c in self.cases if "line" in c.figures]
            return "; ".join(parts) if parts else f"{self['passed']} cases"
        how, _, figure = name.partition("_")
        values = [c.figures.get(figure, 0) or 0 for c in self.cases]
        return {"sum": sum, "max": lambda v: max(v, default=0)}[how](values)


# area -> its line, filled from its cases by area_line().
AREAS = {
    "faults": "{passed} recovered (one sentence, no traceback, form and dataset kept); "
    "slowest answer {max_seconds:.1f} s",
    "bad files": "{passed} answered in <= {max_seconds:.1f} s, peak +{max_peak_mb:.0f} MB (page), "
    "+{max_cli_peak_mb:.0f} MB (command line); the page stayed usable after each",
    "many users": "{max_sessions:.0f} sessions at once, {sum_crossings:.0f} crossings in {sum_checks:.0f} checks "
    "({passed} cases)",
    "leaks": "{sum_leaks:.0f} ({sum_places:.0f} places scanned, {sum_mb:.1f} MB read; {passed} cases)",
    "injection": "{passed} inert",
    "money": "{passed} one job",
    "owner key": "{sum_left:.0f} of {sum_calls:.0f} calls left the owner's endpoint "
    "({passed} cases: OpenAI and Azure, environment and secrets file, every page)",
    "outbound": "{sum_reached:.0f} of {sum_private:.0f} private addresses reached ({passed} cases)",
    "demo keys": "{sum_served:.0f} of {sum_forged:.0f} forged keys served, {sum_evicted:.0f} live spaces dropped "
    "({passed} cases)",
    "memory": "{lines}",
    "second visitor": "{lines}",
}


def area_line(area: str, cases: list[Case]) -> str:
    """The summary line of ``area``: its name, then what its cases passed and measured."""
    return f"{area}: " + AREAS[area].format_map(_Totals(cases))


def summary_lines() -> list[str]:
    """One line per area that ran, in a fixed order."""
    lines = []
    for area in AREAS:
        cases = [c for c in CASES if c.area == area]
        if cases:
            lines.append(area_line(area, cases))
    failed = [f"{c.area}: {c.name}" for c in CASES if not c.ok]
    if failed:
        lines.append("failed: " + "; ".join(failed))
    return lines
