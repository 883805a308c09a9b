"""Editing a checked file: keep its good lines (clean) or split them into training and validation files.

Both work from the report alone: lines are kept byte for byte, never re-serialised.
"""

from __future__ import annotations

import random

from lib.validate.report import Report


def physical_lines(data: bytes) -> list[bytes]:
    """The lines of ``data`` without their newlines (a final newline adds no line)."""
    lines = data.split(b"\n")
    if data.endswith(b"\n"):
        lines.pop()
    return lines


def clean_jsonl(data: bytes, report: Report, *, dedupe: bool = False) -> bytes:
    """The good lines of ``data``, byte-exact, one per line with a final newline.

    Drops lines with errors, blank lines and lines that are not examples
    (and later duplicates of an earlier line when ``dedupe``).
    """
    bad = report.error_lines
    keep = []
    for ln, raw in enumerate(physical_lines(data), 1):
        if ln in bad or not raw.strip():
            continue
        if ln > len(report.per_example_tokens) or report.per_example_tokens[ln - 1] is None:
            continue
        if dedupe and ln in report.duplicates:
            continue
        keep.append(raw)
    return b"".join(line + b"\n" for line in keep)


def split_jsonl(data: bytes, report: Report, *, validation_fraction: float, seed: int) -> tuple[bytes, bytes]:
    """A seeded (train, validation) split of the good lines.

    Identical lines always land on the same side, so the split never creates a
    train/validation overlap. Each side keeps the file's line order.
    """
    if not 0 < validation_fraction < 1:
        raise ValueError("validation_fraction must be between 0 and 1")
    bad = report.error_lines
    groups: dict[int, list[tuple[int, bytes]]] = {}
    for ln, raw in enumerate(physical_lines(data), 1):
        if ln in bad or not raw.strip():
            continue
        if ln > len(report.per_example_tokens) or report.per_example_tokens[ln - 1] is None:
            continue
        groups.setdefault(report.duplicates.get(ln, ln), []).append((ln, raw))
    heads = sorted(groups)
    random.Random(seed).shuffle(heads)
    n_lines = sum(len(g) for g in groups.values())
    target = max(1, round(n_lines * validation_fraction)) if n_lines > 1 else 0
    chosen: set[int] = set()
    taken = 0
    for head in heads:
        if taken >= target:
            break
        chosen.add(head)
        taken += len(groups[head])
    train, valid = [], []
    for head, members in groups.items():
        (valid if head in chosen else train).extend(members)
    train.sort()
    valid.sort()
    return b"".join(r + b"\n" for _, r in train), b"".join(r + b"\n" for _, r in valid)
