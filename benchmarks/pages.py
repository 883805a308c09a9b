"""Benchmark: page switches and widget reruns in a real browser, warm, against the 1 s goal.

    python benchmarks/pages.py                    # this tree
    python benchmarks/pages.py --before main      # a git ref side by side with this tree
    python benchmarks/pages.py --rounds 7

It starts ``streamlit run dashboard.py`` with the browser tests' ``start_streamlit``
(tests/browser.py) in demo mode (no key; the app runs its own demo simulator) on a free
loopback port and drives headless Chromium with Playwright. One browser
session first loads a generated 20,000-example chat file on Dataset (written to a temporary
folder at run time, deleted at the end), then, for each round, follows the sidebar links
Home → Dataset → Costs → Launch → Jobs → Evaluate and makes a widget rerun on Dataset (the
example viewer's "Line" step) and on Costs ("Calls per month" step).

A figure is the time from the click to the end of the script run it caused, as the browser
sees it (``data-test-script-state`` of the app leaves ``notRunning`` and returns to it),
so it includes the server's run, the websocket and the browser's rendering of the
deltas. Round 1 is the first visit ("first"); the table shows the median of the later
rounds ("warm"), the number to hold against the goal.

With ``--before REF`` the tree at REF (``git archive``) runs as a second server, and every
step is measured on both servers back to back, so that the load of a shared machine weighs
on both sides alike: compare the two columns (and their ratio), not figures from other runs.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import urllib.parse
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT)]
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402
from validate import make_dataset  # noqa: E402  (the validator benchmark's deterministic chat file)

from tests.browser import CHROMIUM, CHROMIUM_FLAGS, start_streamlit  # noqa: E402  (the browser tests' server and browser)

GOAL_S = 1.0
SWITCHES = ("Home", "Dataset", "Costs", "Launch", "Jobs", "Evaluate")
URL_PATHS = {
    "Home": "",
    "Dataset": "Dataset",
    "Costs": "Costs",
    "Launch": "Launch",
    "Jobs": "Jobs",
    "Evaluate": "Evaluate",
}

# Armed before a click: records when the app's script state leaves "notRunning" and comes back.
_ARM = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  const t = window.__bench = {start: performance.now(), ran: false, end: null};
  const obs = new MutationObserver((records) => {
    // a run can start and end between two callbacks: the records' old values still show it
    if (records.some((r) => r.oldValue !== "notRunning")) t.ran = true;
    if (t.ran && t.end === null && app.getAttribute("data-test-script-state") === "notRunning") {
      t.end = performance.now(); obs.disconnect();
    }
  });
  obs.observe(app, {attributes: true, attributeOldValue: true, attributeFilter: ["data-test-script-state"]});
}"""


