"""Rebuilding a pretrained model from its recipe: train with the fixed seed, measure it on the
held-out splits, save it with those metrics in its sidecar.

    python -m explorer.zoo build english-lstm   # the same, from the command line

A recipe of a registered kind (an encoder-decoder) is handed to that kind's own builder.
"""
from __future__ import annotations

import inspect
import json
import math
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from explorer import tasks
from explorer.engine.models import RNNModel
from explorer.training import train
from explorer.zoo.checkpoint import paths, save
from explorer.zoo.kinds import kind_with_recipe
from explorer.zoo.recipes import RECIPES, Recipe, lr_at, recipe_names, seq_len_at
from explorer.zoo.store import available, load


def make_task(recipe: Recipe, *, late: bool = False):
    """The task a recipe trains and is measured on, with the recipe's own settings (`late`: with the settings of
    its training at late_lr as well, Recipe.late_task_kwargs)."""
    return tasks.get(recipe.task, **recipe.task_kwargs, **(recipe.late_task_kwargs if late else {}))


# A synthetic task (adding, brackets, count, sentiment) draws every split from one process, so the same seed
# would read its validation figure on its test strings: the validation split takes a seed of its own.
VAL_SEED = 4321


def evaluate_recipe(model: RNNModel, recipe: Recipe, split: str = "test", batches: int = 40, seed: int = 1234) -> dict:
    """The held-out metrics stored in the metadata (and re-checked by the tests on fewer batches)."""
    task = make_task(recipe)
    seq_len = recipe.seq_len or task.default_seq_len
    scores = train.evaluate(model, task, split=split, batches=batches, batch_size=32, seq_len=seq_len, seed=seed)
    result = {"split": split, "metric": task.metric_name, "value": scores["metric"], "loss": scores["loss"],
              "seq_len": seq_len, "batches": batches, "seed": seed}
    if recipe.seq_lens:  # one model for several lengths: each measured on its own
        result["lengths"] = [{"seq_len": length, "value": train.evaluate(model, task, split=split, batches=batches,
                                                                         batch_size=32, seq_len=length,
                                                                         seed=seed)["metric"]}
                             for length in recipe.seq_lens]
    if recipe.eval_seq_len:  # generalisation to longer sequences than any seen in training
        longer = train.evaluate(model, task, split=split, batches=batches, batch_size=32,
                                seq_len=recipe.eval_seq_len, seed=seed)
        result["longer"] = {"seq_len": recipe.eval_seq_len, "value": longer["metric"], "loss": longer["loss"]}
    result.update(baselines(task, split))
    result.update(in_order(model, task, split))
    return result


def in_order(model: nn.Module, task, split: str) -> dict:
    """A text model's bits per character over every character of the split read in order, the protocol of its
    n-gram baselines (the random windows of `value` each start cold); nothing for the other tasks."""
    if not hasattr(task, "split_ids"):
        return {}
    bits = train.evaluate_in_order(model, task.split_ids(split))
    return {"in_order": {"value": bits, "description": f"{bits:.3f} bits/char reading the whole {split} split in "
                                                       "order, the state carried from character to character"}}


def baselines(task, split: str) -> dict:
    """The task's baselines on `split` as the metadata stores them: the one every task has, and the n-gram
    models of the text tasks and the seasonal forecasts of the series that have them."""
    # a baseline scored on the split's own windows (the series' naive forecast) stands beside the model on that split
    measured_on_split = "split" in inspect.signature(task.baseline).parameters
    value, sentence = task.baseline(split) if measured_on_split else task.baseline()
    result = {"baseline": {"value": value, "description": sentence}}
    extra = getattr(task, "extra_baselines", None)  # only some tasks have more than the one baseline
    if extra is not None and (rows := extra(split)):
        result["baselines"] = [{"name": name, "value": bits, "description": text} for name, bits, text in rows]
    return result


