"""The models on disk: which are there, what each is, and opening one by name.

A folder of checkpoints (pretrained/ unless another `directory` is given) is read through
explorer.zoo.checkpoint; a sidecar that names a registered kind (explorer.zoo.kinds) is opened
by that kind's loader, any other by the RNNModel's.
"""
from __future__ import annotations

import re
from pathlib import Path

from torch import nn

from explorer.i18n import _
from explorer.zoo.checkpoint import ZOO_DIR, load_checkpoint, paths, read_meta
from explorer.zoo.kinds import kind_of
from explorer.zoo.recipes import recipe_names


def available(directory: Path | None = None) -> list[str]:
    """Names of the pretrained models whose weights and metadata are both on disk, in recipe order."""
    names = recipe_names()
    found = [n for n in names if all(p.exists() for p in paths(n, directory))]
    extra = sorted(p.stem for p in Path(directory or ZOO_DIR).glob("*.json")
                   if p.stem not in names and paths(p.stem, directory)[0].exists())
    return found + extra


def info(name: str, directory: Path | None = None) -> dict:
    """A model's metadata without loading its weights (for tables and pickers)."""
    meta_path = paths(name, directory)[1]
    if not meta_path.exists():
        raise ValueError(_("no pretrained model named {name}; available: {names}")
                         .format(name=repr(name), names=", ".join(available(directory)) or _("none")))
    return read_meta(meta_path.read_bytes(), meta_path.name)


def load(name: str, directory: Path | None = None) -> nn.Module:
    """A ready model in eval mode with gradients off, carrying `.meta` (task, cell, vocabulary,
    training settings, held-out metrics): an RNNModel, or the model of a registered kind (an
    encoder-decoder). Callers that train must copy it first."""
    weights_path, meta_path = paths(name, directory)
    if not weights_path.exists() or not meta_path.exists():
        raise ValueError(_("no pretrained model named {name}; available: {names} (rebuild with: {command})").format(
            name=repr(name), names=", ".join(available(directory)) or _("none"),
            command=f"python -m explorer.zoo build {name}"))
    meta_raw = meta_path.read_bytes()
    kind = kind_of(read_meta(meta_raw, meta_path.name))
    loader = kind.load_checkpoint if kind is not None else load_checkpoint
    return loader(weights_path.read_bytes(), meta_raw, weights_path.name)


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
        if "in_order" in test:  # a text model over the whole split in order, as its n-grams are scored
            row["in_order"] = test["in_order"].get("value")
        if "longer" in test:
            row["test_longer"], row["longer_seq_len"] = test["longer"].get("value"), test["longer"].get("seq_len")
            if test.get("seq_len") and row["longer_seq_len"]:  # 2x and 8x figures each say which they are
                row["longer_times"] = round(row["longer_seq_len"] / test["seq_len"])
        extra = [b for b in test.get("baselines", []) if isinstance(b, dict) and isinstance(b.get("value"), float)]
        if extra:  # the strongest baseline with memory (an n-gram, a seasonal forecast), the one to beat
            best = min(extra, key=lambda b: b["value"])
            row["best_baseline"], row["best_baseline_name"] = best["value"], str(best.get("name", ""))
            if order := re.match(r"(\d+)-gram", row["best_baseline_name"]):
                row["ngram"], row["ngram_order"] = best["value"], int(order[1])
        rows.append(row)
    return rows
