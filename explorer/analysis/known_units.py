"""The units a pretrained model is known for: its strongest unit for each feature it should keep in
memory, found once on held-out data and kept in the model's sidecar under "units".

    python -m explorer.analysis.known_units --all          # every model in pretrained/ that has features
    python -m explorer.analysis.known_units english-lstm   # one model
    python -m explorer.analysis.known_units --all --dir other/zoo

A character model (English, Python, poetry) reads the same fixed held-out sample (probes.corpus_sample:
validation and test text it never trained on, from evenly spaced places), and probes.best_units ranks
every hidden and cell unit against each feature that needs memory. A model of another task (brackets,
count, adding, sentiment, series) reads its task's own test sequences (task_features.held_out: a fixed
seed, a few thousand steps), each from the initial state as in training, and every hidden and cell unit
is ranked the same way against each feature the task defines (task_features.FEATURES). The sidecar
gets a list, strongest |r| first: {"feature", "quantity", "layer", "direction", "unit", "r"}. Only the
JSON changes, never the weights; `python -m explorer.zoo build` runs this command after each build.
The encoder-decoder (dates-lstm) lists none: a row names a unit of one recurrent net, and it has two.
Inspect colours its text by the first one; a model without the key (an uploaded one) falls back to
`most_varying_unit`.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

import explorer
from explorer import tasks, zoo
from explorer.analysis import probes, task_features
from explorer.analysis.shapes import training_length
from explorer.i18n import N_, _
from explorer.tasks.char_corpus import CODE_CORPORA

SAMPLE_CHARS = 6000  # held-out characters: enough that a bracket or a long line turns up many times
TOP = 3  # features kept per model: the first colours Inspect's text, the others are there to try
STATES = ("hidden", "cell")  # a state carries memory from step to step; a gate only decides what to keep
# Features that need memory (probes.MEMORY_FEATURES), per corpus. English prose has no strings and no
# indentation: an apostrophe would open a "Python string" that runs to the end of the line.
TASK_FEATURES = {
    "english": ("brackets", "word", "line"),
    **dict.fromkeys(CODE_CORPORA, ("quotes", "brackets", "indent", "word", "line")),
    "poetry": ("word", "line"),  # one poem per line, no spaces: a "word" is one verse line between ， and 。
}
FEATURE_NAMES = {"quotes": N_("being inside a string"), "brackets": N_("bracket depth"), "indent": N_("indentation"),
                 "word": N_("position in the word"), "line": N_("position in the line"),
                 **{key: name for features in task_features.FEATURES.values() for key, (name, _f) in features.items()}}
SEQUENCE_FEATURES = frozenset(key for features in task_features.FEATURES.values() for key in features)
# What a feature means in a corpus where the general name would mislead; stored with the unit.
TASK_FEATURE_NAMES = {"poetry": {"word": N_("the position in the verse line"), "line": N_("the position in the poem")}}
SEED = 0  # the text sample is fixed by its offsets; the seed draws a task's held-out sequences


def states_only(series: probes.UnitSeries) -> probes.UnitSeries:
    """The hidden- and cell-state columns of `series` (gates left out)."""
    keep = np.isin(series.quantity, STATES)
    return probes.UnitSeries(series.values[:, keep], series.quantity[keep], series.layer[keep],
                             series.direction[keep], series.unit[keep])


def strongest_units(model, task: str, *, chars: int = SAMPLE_CHARS, top: int = TOP,
                    sample: str | None = None) -> list[dict]:
    """The best hidden or cell unit for each memory feature of `task`'s text, the `top` strongest
    (|r| on the held-out sample, or on `sample` if given), as the sidecar stores them."""
    if task not in TASK_FEATURES:
        raise ValueError(_("only the English, Python and Chinese poetry models read text; this one's task is {task}")
                         .format(task=repr(task)))
    text = sample if sample is not None else probes.corpus_sample(task, chars)
    torch.manual_seed(SEED)
    series = states_only(probes.unit_series(explorer.trace(model, text, k=1)))
    rows = [row for row in probes.best_units(series, text, code=task in CODE_CORPORA)
            if row["feature"] in TASK_FEATURES[task]]
    names = TASK_FEATURE_NAMES.get(task, {})
    return [dict(row, r=round(float(row["r"]), 3), **({"feature_name": names[row["feature"]]}
                                                       if row["feature"] in names else {}))
            for row in rows[:top]]


def stacked(parts: list[probes.UnitSeries]) -> probes.UnitSeries:
    """The steps of several traces of one model in a row, as one UnitSeries."""
    first = parts[0]
    return probes.UnitSeries(np.concatenate([part.values for part in parts]), first.quantity, first.layer,
                             first.direction, first.unit)


def sequence_series(model, *, seed: int = SEED, steps: int = task_features.STEPS
                    ) -> tuple[probes.UnitSeries, dict[str, np.ndarray]]:
    """Every hidden and cell unit of a task model over its task's held-out sequences, each traced from the
    initial state as in training, and the task's features over the same steps (NaN where undefined)."""
    meta = model.meta or {}
    task = tasks.get(meta["task"], **(meta.get("task_config") or {}))
    data = task_features.held_out(task, seq_len=training_length(model), seed=seed, steps=steps)
    series = stacked([states_only(probes.unit_series(explorer.trace(model, x, k=1))) for x in data.inputs])
    return series, data.features


