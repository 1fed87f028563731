"""The pretrained zoo: list, load, save and rebuild the models the app opens on.

    python -m explorer.zoo list              # names, tasks, sizes and held-out metrics
    python -m explorer.zoo build english-lstm   # retrain one from scratch (fixed seed)
    python -m explorer.zoo build --all       # retrain every model

Each model is two files in pretrained/: NAME.safetensors (the weights, no pickle) and NAME.json
(config, vocabulary, task, training settings and the metrics measured when it was built).
Loading never unpickles anything; a damaged, truncated or mismatched file gives a ValueError
that says which file and what is wrong.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors_bytes
from safetensors.torch import save_file

from . import tasks
from .models import ModelConfig, RNNModel
from .vocab import Vocab

ZOO_DIR = Path(__file__).resolve().parent.parent / "pretrained"
MAX_CHECKPOINT_BYTES = 64 * 1024 * 1024  # far above any model here; stops a hostile upload early
FORMAT = "rnn-explorer/1"


@dataclass(frozen=True)
class Recipe:
    """How to rebuild one pretrained model from nothing."""

    name: str
    title: str
    task: str
    cell: str
    hidden_size: int
    steps: int  # optimizer steps; the English trio shares one budget so they compare fairly
    lr: float = 3e-3
    batch_size: int = 32
    seq_len: int | None = None  # None: the task's default
    clip_norm: float = 1.0  # clipping on for every zoo model: the classic remedy for exploding gradients
    num_layers: int = 1
    bidirectional: bool = False  # a second chain reads the sequence backwards (the Stacked & bidirectional page)
    input_mode: str | None = None  # None: embedding for text, real values otherwise
    embedding_size: int = 32
    task_kwargs: dict = field(default_factory=dict)
    seed: int = 0
    eval_seq_len: int | None = None  # brackets: test on sequences longer than the training ones
    note: str = ""


RECIPES: dict[str, Recipe] = {r.name: r for r in [
    Recipe("english-lstm", "LSTM on English prose", "english", "lstm", 128, steps=3000,
           note="the default model of the Inspect page"),
    Recipe("english-gru", "GRU on English prose", "english", "gru", 128, steps=3000),
    Recipe("english-rnn", "SimpleRNN on English prose", "english", "rnn", 128, steps=3000),
    Recipe("english-rnn-matched", "SimpleRNN on English prose, as many parameters as english-lstm",
           "english", "rnn", 256, steps=3000),
    Recipe("english-gru-matched", "GRU on English prose, as many parameters as english-lstm",
           "english", "gru", 150, steps=3000),
    Recipe("python-lstm", "LSTM on Python source (the standard library)", "python", "lstm", 256, steps=4000,
           lr=2e-3, seq_len=128, note="where quote, bracket and indentation units appear"),
    Recipe("adding-lstm", "LSTM on the adding problem, T=100", "adding", "lstm", 64, steps=3000, lr=3e-3,
           batch_size=64, seq_len=100),
    Recipe("adding-rnn", "SimpleRNN on the adding problem, T=100", "adding", "rnn", 64, steps=3000, lr=1e-3,
           batch_size=64, seq_len=100, note="fails where the LSTM succeeds: the classic gap"),
    Recipe("brackets-lstm", "LSTM counting bracket depth", "brackets", "lstm", 32, steps=1500, lr=5e-3,
           seq_len=64, eval_seq_len=128),
    Recipe("sentiment-gru", "GRU reading a sentence for its sentiment", "sentiment", "gru", 64, steps=1500),
    Recipe("count-lstm", "LSTM counting down from one digit (one-to-many)", "count", "lstm", 32, steps=800,
           lr=1e-2),
    Recipe("series-lstm", "LSTM forecasting a synthetic seasonal series", "series", "lstm", 32, steps=1500,
           lr=3e-3, task_kwargs={"source": "synthetic", "window": 24, "horizon": 6}),
    Recipe("brackets-rnn", "SimpleRNN (Elman) counting bracket depth", "brackets", "rnn", 32, steps=1500, lr=5e-3,
           seq_len=64, eval_seq_len=128, note="feeds back its hidden state; compare brackets-jordan"),
    Recipe("brackets-jordan", "Jordan network counting bracket depth", "brackets", "jordan", 32, steps=1500, lr=5e-3,
           seq_len=64, eval_seq_len=128, note="feeds back its previous output (the depth it predicted)"),
    Recipe("sentiment-bigru", "2-layer bidirectional GRU reading a sentence for its sentiment", "sentiment", "gru", 32,
           steps=1500, num_layers=2, bidirectional=True, note="compare sentiment-gru: one layer, forward only"),
    Recipe("english-rnn-onehot", "SimpleRNN on English prose, one-hot input", "english", "rnn", 128, steps=3000,
           input_mode="onehot", note="english-rnn trained on one-hot characters instead of an embedding"),
    Recipe("airline-lstm", "LSTM forecasting airline passengers, each window relative to its last month", "series",
           "lstm", 32, steps=1500, lr=1e-3, task_kwargs={"source": "airline", "window": 12, "horizon": 1,
                                                         "relative": True},
           note="reads log(value / last value of the window), so the test years' new heights are no surprise; "
                "hidden size, steps and lr picked on the validation months"),
]}


# ---------------------------------------------------------------------------------------------
# listing and loading


def _paths(name: str, directory: Path | None = None) -> tuple[Path, Path]:
    folder = Path(directory) if directory is not None else ZOO_DIR
    return folder / f"{name}.safetensors", folder / f"{name}.json"


def recipe_names() -> list[str]:
    """Every model the zoo can rebuild: the RNNModel recipes, then the encoder-decoders."""
    from . import seq2seq  # imported here: explorer.seq2seq builds on this module
    return [*RECIPES, *seq2seq.RECIPES]


def load_other_kind(weights_path: Path, meta_path: Path):
    """The model of a checkpoint whose metadata names another kind (an encoder-decoder), or None."""
    from . import seq2seq
    if read_meta(meta_path.read_bytes(), meta_path.name).get("kind") != seq2seq.KIND:
        return None
    return seq2seq.load_checkpoint(weights_path.read_bytes(), meta_path.read_bytes(), weights_path.name)


def available(directory: Path | None = None) -> list[str]:
    """Names of the pretrained models whose weights and metadata are both on disk, in recipe order."""
    names = recipe_names()
    found = [n for n in names if all(p.exists() for p in _paths(n, directory))]
    extra = sorted(p.stem for p in Path(directory or ZOO_DIR).glob("*.json")
                   if p.stem not in names and _paths(p.stem, directory)[0].exists())
    return found + extra


def info(name: str, directory: Path | None = None) -> dict:
    """A model's metadata without loading its weights (for tables and pickers)."""
    _, meta_path = _paths(name, directory)
    if not meta_path.exists():
        raise ValueError(f"no pretrained model named {name!r}; available: {', '.join(available(directory)) or 'none'}")
    return read_meta(meta_path.read_bytes(), meta_path.name)


