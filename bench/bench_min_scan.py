"""Training steps per second: minGRU's parallel scan against a GRU of the same size, side by side in one run.

    python bench/bench_min_scan.py            # T = 64, 256, 1024 (about a minute on two cores)
    python bench/bench_min_scan.py --quick    # T = 64 and 256

One training step is a forward pass over a batch of 32 sequences, a mean-squared loss on every h_t,
the backward pass and an Adam step. Four ways of running a recurrent layer of 128 units on 32 inputs:
- minGRU, its doubling scan (explorer/engine/scan.py, as explorer/engine/mincells.py runs it): log2(T)
  rounds over the whole sequence, and the same scan backwards for the gradients;
- minGRU with Feng et al.'s log-space scan (cumsum and torch.logcumsumexp, autograd for the gradients),
  which the library ran before: the same numbers, a different way to get them;
- the fused torch.nn.GRU (one C++ kernel for the whole sequence): the reference;
- a GRU as a Python loop over explorer.engine.cells.gru_step: what minGRU's own step loop would cost.
Printed: steps per second of each, and the scan's ratio to the log-space scan, the fused GRU and the loop.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from explorer.engine import cells, mincells  # noqa: E402

BATCH, INPUT, HIDDEN = 32, 32, 128


class LoopGRU(nn.Module):
    """nn.GRU's parameters, run one step at a time through the reference step function."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(INPUT, HIDDEN, batch_first=True)

    def forward(self, x):
        h, out = x.new_zeros(x.shape[0], HIDDEN), []
        for t in range(x.shape[1]):
            h, _ = cells.gru_step(x[:, t], h, self.gru.weight_ih_l0, self.gru.weight_hh_l0,
                                  self.gru.bias_ih_l0, self.gru.bias_hh_l0)
            out.append(h)
        return torch.stack(out, dim=1), h


class LogSpaceMinGRU(nn.Module):
    """minGRU's weights, every h_t by log h_t = log A_t + logcumsumexp_s(log b_s - log A_s), A_t = prod a_s."""

    def __init__(self):
        super().__init__()
        self.cell = mincells.MinGRU(INPUT, HIDDEN)

    def forward(self, x):
        pre_z, pre_h = self.cell.linear(x).chunk(2, dim=-1)
        log_a = -F.softplus(pre_z)  # log(1 - z)
        log_g = torch.where(pre_h >= 0, torch.log(F.relu(pre_h) + 0.5), -F.softplus(-pre_h))
        log_prefix = torch.cumsum(log_a, dim=1)
        h = torch.exp(log_prefix + torch.logcumsumexp(-F.softplus(-pre_z) + log_g - log_prefix, dim=1))
        return h, h[:, -1]


def steps_per_second(model, x, target, seconds):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        optimizer.zero_grad()
        out = model(x)[0]
        torch.nn.functional.mse_loss(out, target).backward()
        optimizer.step()

    step()  # warm-up: allocations, Adam's state
    done, start = 0, time.perf_counter()
    while done < 2 or time.perf_counter() - start < seconds:
        step()
        done += 1
    return done / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    args = parser.parse_args()
    torch.manual_seed(0)
    print(f"training steps/s, batch {BATCH}, input {INPUT}, hidden {HIDDEN}, {torch.get_num_threads()} threads")
    print(f"{'T':>5} {'minGRU scan':>12} {'log-space':>10} {'nn.GRU fused':>13} {'GRU loop':>9} {'scan/log':>9} "
          f"{'scan/fused':>11} {'scan/loop':>10}")
    for steps in (64, 256) if args.quick else (64, 256, 1024):
        x = torch.randn(BATCH, steps, INPUT)
        target = torch.rand(BATCH, steps, HIDDEN)
        scan = steps_per_second(mincells.MinGRU(INPUT, HIDDEN), x, target, args.seconds)
        log_space = steps_per_second(LogSpaceMinGRU(), x, target, args.seconds)
        fused = steps_per_second(nn.GRU(INPUT, HIDDEN, batch_first=True), x, target, args.seconds)
        loop = steps_per_second(LoopGRU(), x, target, args.seconds)
        print(f"{steps:>5} {scan:>12.1f} {log_space:>10.1f} {fused:>13.1f} {loop:>9.2f} {scan / log_space:>8.2f}x "
              f"{scan / fused:>10.2f}x {scan / loop:>9.1f}x")


if __name__ == "__main__":
    main()
