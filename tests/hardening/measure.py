"""Run a module as ``python -m`` would, then write this process's peak RSS to a file.

    python -m tests.hardening.measure PEAK_FILE MODULE [ARGS...]

The kernel's per-process high-water mark (VmHWM) starts afresh at exec, unlike
``ru_maxrss``, which also remembers the RSS of the parent that forked us. The
module's stdout, stderr and exit code are untouched.
"""

from __future__ import annotations

import atexit
import runpy
import sys
from pathlib import Path


def _peak_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


if __name__ == "__main__":
    peak_file, module, *args = sys.argv[1:]
    atexit.register(lambda: Path(peak_file).write_text(str(_peak_bytes())))
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
