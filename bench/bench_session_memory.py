"""Memory a closed tab gives back: the server's RSS before, at peak and after.

    python bench/bench_session_memory.py [--sessions 3] [--grace 10]

Starts the app as the README does, opens `--sessions` tabs in Debian's chromium that each build the largest
Train live models the session budget allows (SimpleRNN and LSTM, hidden 64 × 2 layers, batch 512 × length
200 on the adding problem) and train one chunk, closes the tabs, and samples the server's resident memory
every second for a minute. It runs twice: with the session watcher (explorer/app/sessions.py, closed
sessions go after `--grace` seconds) and, as the reference, with the grace set beyond the minute, which is
what Streamlit alone does (it keeps a closed tab's session for two minutes and drops it only when another
session disconnects). tests/browser/test_session_memory.py runs the first half and asserts on it.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from server_memory import scenario  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=3)
    parser.add_argument("--grace", type=float, default=10.0)
    args = parser.parse_args()
    os.environ.setdefault("RNN_EXPLORER_THREADS", "1")
    print(f"bench_session_memory: {args.sessions} tabs each build SimpleRNN + LSTM, hidden 64 x 2 layers, "
          f"batch 512 x length 200, train one step, then close")
    ours = scenario(args.sessions, args.grace)
    print("  reference: Streamlit alone (no watcher within the minute)")
    reference = scenario(args.sessions, 10_000.0)
    freed = ours["peak"] - ours["after"]
    kept = reference["after"] - reference["before"]
    print(f"bench_session_memory: after a minute the server holds {ours['after'] - ours['before']:+.0f} MB over its "
          f"start with the watcher, {kept:+.0f} MB without (ratio after/before {ours['after'] / ours['before']:.2f} "
          f"vs {reference['after'] / reference['before']:.2f}); the watcher gave back {freed:.0f} MB")


if __name__ == "__main__":
    main()