def refresh_baselines(name: str, directory: Path | None = None) -> dict:
    """Recompute a pretrained model's baselines (the n-gram models of a text, the naive and seasonal forecasts of
    a series: they depend on the task's data, not on the weights) and, for a text model, its own figure read in
    order beside them (`in_order`, the n-grams' protocol, which does read the weights). Writes them into its
    metadata, leaving the weights and the other figures as they are. Returns the test split's entries."""
    recipe = RECIPES.get(name)
    if recipe is None:
        raise ValueError(f"no recipe named {name!r} with baselines to refresh; recipes: {', '.join(recipe_names())}")
    meta_path = paths(name, directory)[1]
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    task = make_task(recipe)
    model = load(name, directory) if hasattr(task, "split_ids") else None  # scored in order beside its n-grams
    for split, metrics in meta.get("metrics", {}).items():
        metrics.update(baselines(task, split))
        if model is not None:
            metrics.update(in_order(model, task, split))
    meta_path.write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return meta["metrics"]["test"]


BEST_EVERY = 250  # steps between the validation checks of Recipe.late_from_best
BEST_BATCHES = 10  # validation batches a check reads: a tenth of a second for the brackets counter


@dataclass
class BestSoFar:
    """The weights and optimizer state that read best on validation so far (Recipe.late_from_best)."""

    score: float = float("-inf")
    step: int = 0
    kept: tuple[dict, dict] | None = None  # train.kept_weights at that step

    def check(self, state, recipe: Recipe, task, step: int) -> None:
        seq_len = recipe.eval_seq_len or recipe.seq_len or task.default_seq_len  # the length the recipe is judged at
        metric = train.evaluate(state.model, task, split="val", batches=BEST_BATCHES, batch_size=32, seq_len=seq_len,
                                seed=VAL_SEED)["metric"]
        score = metric if task.higher_is_better else -metric
        if score > self.score:
            self.score, self.step = score, step
            self.kept = train.kept_weights(state)

    def restore(self, state) -> None:
        if self.kept is not None:
            train.restore_weights(state, self.kept)
            self.kept = None  # once: the lower rate goes on from here


def start_from(model: nn.Module, recipe: Recipe, directory: Path | None) -> None:
    """Load the weights of the built model `recipe.init_from` into `model`, refusing one of another task or shape."""
    source = recipe.init_from
    if source not in available(directory):
        raise ValueError(f"{recipe.name} goes on from {source}, which is not built: "
                         f"python -m explorer.zoo build {source} first")
    built = load(source, directory)
    if built.meta.get("task") != recipe.task or built.config != model.config:
        raise ValueError(f"{recipe.name} goes on from {source}, a model of another task or shape")
    model.load_state_dict(built.state_dict())