def load(name: str, directory: Path | None = None) -> RNNModel:
    """A ready model in eval mode with gradients off, carrying `.meta` (task, cell, vocabulary,
    training settings, held-out metrics). Callers that train must copy it first."""
    weights_path, meta_path = _paths(name, directory)
    if not weights_path.exists() or not meta_path.exists():
        raise ValueError(f"no pretrained model named {name!r}; available: {', '.join(available(directory)) or 'none'}"
                         f" (rebuild with: python -m explorer.zoo build {name})")
    other = load_other_kind(weights_path, meta_path)
    if other is not None:
        return other
    return load_checkpoint(weights_path.read_bytes(), meta_path.read_bytes(), weights_path.name)


def read_meta(raw: bytes, label: str = "metadata") -> dict:
    try:
        meta = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{label} is not valid JSON ({err.__class__.__name__}: {err})") from None
    if not isinstance(meta, dict) or "config" not in meta:
        raise ValueError(f"{label} is not an RNN Explorer metadata file: it has no 'config'")
    return meta


def load_checkpoint(weights: bytes, meta: bytes | dict, label: str = "checkpoint") -> RNNModel:
    """Build a model from safetensors bytes and its JSON metadata, checking everything."""
    meta = read_meta(meta, f"{label} metadata") if isinstance(meta, (bytes, bytearray)) else meta
    try:
        config = ModelConfig.from_dict(meta["config"])
    except (TypeError, ValueError) as err:
        raise ValueError(f"{label} metadata has an unusable config: {err}") from None
    vocab = None
    if meta.get("vocab") is not None:
        try:
            vocab = Vocab.from_json(meta["vocab"])
        except ValueError as err:
            raise ValueError(f"{label} metadata has an unusable vocabulary: {err}") from None
    try:
        model = RNNModel(config, vocab)
    except ValueError as err:
        raise ValueError(f"{label} metadata does not describe a model: {err}") from None
    load_weights(model, weights, label)
    model.meta = meta
    return model


