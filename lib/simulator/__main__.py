"""``python -m lib.simulator [--port 8765] [--speed 10] [--host 127.0.0.1]``: run the simulator alone."""

from __future__ import annotations

import argparse
import sys
import threading

from lib.simulator import Simulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lib.simulator", description="A local simulator of the OpenAI fine-tuning API."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port to listen on (default 8765; 0 = any free port)")
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="how much faster than real time jobs run (default 1: about two minutes per job)",
    )
    args = parser.parse_args(argv)
    if not args.speed > 0:
        parser.error("--speed must be greater than 0")
    try:
        sim = Simulator(speed=args.speed).start(host=args.host, port=args.port)
    except OSError as exc:
        print(f"Cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    print(f"OpenAI fine-tuning simulator listening on {sim.root_url} (speed {sim.speed:g}).")
    print("Any API key works; each key is its own private space.")
    print(f'  OpenAI:  OpenAI(base_url="{sim.base_url}", api_key="sk-anything")')
    print(
        f'  Azure:   AzureOpenAI(azure_endpoint="{sim.root_url}", api_version="2025-04-01-preview", api_key="anything")'
    )
    print(f"  The app: TUNING_DESK_SIMULATOR_URL={sim.base_url} streamlit run dashboard.py")
    print("Press Ctrl+C to stop.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
