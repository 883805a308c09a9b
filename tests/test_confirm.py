"""lib.confirm: Confirm moves a spend on once; Cancel drops it only while it waits."""

from __future__ import annotations

from dataclasses import dataclass

from lib import confirm
from lib.evaluate_session import PendingRun
from lib.launch import PendingLaunch


@dataclass
class Pending:
    state: str = confirm.REVIEW


def test_the_first_confirm_moves_it_on_and_every_later_click_does_nothing():
    pending = Pending()
    assert confirm.waiting(pending) and not confirm.confirmed(pending)
    assert confirm.confirm(pending) is True
    assert confirm.confirmed(pending) and not confirm.waiting(pending)
    assert confirm.confirm(pending) is False  # the second click of a double click
    assert confirm.confirm(pending) is False
    assert pending.state == confirm.CONFIRMED


def test_cancel_only_while_it_waits():
    waiting = Pending()
    assert confirm.cancel(waiting) is True
    confirmed = Pending()
    confirm.confirm(confirmed)
    assert confirm.cancel(confirmed) is False  # a confirmed spend is not taken back half-way


def test_nothing_pending_is_neither_confirmed_nor_cancellable():
    assert not confirm.confirm(None) and not confirm.cancel(None)
    assert not confirm.waiting(None) and not confirm.confirmed(None)


def test_the_pages_requests_start_under_review():
    launch = PendingLaunch({}, "key", None, None, None, "a.jsonl", None, None)
    run = PendingRun(run_id="evalrun-1", eval_set=None, candidates=[], estimates=[])
    for pending in (launch, run):
        assert confirm.waiting(pending)
        assert confirm.confirm(pending) and not confirm.confirm(pending)