def build(name: str, directory: Path | None = None, progress: bool = True) -> nn.Module:
    """Train one recipe from scratch with its fixed seed, evaluate it, save it."""
    kind = kind_with_recipe(name)
    if kind is not None:  # an encoder-decoder: its own task and training loop
        return kind.build(name, directory, progress)
    recipe = RECIPES.get(name)
    if recipe is None:
        raise ValueError(f"no recipe named {name!r}; recipes: {', '.join(recipe_names())}")
    if (recipe.late_task_kwargs or recipe.late_from_best) and recipe.late_lr is None:
        raise ValueError(f"{name}: late_task_kwargs and late_from_best say what happens at late_lr's turn; "
                         "the recipe has no late_lr")
    torch.set_num_threads(1)  # batch work here is small; one thread keeps builds reproducible and polite
    task = make_task(recipe)
    config = train.config_for(task, cell=recipe.cell, hidden_size=recipe.hidden_size, num_layers=recipe.num_layers,
                              bidirectional=recipe.bidirectional,
                              input_mode=recipe.input_mode, embedding_size=recipe.embedding_size,
                              dropout=recipe.dropout)
    model = train.build_model(config, task.vocab, seed=recipe.seed)
    if recipe.init_from is not None:
        start_from(model, recipe, directory)
    if recipe.dropout:
        torch.manual_seed(recipe.seed)  # dropout draws its masks from torch's global generator
    settings = train.TrainSettings(optimizer="adam", lr=recipe.lr, batch_size=recipe.batch_size,
                                   seq_len=seq_len_at(recipe, 0) or task.default_seq_len, clip=True,
                                   clip_norm=recipe.clip_norm, seed=recipe.seed, carry_state=recipe.carry_state)
    state = train.start(task, model, settings)
    started = time.perf_counter()
    chunk = 50
    done = 0
    best = BestSoFar() if recipe.late_from_best and recipe.late_lr is not None else None
    late_task = make_task(recipe, late=True) if recipe.late_task_kwargs else None  # made now: bad settings fail at once
    while done < recipe.steps:
        if recipe.seq_lens or recipe.late_lr is not None:  # a schedule: the length and rate for these steps
            length, lr = seq_len_at(recipe, done) or settings.seq_len, lr_at(recipe, done)
            if lr == recipe.late_lr != state.settings.lr:  # the turn
                if best is not None:
                    best.restore(state)
                if late_task is not None:
                    state.task = late_task  # the same kind of task: its batches go on from the same generator
            if (length, lr) != (state.settings.seq_len, state.settings.lr):
                train.update_settings(state, seq_len=length, lr=lr)
        rows = train.train_steps(state, min(chunk, recipe.steps - done))
        done += len(rows)
        if best is not None and done % BEST_EVERY == 0 and lr_at(recipe, done - 1) == recipe.lr:
            best.check(state, recipe, task, done)
        if progress:
            progress_bar(name, done, recipe.steps, rows[-1]["loss"] if rows else float("nan"),
                         time.perf_counter() - started)
        if getattr(state, "stopped_reason", None):
            raise RuntimeError(f"{name}: {state.stopped_reason}")
    seconds = time.perf_counter() - started
    if progress:
        print(file=sys.stderr)
    model.eval()
    metrics = {"test": evaluate_recipe(model, recipe, "test"),
               "val": evaluate_recipe(model, recipe, "val", seed=VAL_SEED)}
    meta = {
        "name": name,
        "title": recipe.title,
        "task": recipe.task,
        "task_config": task.config(),
        "task_title": task.title,
        "cell": recipe.cell,
        "recipe": asdict(recipe),
        "seed": recipe.seed,
        "steps": recipe.steps,
        "training_seconds": round(seconds, 1),
        "data_source": getattr(task, "source_description", task.title),
        "parameters": model.num_parameters(),
        "metrics": metrics,
        "torch": torch.__version__,
        "note": recipe.note,
    }
    if best is not None and best.step:
        meta["late_from"] = {"step": best.step, "val": round(best.score, 5)}  # where the lower rate took over
    save(model, name, meta, directory)
    units = list_units(name, directory, progress)
    model.meta = json.loads(json.dumps(meta | ({"units": units} if units is not None else {})))
    return model


def list_units(name: str, directory: Path | None = None, progress: bool = True) -> list[dict] | None:
    """Write a saved model's strongest units into its sidecar ("units"; Inspect colours a text model's text by
    the first) and return them (None where its task has no features to rank units by). The analysis layer finds
    them and the zoo may not import it (docs/architecture.md), so this runs that layer's command in a child process."""
    command = [sys.executable, "-m", "explorer.analysis.known_units", name]
    if directory is not None:
        command += ["--dir", str(Path(directory).resolve())]
    done = subprocess.run(command, capture_output=not progress, text=True, check=False)  # with progress: its lines
    if done.returncode:
        said = (done.stderr or "").strip().splitlines()
        print(f"{name}: no units listed" + (f" ({said[-1]})" if said else ""), file=sys.stderr)
        return None
    return json.loads(paths(name, directory)[1].read_text(encoding="utf-8")).get("units")


def progress_bar(name: str, done: int, total: int, loss: float, seconds: float) -> None:
    """One line on stderr, rewritten in place: steps done, the last loss, speed and time left."""
    width = 30
    filled = int(width * done / total)
    rate = done / seconds if seconds > 0 else 0.0
    left = (total - done) / rate if rate > 0 else math.inf
    print(f"\r{name:22s} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} loss {loss:.3f} "
          f"{rate:5.1f} steps/s, {left:4.0f} s left", end="", file=sys.stderr, flush=True)
