"""The clipping lab: the same training run with and without gradient clipping, side by side.

Clipping rescales a gradient whose norm exceeds the threshold, so one bad step cannot throw
the weights far away (exploding gradients). It does nothing for gradients that vanish: a
SimpleRNN that cannot see the first marker of a long adding problem stays blind, clipped or not.
"""
from __future__ import annotations

from explorer import tasks
from explorer.i18n import _
from explorer.training import train


def clipping_lab(*, cell: str = "rnn", seq_len: int = 100, steps: int = 30, threshold: float = 1.0,
                 lr: float = 1e-2, hidden_size: int = 32, batch_size: int = 32, seed: int = 0) -> dict:
    """Train two identical models (same seed, same batches) on the adding problem, one with
    clipping at `threshold` and one without. Returns {"clipped": rows, "unclipped": rows,
    "threshold": ...}; rows are the trainer's log rows (grad_norm_before/after, clipped, loss)."""
    if steps < 1 or steps > 500:
        raise ValueError(_("the clipping lab runs 1 to 500 steps; got {steps}").format(steps=steps))
    task = tasks.get("adding")
    config = train.config_for(task, cell=cell, hidden_size=hidden_size)
    runs = {}
    for name, clip in (("unclipped", False), ("clipped", True)):
        model = train.build_model(config, None, seed=seed)
        settings = train.TrainSettings(optimizer="sgd", lr=lr, batch_size=batch_size, seq_len=seq_len, clip=clip,
                                       clip_norm=threshold, seed=seed)
        state = train.start(task, model, settings)
        seen = []  # every step as it happened, including those a divergence rolls back
        train.train_steps(state, steps, callback=seen.append)
        runs[name] = {"rows": seen, "stopped_reason": state.stopped_reason}
    return {"threshold": threshold, "seq_len": seq_len, "cell": cell, **runs}