def sequence_units(model, *, seed: int = SEED, steps: int = task_features.STEPS, top: int = TOP) -> list[dict]:
    """The best hidden or cell unit for each feature of the model's task over its held-out sequences, the
    `top` strongest, as the sidecar stores them. A feature is measured only on the steps where it is defined."""
    series, features = sequence_series(model, seed=seed, steps=steps)
    rows = []
    for feature, values in features.items():
        kept = ~np.isnan(values)
        if kept.sum() < 2:  # defined nowhere on these sequences
            continue
        try:
            ranking = probes.rank_units(probes.UnitSeries(series.values[kept], series.quantity, series.layer,
                                                          series.direction, series.unit), values[kept])
        except probes.ProbeError:  # constant on these sequences: it ranks nothing, the other features still do
            continue
        best = int(ranking.order[0])
        rows.append({"feature": feature, "quantity": str(series.quantity[best]), "layer": int(series.layer[best]),
                     "direction": int(series.direction[best]), "unit": int(series.unit[best]),
                     "r": round(float(ranking.r[best]), 3)})
    return sorted(rows, key=lambda row: -abs(row["r"]))[:top]


def find_units(model, *, chars: int = SAMPLE_CHARS) -> list[dict]:
    """The model's strongest units, by the features of its text corpus or of its task."""
    task = (model.meta or {}).get("task")
    if task in TASK_FEATURES:
        return strongest_units(model, task, chars=chars)
    if task in task_features.FEATURES and isinstance(model, explorer.RNNModel):
        return sequence_units(model)
    raise ValueError(_("no units are listed for a model of the {task} task: only the text models and the models of "
                       "the brackets, count, adding, sentiment and series tasks have features to rank them by")
                     .format(task=repr(task)))


def listed_units(meta: dict) -> list[dict]:
    """A sidecar's "units" (none for a model that has no such key or a malformed one)."""
    rows = meta.get("units") if isinstance(meta, dict) else None
    needed = {"feature", "quantity", "layer", "direction", "unit", "r"}
    return [row for row in rows if isinstance(row, dict) and needed <= set(row)] if isinstance(rows, list) else []


def unit_sentence(row: dict) -> str:
    """'unit 231 of layer 0 (hidden state) tracks bracket depth, r = -0.74 on held-out text', in the current
    language."""
    state = {"hidden": _("hidden state"), "cell": _("cell state")}.get(row["quantity"], row["quantity"])
    named = row.get("feature_name") or FEATURE_NAMES.get(row["feature"])
    feature = _(named) if isinstance(named, str) else row["feature"]
    if row["feature"] in SEQUENCE_FEATURES:
        sentence = (_("unit {unit} of layer {layer} backward ({state}) tracks {feature}, r = {r} on held-out "
                      "sequences") if row["direction"] else
                    _("unit {unit} of layer {layer} ({state}) tracks {feature}, r = {r} on held-out sequences"))
    else:
        sentence = (_("unit {unit} of layer {layer} backward ({state}) tracks {feature}, r = {r} on held-out text")
                    if row["direction"] else
                    _("unit {unit} of layer {layer} ({state}) tracks {feature}, r = {r} on held-out text"))
    return sentence.format(unit=row["unit"], layer=row["layer"], state=state, feature=feature, r=f"{row['r']:+.2f}")


def most_varying_unit(values: np.ndarray) -> int:
    """The unit of values [T, H] whose value changes most over the text (largest variance): the
    fallback for a model without listed units."""
    return int(np.argmax(np.asarray(values, dtype=np.float64).var(axis=0)))


def write_units(name: str, directory: Path | None = None, *, chars: int = SAMPLE_CHARS) -> list[dict]:
    """Find NAME's strongest units and write them into its sidecar under "units"; the weights stay as they are."""
    model = zoo.load(name, directory)
    rows = find_units(model, chars=chars)
    meta_path = zoo.paths(name, directory)[1]
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["units"] = rows
    meta_path.write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")  # as zoo.save
    return rows


def listed_models(directory: Path | None = None) -> list[str]:
    """The models in the folder whose units this command can list: the text models and the one-net models of
    a task with features (not an encoder-decoder, whose sidecar names its kind)."""
    found = []
    for name in zoo.available(directory):
        meta = zoo.info(name, directory)
        task = meta.get("task")
        if task in TASK_FEATURES or task in task_features.FEATURES and not meta.get("kind"):
            found.append(name)
    return found


def progress(done: int, total: int, name: str) -> None:
    width = 20
    filled = width * done // total
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name:24s}", end="", file=sys.stderr,
          flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explorer.analysis.known_units",
                                     description="Write each model's strongest units into its sidecar.")
    parser.add_argument("names", nargs="*", help="models to do (a text model, or one of a task with features)")
    parser.add_argument("--all", action="store_true", help="every model in the folder whose units can be listed")
    parser.add_argument("--dir", type=Path, default=None, help="the zoo folder (default: pretrained/)")
    parser.add_argument("--chars", type=int, default=SAMPLE_CHARS, help="held-out characters a text model reads")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # small traces; one thread, as python -m explorer.zoo build uses
    names = listed_models(args.dir) if args.all else args.names
    if not names:
        parser.error("name at least one model, or --all")
    for k, name in enumerate(names):
        progress(k, len(names), name)
        try:
            rows = write_units(name, args.dir, chars=args.chars)
        except (ValueError, KeyError) as err:
            print(f"\nerror: {name}: {err}", file=sys.stderr)
            return 2
        progress(k + 1, len(names), name)
        print(f"\n{name}: " + "; ".join(unit_sentence(row) for row in rows), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
