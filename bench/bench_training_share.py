"""Eight sessions training at once, and one person typing: the turnstile's effect on both.

    python bench/bench_training_share.py                # 30 s per phase, about 75 s in all
    python bench/bench_training_share.py --seconds 10   # a quick look

In one process, as the Streamlit server runs them: 8 threads each train a default playground
(adding, SimpleRNN + LSTM, T=100) the way the Train page's fragment does (a chunk, then
TICK_SECONDS idle), while a 9th thread does what an Inspect rerun computes, `explorer.trace` of
english-lstm on a 200-character text, every 0.2 s. Two phases: without a share (8 slots: every
chunk runs at once) and with it (explorer.training.turns' default slots, chunks cut to a time slice while
others wait). Printed: the interactive call's p50/p95 latency against the same call on an idle
machine (the reference, measured first in this run), and the training steps per second of all
sessions together (each step trains both models of a playground). One torch thread, as the app.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch

from explorer import trace, zoo
from explorer.training import playground as play
from explorer.training import turns
from explorer.training.schedule import TICK_SECONDS

SESSIONS = 8
TYPING_SECONDS = 0.2  # between two interactive reruns: someone typing
TEXT = ("And he said unto them, Behold (the everlasting covenant) is with Mahershalalhashbaz; fear not. "
        "And it came to pass, when the men of the city saw it, that they rose up early in the morning.")[:200]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def interactive(model) -> float:
    began = time.perf_counter()
    trace(model, TEXT, k=5)
    return time.perf_counter() - began


def phase(gate: turns.Turnstile, model, seconds: float) -> tuple[list[float], float]:
    """(interactive latencies, training steps per second of all sessions) with `gate`."""
    playgrounds = [play.build(play.PlaygroundSettings()) for _ in range(SESSIONS)]
    stop = threading.Event()
    steps = [0] * SESSIONS

    def train(i: int) -> None:
        pg = playgrounds[i]
        while not stop.is_set():
            with gate.turn() as turn:
                if stop.is_set():
                    return
                n = turns.slice_steps(pg.settings.steps_per_tick, pg.steps_per_second, contended=turn.contended)
                steps[i] += sum(play.tick(pg, steps=n).steps.values()) // len(pg.runs)
            time.sleep(TICK_SECONDS)

    latencies = []
    trainers = [threading.Thread(target=train, args=(i,)) for i in range(SESSIONS)]
    began = time.perf_counter()
    for thread in trainers:
        thread.start()
    time.sleep(1.0)  # every session is training
    while time.perf_counter() - began < seconds:
        latencies.append(interactive(model))
        time.sleep(TYPING_SECONDS)
    stop.set()
    elapsed = time.perf_counter() - began
    for thread in trainers:
        thread.join()
    return latencies, sum(steps) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each phase")
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = zoo.load("english-lstm")
    for _ in range(5):  # warm up
        interactive(model)
    idle = [interactive(model) for _ in range(30)]
    reference = statistics.median(idle)
    print(f"reference: trace(english-lstm, 200 chars) on an idle machine {reference * 1e3:.1f} ms (median of 30)")
    default = turns.slots_from_env()
    for label, slots in ((f"no share ({SESSIONS} slots)", SESSIONS),
                         (f"turnstile ({default} slot{'s' * (default > 1)})", default)):
        latencies, rate = phase(turns.Turnstile(slots), model, args.seconds)
        p50, p95 = statistics.median(latencies), percentile(latencies, 0.95)
        print(f"{label:>22}: interactive p50 {p50 * 1e3:7.1f} ms ({p50 / reference:5.1f}x) | "
              f"p95 {p95 * 1e3:7.1f} ms ({p95 / reference:5.1f}x) | {len(latencies)} calls | "
              f"training {rate:5.1f} steps/s, {SESSIONS} sessions together")


if __name__ == "__main__":
    main()
