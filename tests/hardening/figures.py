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


def _sum(cases: list[Case], key: str) -> float:
    return sum(c.figures.get(key, 0) or 0 for c in cases)


def _max(cases: list[Case], key: str) -> float:
    return max((c.figures.get(key, 0) or 0 for c in cases), default=0)


def _passed(cases: list[Case]) -> str:
    return f"{sum(c.ok for c in cases)}/{len(cases)}"


def _faults(cases: list[Case]) -> str:
    return (
        f"faults: {_passed(cases)} recovered (one sentence, no traceback, form and dataset kept); "
        f"slowest answer {_max(cases, 'seconds'):.1f} s"
    )


def _bad_files(cases: list[Case]) -> str:
    return (
        f"bad files: {_passed(cases)} answered in <= {_max(cases, 'seconds'):.1f} s, "
        f"peak +{_max(cases, 'peak_mb'):.0f} MB (page), +{_max(cases, 'cli_peak_mb'):.0f} MB (command line); "
        "the page stayed usable after each"
    )


def _many_users(cases: list[Case]) -> str:
    return (
        f"many users: {_max(cases, 'sessions'):.0f} sessions at once, {_sum(cases, 'crossings'):.0f} crossings "
        f"in {_sum(cases, 'checks'):.0f} checks ({_passed(cases)} cases)"
    )


def _leaks(cases: list[Case]) -> str:
    return (
        f"leaks: {_sum(cases, 'leaks'):.0f} ({_sum(cases, 'places'):.0f} places scanned, "
        f"{_sum(cases, 'bytes') / 2**20:.1f} MB read; {_passed(cases)} cases)"
    )


def _injection(cases: list[Case]) -> str:
    return f"injection: {_passed(cases)} inert"


def _money(cases: list[Case]) -> str:
    return f"money: {_passed(cases)} one job"


def _owner_key(cases: list[Case]) -> str:
    return (
        f"owner key: {_sum(cases, 'left'):.0f} of {_sum(cases, 'calls'):.0f} calls left the owner's endpoint "
        f"({_passed(cases)} cases: OpenAI and Azure, environment and secrets file, every page)"
    )


def _outbound(cases: list[Case]) -> str:
    return (
        f"outbound: {_sum(cases, 'reached'):.0f} of {_sum(cases, 'private'):.0f} private addresses reached "
        f"({_passed(cases)} cases)"
    )


def _demo_keys(cases: list[Case]) -> str:
    return (
        f"demo keys: {_sum(cases, 'served'):.0f} of {_sum(cases, 'forged'):.0f} forged keys served, "
        f"{_sum(cases, 'evicted'):.0f} live spaces dropped ({_passed(cases)} cases)"
    )


def _memory(cases: list[Case]) -> str:
    parts = [c.figures["line"] for c in cases if "line" in c.figures]
    return "memory: " + ("; ".join(parts) if parts else f"{_passed(cases)} cases")


def _second_visitor(cases: list[Case]) -> str:
    parts = [c.figures["line"] for c in cases if "line" in c.figures]
    return "second visitor: " + ("; ".join(parts) if parts else f"{_passed(cases)} cases")


AREAS = {
    "faults": _faults,
    "bad files": _bad_files,
    "many users": _many_users,
    "leaks": _leaks,
    "injection": _injection,
    "money": _money,
    "owner key": _owner_key,
    "outbound": _outbound,
    "demo keys": _demo_keys,
    "memory": _memory,
    "second visitor": _second_visitor,
}


def summary_lines() -> list[str]:
    """One line per area that ran, in a fixed order."""
    lines = []
    for area, line in AREAS.items():
        cases = [c for c in CASES if c.area == area]
        if cases:
            lines.append(line(cases))
    failed = [f"{c.area}: {c.name}" for c in CASES if not c.ok]
    if failed:
        lines.append("failed: " + "; ".join(failed))
    return lines
