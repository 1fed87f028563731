"""How much the trainer costs on top of a bare training loop.

    python bench/bench_train.py

For each setting, two copies of the same model (same seed, same batches, same optimizer) are
trained side by side: one by `explorer.training.train.train_steps`, one by a hand-written loop that does
only zero_grad / forward / loss / backward / clip / step. Chunks alternate (trainer first on even
repetitions, bare loop first on odd ones) so drift in the machine's speed hits both; the median
of the repetitions is reported. Both copies stay in lockstep, so their losses must also be equal
bit for bit: the benchmark checks that too. One torch thread, as the app's server runs.
"""
from __future__ import annotations

import copy
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from explorer import tasks  # noqa: E402
from explorer.training.train import TrainSettings, build_model, config_for, start, train_steps  # noqa: E402

SETTINGS = [  # (task, cell, hidden, batch, seq_len)
    ("english", "lstm", 128, 32, 64),
    ("adding", "lstm", 128, 32, 50),
]
STEPS_PER_CHUNK = 10
REPETITIONS = 7
TARGET = 0.9


def bare_loop(model, optimizer, task, generator, settings, n, losses):
    for _ in range(n):
        batch = task.batch("train", settings.batch_size, settings.seq_len, generator)
        optimizer.zero_grad(set_to_none=True)
        output, _ = model(batch.x)
        loss = task.loss(output, batch)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), settings.clip_norm)
        optimizer.step()
        losses.append(loss.detach())  # kept as tensors: read after the clock stops


def bench(task_name, cell, hidden, batch_size, seq_len):
    task = tasks.get(task_name)
    settings = TrainSettings(optimizer="adam", lr=3e-3, batch_size=batch_size, seq_len=seq_len,
                             clip=True, clip_norm=1.0, seed=0)
    model = build_model(config_for(task, cell=cell, hidden_size=hidden), task.vocab, seed=0)
    state = start(task, copy.deepcopy(model), settings)
    bare_model = copy.deepcopy(model).train()
    bare_optimizer = torch.optim.Adam(bare_model.parameters(), lr=settings.lr)
    bare_generator = torch.Generator().manual_seed(settings.seed)
    bare_losses = []

    def run_trainer():
        began = time.perf_counter()
        train_steps(state, STEPS_PER_CHUNK)
        return STEPS_PER_CHUNK / (time.perf_counter() - began)

    def run_bare():
        began = time.perf_counter()
        bare_loop(bare_model, bare_optimizer, task, bare_generator, state.settings, STEPS_PER_CHUNK, bare_losses)
        return STEPS_PER_CHUNK / (time.perf_counter() - began)

    run_trainer(), run_bare()  # warm-up: oneDNN primitives, allocator
    trainer_rates, bare_rates = [], []
    for rep in range(REPETITIONS):
        if rep % 2 == 0:
            trainer_rates.append(run_trainer())
            bare_rates.append(run_bare())
        else:
            bare_rates.append(run_bare())
            trainer_rates.append(run_trainer())
    trainer, bare = statistics.median(trainer_rates), statistics.median(bare_rates)
    same = [row["loss"] for row in state.logs] == [float(x) for x in bare_losses]
    ratio = trainer / bare
    print(f"train {task_name} {cell} h{hidden} b{batch_size} T{seq_len}: trainer {trainer:.1f} steps/s, "
          f"bare loop {bare:.1f} steps/s, ratio {ratio:.2f}x (target >= {TARGET}x); "
          f"losses {'identical' if same else 'DIFFER'} over {len(bare_losses)} steps", flush=True)
    return ratio, same


if __name__ == "__main__":
    torch.set_num_threads(1)
    results = [bench(*setting) for setting in SETTINGS]
    sys.exit(0 if all(ratio >= TARGET and same for ratio, same in results) else 1)
