"""Trace and BPTT cost against the fused torch.nn LSTM, measured side by side in one run.

    python bench/bench_trace.py            # the full grid (about a minute)
    python bench/bench_trace.py --quick    # T=200 only

Prints, per setting, the fused forward, trace() and their ratio (target <= 1.5x at T=1000,
hidden 256, 2 layers), and the fused forward+backward, bptt() and their ratio (target <= 3x).
Also the naive Python loop over cells.py, the thing the trace recipe replaces. One thread,
batch 1, as the app's server runs.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402
from torch import nn  # noqa: E402

from explorer import bptt, trace  # noqa: E402
from explorer.engine.reference import unrolled  # noqa: E402


def best_of(fn, repeats):
    """Best wall time in ms; interleaving is done by the caller, so drift hits both sides."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    lengths = (200,) if args.quick else (200, 1000)
    print(f"torch {torch.__version__}, 1 thread, batch 1, LSTM, best of 5")
    for steps in lengths:
        for hidden in (64, 256):
            for layers in (1, 2):
                lstm = nn.LSTM(hidden, hidden, num_layers=layers)
                x = torch.randn(steps, hidden)
                weights = torch.randn(steps, hidden)
                loss_fn = lambda out: (out * weights).sum()  # noqa: E731

                def fused_forward():
                    with torch.no_grad():
                        lstm(x)

                def fused_forward_backward():
                    lstm.zero_grad(set_to_none=True)
                    xg = x.clone().requires_grad_(True)
                    loss_fn(lstm(xg)[0]).backward()

                fused, traced, fused_fb, grads = [], [], [], []
                for _ in range(3):  # interleave the rounds
                    fused.append(best_of(fused_forward, 3))
                    traced.append(best_of(lambda: trace(lstm, x), 3))
                    lstm.train()
                    fused_fb.append(best_of(fused_forward_backward, 2))
                    lstm.eval()
                    grads.append(best_of(lambda: bptt(lstm, x, loss_fn), 2))
                f, t, fb, g = min(fused), min(traced), min(fused_fb), min(grads)
                line = (f"T={steps:4d} H={hidden:3d} L={layers}: trace {t:7.1f} ms / fused forward {f:6.1f} ms "
                        f"= {t / f:4.2f}x | bptt {g:7.1f} ms / fused fwd+bwd {fb:6.1f} ms = {g / fb:4.2f}x")
                if steps == 200 and hidden == 64 and layers == 1:
                    loop = best_of(lambda: unrolled(lstm, x), 2)
                    line += f" | python loop {loop / f:4.1f}x"
                print(line, flush=True)
    print("targets at T=1000 H=256 L=2: trace <= 1.5x, bptt <= 3x")


if __name__ == "__main__":
    main()