def export_tree(ref: str, into: Path) -> Path:
    """The files of git ``ref`` in a fresh folder (the repository itself is not touched)."""
    data = subprocess.run(["git", "archive", "--format=tar", ref], cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


class Session:
    """One browser tab on one server; every action returns the seconds its rerun took."""

    def __init__(self, browser, url: str):
        self.url = url
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.page.set_default_timeout(120_000)

    def _settled(self) -> None:
        self.page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(state="attached")

    def open(self, path: str = "") -> None:
        self.page.goto(f"{self.url}/{path}")
        self.page.wait_for_selector("[data-testid='stAppViewContainer']", state="attached")
        self.page.wait_for_timeout(300)
        self._settled()
        # the menu is drawn by the page's run: wait for it, or a switch right after finds no link
        self.page.locator("[data-testid='stPageLink-NavLink'], [data-testid='stSidebarNav']").first.wait_for()

    def timed(self, act) -> float | None:
        """Seconds from ``act()`` to the end of the run it caused; None if no run was seen in 30 s
        (rare on a loaded machine; such a sample is left out and counted in the table)."""
        self._settled()
        self.page.evaluate(_ARM)
        act()
        try:
            self.page.wait_for_function("() => window.__bench.end !== null", polling=20, timeout=30_000)
        except PlaywrightTimeout:
            self._settled()
            return None
        return self.page.evaluate("() => (window.__bench.end - window.__bench.start) / 1000")

    def switch(self, label: str) -> float:
        link = (
            self.page.get_by_test_id("stSidebar")
            .get_by_test_id("stPageLink-NavLink")
            .filter(has=self.page.get_by_text(label, exact=True))
        )
        if not link.count():  # a tree from before the labelled menu: Streamlit's own list
            name = "dashboard" if label == "Home" else label
            link = self.page.get_by_test_id("stSidebarNav").get_by_role("link", name=name, exact=True)
        seconds = self.timed(link.click)
        if urllib.parse.urlparse(self.page.url).path != "/" + URL_PATHS[label]:
            self.open(URL_PATHS[label])  # the click was lost: carry on from the right page, no figure
            return None
        return seconds

    def step_up(self, label: str) -> float | None:
        box = self.page.get_by_test_id("stNumberInput").filter(has=self.page.get_by_text(label, exact=True)).first
        return self.timed(box.get_by_test_id("stNumberInputStepUp").click)

    def upload(self, path: Path) -> None:
        uploader = self.page.get_by_test_id("stFileUploader").filter(has_text="Training file").first
        uploader.locator("input[type='file']").set_input_files(str(path))
        self.page.wait_for_timeout(1000)
        self._settled()
        self.page.get_by_text("Line", exact=True).first.wait_for()


Figures = dict[str, dict[str, list[float | None]]]


def measure(sessions: dict[str, Session], rounds: int, data: Path) -> Figures:
    """{side: {step: [seconds per round, None where no run was seen]}}, each step on every side back to back."""
    figures: Figures = {side: {} for side in sessions}

    def each(step: str, action) -> None:
        for side, session in sessions.items():
            figures[side].setdefault(step, []).append(action(session))

    for session in sessions.values():
        session.open("Dataset")
        session.upload(data)
    for _ in range(rounds):
        for label in SWITCHES:
            each(f"switch to {label}", lambda s, label=label: s.switch(label))
            if label == "Dataset":
                each("Dataset: rerun (Line +1), 20,000-example report", lambda s: s.step_up("Line"))
            if label == "Costs":
                each("Costs: rerun (Calls per month +1,000)", lambda s: s.step_up("Calls per month"))
    return figures


def summary(runs: list[float | None]) -> tuple[float, float]:
    """(first visit, median of the later visits); NaN where there is no sample."""
    later = [r for r in runs[1:] if r is not None]
    return (runs[0] if runs[0] is not None else math.nan), (statistics.median(later) if later else math.nan)


def table(figures: Figures) -> str:
    sides = list(figures)
    steps = list(figures[sides[0]])
    head = f"{'step':52}" + "".join(f"{side + ' first':>14}{side + ' warm':>13}" for side in sides)
    if len(sides) == 2:
        head += f"{'warm ratio':>12}"
    lines = [head + "   goal", "-" * (len(head) + 7)]
    for step in steps:
        row = f"{step:52}"
        warm = []
        for side in sides:
            first, median = summary(figures[side][step])
            warm.append(median)
            row += f"{first:>13.2f}s{median:>12.2f}s"
        if len(sides) == 2:
            row += f"{warm[1] / warm[0]:>11.2f}x"
        row += "   " + ("ok" if warm[-1] < GOAL_S else f"over {GOAL_S:g} s")
        lines.append(row)
    missed = sum(r is None for side in sides for runs in figures[side].values() for r in runs)
    if missed:
        lines.append(f"({missed} sample(s) without a visible run left out)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", metavar="REF", help="also run the tree at this git ref, side by side")
    parser.add_argument("--rounds", type=int, default=5, help="visits per page (the first is the cold one)")
    parser.add_argument("--examples", type=int, default=20_000)
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="pages-bench-"))
    procs = []
    try:
        data = work / f"chat-{args.examples}.jsonl"
        size = make_dataset(data, args.examples)
        trees = {"after": ROOT}
        if args.before:
            trees = {"before": export_tree(args.before, work / "before"), "after": ROOT}
        urls = {}
        for name in [name for name in os.environ if name.startswith("TUNING_DESK_")]:
            del os.environ[name]  # demo mode as a visitor gets it: the app runs its own simulator, today is today
        for side, tree in trees.items():
            (work / f"server-{side}").mkdir()
            proc, urls[side], _ = start_streamlit(work / f"server-{side}", {}, cwd=tree)
            procs.append(proc)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
            sessions = {side: Session(browser, url) for side, url in urls.items()}
            figures = measure(sessions, args.rounds, data)
            browser.close()
        print(
            f"{args.examples:,} examples ({size / 1e6:.0f} MB) loaded on Dataset; {args.rounds} rounds, "
            f"warm = median of rounds 2-{args.rounds}; goal: every warm figure under {GOAL_S:g} s"
            + (f"; before = {args.before}, after = this tree" if args.before else "")
        )
        print(table(figures))
        return 0 if all(summary(v)[1] < GOAL_S for v in figures["after"].values()) else 1
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