def load_weights(model: torch.nn.Module, weights: bytes, label: str = "checkpoint") -> None:
    """Fill a freshly built model from safetensors bytes, then freeze it (eval mode, no gradients).

    The one gate every checkpoint passes (zoo models and encoder-decoders alike): a size limit,
    then safetensors, which holds raw tensors and a JSON header, nothing executable, so nothing is
    ever unpickled; then the same names and shapes as the model, float and finite everywhere."""
    if len(weights) > MAX_CHECKPOINT_BYTES:
        raise ValueError(f"{label} is {len(weights) / 2**20:.0f} MB; the limit is {MAX_CHECKPOINT_BYTES // 2**20} MB")
    try:
        tensors = load_safetensors_bytes(bytes(weights))
    except (SafetensorError, ValueError, RuntimeError, OSError) as err:
        raise ValueError(f"{label} is not a readable safetensors file (damaged or truncated?): {err}") from None
    expected = model.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    if missing or unexpected:
        parts = ([f"missing {', '.join(missing[:4])}"] if missing else []) + \
                ([f"unexpected {', '.join(unexpected[:4])}"] if unexpected else [])
        raise ValueError(f"{label} does not match its config: {'; '.join(parts)}")
    for key, tensor in tensors.items():
        if tensor.shape != expected[key].shape:
            raise ValueError(f"{label}: {key} has shape {tuple(tensor.shape)} but the config needs "
                             f"{tuple(expected[key].shape)}")
        if not tensor.is_floating_point() or not torch.isfinite(tensor).all():
            raise ValueError(f"{label}: {key} holds non-finite or non-float values")
    model.load_state_dict({k: v.to(expected[k].dtype) for k, v in tensors.items()})
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)


def save(model: RNNModel, name: str, meta: dict, directory: Path | None = None) -> tuple[Path, Path]:
    """Write NAME.safetensors and NAME.json (config and vocabulary are taken from the model)."""
    weights_path, meta_path = _paths(name, directory)
    weights_path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    save_file(state, str(weights_path), metadata={"format": FORMAT})
    meta = dict(meta, format=FORMAT, config=model.config.to_dict(),
                vocab=model.vocab.to_json() if model.vocab is not None else None)
    meta_path.write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return weights_path, meta_path


def to_bytes(model: RNNModel, meta: dict | None = None) -> tuple[bytes, bytes]:
    """The same two files as `save`, in memory (for a download button)."""
    from safetensors.torch import save as save_bytes
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    meta = dict(meta or getattr(model, "meta", {}), format=FORMAT, config=model.config.to_dict(),
                vocab=model.vocab.to_json() if model.vocab is not None else None)
    return save_bytes(state, metadata={"format": FORMAT}), json.dumps(meta, ensure_ascii=False).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# building


def make_task(recipe: Recipe):
    return tasks.get(recipe.task, **recipe.task_kwargs)


def evaluate_recipe(model: RNNModel, recipe: Recipe, split: str = "test", batches: int = 40, seed: int = 1234) -> dict:
    """The held-out metrics stored in the metadata (and re-checked by the tests on fewer batches)."""
    from .train import evaluate
    task = make_task(recipe)
    seq_len = recipe.seq_len or task.default_seq_len
    scores = evaluate(model, task, split=split, batches=batches, batch_size=32, seq_len=seq_len, seed=seed)
    result = {"split": split, "metric": task.metric_name, "value": scores["metric"], "loss": scores["loss"],
              "seq_len": seq_len, "batches": batches, "seed": seed}
    if recipe.eval_seq_len:  # generalisation to longer sequences than any seen in training
        longer = evaluate(model, task, split=split, batches=batches, batch_size=32, seq_len=recipe.eval_seq_len, seed=seed)
        result["longer"] = {"seq_len": recipe.eval_seq_len, "value": longer["metric"], "loss": longer["loss"]}
    value, sentence = task.baseline()
    result["baseline"] = {"value": value, "description": sentence}
    return result


