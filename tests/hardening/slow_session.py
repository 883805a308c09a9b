"""One session of the "silent backend" test of test_faults.py, in its own process.

    python -m tests.hardening.slow_session SURFACE BASE_URL KEY

AppTest keeps process-wide state (its runtime stand-in, CPython's compiler), so
sessions that must wait at the same time each get a process. The parent drives
the steps over stdin ("go", then "recover") and reads one JSON line per step.
"""

from __future__ import annotations

import json
import sys
import time
import traceback

from types import SimpleNamespace

from lib.connection import CALL_TIMEOUT_S
from tests.hardening.faults import SLOW, SLOW_BOUND_S, SURFACES, Session


def _say(**fields) -> None:
    print(json.dumps(fields), flush=True)


def _step(name: str, action) -> None:
    try:
        figures = action() or {}
        _say(step=name, error=None, **figures)
    except BaseException:  # reported to the parent, which fails the test
        _say(step=name, error=traceback.format_exc()[-1500:])


def main() -> int:
    surface_name, base_url, key = sys.argv[1:4]
    surface = next(s for s in SURFACES if s.name == surface_name)
    session: dict = {}

    def prepare():
        s = Session(SimpleNamespace(base_url=base_url), key)  # the parent's simulator, by its URL
        ctx = surface.prepare(s)
        if surface.before:
            surface.before(s, ctx)
        session.update(s=s, ctx=ctx)

    def act():
        s, ctx = session["s"], session["ctx"]
        started = time.perf_counter()
        surface.act(s, ctx)
        seconds = time.perf_counter() - started
        session["acted_at"] = started
        assert seconds <= SLOW_BOUND_S, f"{seconds:.1f} s, over the {SLOW_BOUND_S:g} s bound"
        s.one_sentence(surface.phrase(SLOW))
        s.kept()
        return {"seconds": round(seconds, 2)}

    def recover():
        s, ctx = session["s"], session["ctx"]
        # The slow call reached the simulator, which acts on it once its delay is over: wait for that.
        time.sleep(max(0.0, session["acted_at"] + SLOW.fault["latency"] + 1 - time.perf_counter()))
        if "jobs_before" in ctx:
            # The slow create made the job after the client gave up: the confirmation again must find
            # that job (the same idempotency key), not make a second one.
            made = len(s.client.fine_tuning.jobs.list().data) - ctx["jobs_before"]
            assert made == 1, f"the slow create made {made} jobs"
            ctx["jobs_before"] += made - 1
        surface.recover(s, ctx)
        s.kept()

    _step("ready", prepare)
    for name, action in (("acted", act), ("recovered", recover)):
        if sys.stdin.readline().strip() != name:
            return 1
        _step(name, action)
    return 0


if __name__ == "__main__":
    assert CALL_TIMEOUT_S < SLOW.fault["latency"]  # the fault must outlast every client's patience
    sys.exit(main())
