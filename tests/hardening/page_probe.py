"""Run the Dataset page (AppTest) on one file in a fresh process and print what it cost, as JSON.

    python -m tests.hardening.page_probe FILE [--max-upload-mb N]

A fresh process per file makes the peak memory honest: the kernel's high-water
mark (VmHWM) is reset after the app's first run, so the figure is what the
upload itself cost (the file's bytes included). The JSON holds the seconds of
the run that checks the upload, of a plain rerun, the peak RSS delta in MB,
the first alert (the verdict), any exception, and whether the page then still
works: a bundled sample loaded next must come out "Ready to train".
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = "pages/1_Dataset.py"


def _status(field: str) -> int:
    """A VmRSS/VmHWM figure of this process in bytes (0 where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
        return True
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--max-upload-mb", type=int)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))

    from streamlit import config
    from streamlit.testing.v1 import AppTest

    if args.max_upload_mb:
        config.set_option("server.maxUploadSize", args.max_upload_mb)
    from lib import validate

    validate.validate_bytes((ROOT / "samples" / "support_chat.jsonl").read_bytes())  # tokenizers loaded once
    path = Path(args.file)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=300).run()
    at.switch_page(PAGE).run()
    data = path.read_bytes()
    widget = at.file_uploader(key=f"_dataset_train_upload_{at.session_state['dataset_upload_gen']}")

    import gc

    gc.collect()
    before = _status("VmRSS")
    measured = _reset_peak()
    started = time.perf_counter()
    widget.set_value((path.name, data, "application/jsonl")).run()
    seconds = time.perf_counter() - started
    peak = _status("VmHWM") if measured else 0
    del data
    alerts = [str(a.value) for a in list(at.error) + list(at.success)]
    exceptions = [str(e.value)[:300] for e in at.exception]
    started = time.perf_counter()
    at.run()  # a plain rerun (any widget change does this): must not redo the work
    rerun_seconds = time.perf_counter() - started
    exceptions += [str(e.value)[:300] for e in at.exception]

    # Still usable: a sample replaces the file and is checked as usual.
    at.selectbox(key="_dataset_sample").set_value("support_chat").run()
    after = [str(a.value) for a in at.success]
    print(
        json.dumps(
            {
                "seconds": round(seconds, 2),
                "rerun_seconds": round(rerun_seconds, 2),
                "peak_delta_mb": round(max(0, peak - before) / 2**20, 1) if measured else None,
                "verdict": alerts[0].replace("\\", "") if alerts else "",
                "alerts": len(alerts),
                "exceptions": exceptions + [str(e.value)[:300] for e in at.exception],
                "usable_after": bool(after) and after[0].startswith("Ready to train"),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