def build(name: str, directory: Path | None = None, progress: bool = True) -> RNNModel:
    """Train one recipe from scratch with its fixed seed, evaluate it, save it."""
    from . import seq2seq, train

    if name in seq2seq.RECIPES:  # an encoder-decoder: its own task and training loop
        return seq2seq.build(name, directory, progress)
    recipe = RECIPES.get(name)
    if recipe is None:
        raise ValueError(f"no recipe named {name!r}; recipes: {', '.join(recipe_names())}")
    torch.set_num_threads(1)  # batch work here is small; one thread keeps builds reproducible and polite
    task = make_task(recipe)
    config = train.config_for(task, cell=recipe.cell, hidden_size=recipe.hidden_size, num_layers=recipe.num_layers,
                              bidirectional=recipe.bidirectional,
                              input_mode=recipe.input_mode, embedding_size=recipe.embedding_size)
    model = train.build_model(config, task.vocab, seed=recipe.seed)
    settings = train.TrainSettings(optimizer="adam", lr=recipe.lr, batch_size=recipe.batch_size,
                                   seq_len=recipe.seq_len or task.default_seq_len, clip=True,
                                   clip_norm=recipe.clip_norm, seed=recipe.seed)
    state = train.start(task, model, settings)
    started = time.perf_counter()
    chunk = 50
    done = 0
    while done < recipe.steps:
        rows = train.train_steps(state, min(chunk, recipe.steps - done))
        done += len(rows)
        if progress:
            _progress(name, done, recipe.steps, rows[-1]["loss"] if rows else float("nan"), time.perf_counter() - started)
        if getattr(state, "stopped_reason", None):
            raise RuntimeError(f"{name}: {state.stopped_reason}")
    seconds = time.perf_counter() - started
    if progress:
        print(file=sys.stderr)
    model.eval()
    metrics = {"test": evaluate_recipe(model, recipe, "test"), "val": evaluate_recipe(model, recipe, "val")}
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
    save(model, name, meta, directory)
    model.meta = json.loads(json.dumps(meta))
    return model


def _progress(name, done, total, loss, seconds):
    width = 30
    filled = int(width * done / total)
    rate = done / seconds if seconds > 0 else 0.0
    left = (total - done) / rate if rate > 0 else math.inf
    print(f"\r{name:22s} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} loss {loss:.3f} "
          f"{rate:5.1f} steps/s, {left:4.0f} s left", end="", file=sys.stderr, flush=True)


def summary_rows(directory: Path | None = None) -> list[dict]:
    """One row per pretrained model: name, task, cell, size, held-out metric, baseline."""
    rows = []
    for name in available(directory):
        meta = info(name, directory)
        test = meta.get("metrics", {}).get("test", {})
        row = {"name": name, "task": meta.get("task"), "cell": meta.get("cell"),
               "hidden": meta["config"]["hidden_size"], "layers": meta["config"]["num_layers"],
               "parameters": meta.get("parameters"), "metric": test.get("metric"),
               "test": test.get("value"), "baseline": test.get("baseline", {}).get("value")}
        if "longer" in test:
            row["test_longer"] = test["longer"].get("value")
        rows.append(row)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m explorer.zoo", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="print the pretrained models and their held-out metrics")
    build_parser = sub.add_parser("build", help="retrain models from scratch with their fixed seeds")
    build_parser.add_argument("names", nargs="*", help=f"any of: {', '.join(recipe_names())}")
    build_parser.add_argument("--all", action="store_true", help="every recipe")
    args = parser.parse_args(argv)
    if args.command == "list":
        rows = summary_rows()
        if not rows:
            print("no pretrained models found; build them with: python -m explorer.zoo build --all")
            return 0
        print(f"{'name':22s} {'task':10s} {'cell':5s} {'hidden':>6s} {'params':>8s}  held-out (test)")
        for r in rows:
            extra = f", {r['test_longer']:.4f} at 2x length" if "test_longer" in r else ""
            print(f"{r['name']:22s} {r['task']:10s} {r['cell']:5s} {r['hidden']:6d} {r['parameters']:8d}  "
                  f"{r['metric']} {r['test']:.4f} (baseline {r['baseline']:.4f}){extra}")
        return 0
    names = recipe_names() if args.all else args.names
    if not names:
        parser.error("name at least one model, or --all")
    for name in names:
        try:
            model = build(name)
        except ValueError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        test = model.meta["metrics"]["test"]
        print(f"{name}: test {test['metric']} {test['value']:.4f} (baseline {test['baseline']['value']:.4f}), "
              f"{model.meta['training_seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
