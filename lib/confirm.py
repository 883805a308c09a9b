"""A spend under confirmation: the one rule for every Confirm that costs money.

Review opens a pending request (a job to create, calls to send) in state :data:`REVIEW`.
:func:`confirm` moves it to :data:`CONFIRMED` exactly once: a double click, a second
click that arrives while the first one's work runs, or a rerun finds it confirmed and
does nothing, so nothing is paid twice. Cancel drops it only while it still waits for
the review; once confirmed it goes its way. ``lib.ui.confirm_spend`` draws this as a
dialog; the pending objects (:class:`lib.launch.PendingLaunch`,
:class:`lib.evaluate_session.PendingRun`) carry a ``state`` attribute.
"""

from __future__ import annotations

from typing import Any

REVIEW = "review"  # shown with its estimate, waiting for Confirm or Cancel
CONFIRMED = "confirmed"  # Confirm was pressed: the work runs once, no button does anything more


def waiting(pending: Any) -> bool:
    """Whether ``pending`` is shown for review (Confirm and Cancel still do something)."""
    return pending is not None and pending.state == REVIEW


def confirmed(pending: Any) -> bool:
    """Whether ``pending`` was confirmed and its work is due (or under way)."""
    return pending is not None and pending.state == CONFIRMED


def confirm(pending: Any) -> bool:
    """Confirm ``pending`` if it waits for review; False (and nothing changes) for any later click."""
    if not waiting(pending):
        return False
    pending.state = CONFIRMED
    return True


def cancel(pending: Any) -> bool:
    """Whether ``pending`` may be dropped: only while it waits; a confirmed request is not taken back."""
    return waiting(pending)
