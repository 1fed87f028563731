"""The units a pretrained character model is known for: its strongest quote, bracket, word-position or
line-position unit, found once on held-out text and kept in the model's sidecar under "units".

    python -m explorer.analysis.known_units --all          # every English and Python model in pretrained/
    python -m explorer.analysis.known_units english-lstm   # one model
    python -m explorer.analysis.known_units --all --dir other/zoo

Each model reads the same fixed held-out sample (probes.corpus_sample: validation and test text it
never trained on, from evenly spaced places), and probes.best_units ranks every hidden and cell unit
against each feature that needs memory. The sidecar gets a list, strongest |r| first:
{"feature", "quantity", "layer", "direction", "unit", "r"}. Only the JSON changes, never the weights.
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
from explorer import zoo
from explorer.analysis import probes
from explorer.i18n import N_, _

SAMPLE_CHARS = 6000  # held-out characters: enough that a bracket or a long line turns up many times
TOP = 3  # features kept per model: the first colours Inspect's text, the others are there to try
STATES = ("hidden", "cell")  # a state carries memory from step to step; a gate only decides what to keep
# Features that need memory (probes.MEMORY_FEATURES), per corpus. English prose has no strings and no
# indentation: an apostrophe would open a "Python string" that runs to the end of the line.
TASK_FEATURES = {
    "english": ("brackets", "word", "line"),
    "python": ("quotes", "brackets", "indent", "word", "line"),
    "poetry": ("word", "line"),  # one poem per line, no spaces: a "word" is one verse line between ， and 。
}
FEATURE_NAMES = {"quotes": N_("being inside a string"), "brackets": N_("bracket depth"), "indent": N_("indentation"),
                 "word": N_("position in the word"), "line": N_("position in the line")}
# What a feature means in a corpus where the general name would mislead; stored with the unit.
TASK_FEATURE_NAMES = {"poetry": {"word": N_("the position in the verse line"), "line": N_("the position in the poem")}}
SEED = 0  # the sample is fixed by its offsets; the seed pins anything in torch that might draw


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
    rows = [row for row in probes.best_units(series, text) if row["feature"] in TASK_FEATURES[task]]
    names = TASK_FEATURE_NAMES.get(task, {})
    return [dict(row, r=round(float(row["r"]), 3), **({"feature_name": names[row["feature"]]}
                                                       if row["feature"] in names else {}))
            for row in rows[:top]]


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
    rows = strongest_units(model, model.meta.get("task"), chars=chars)
    meta_path = zoo.paths(name, directory)[1]
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["units"] = rows
    meta_path.write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")  # as zoo.save
    return rows


def text_models(directory: Path | None = None) -> list[str]:
    """The models in the folder that read English or Python text."""
    return [name for name in zoo.available(directory) if zoo.info(name, directory).get("task") in TASK_FEATURES]


def progress(done: int, total: int, name: str) -> None:
    width = 20
    filled = width * done // total
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name:24s}", end="", file=sys.stderr,
          flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explorer.analysis.known_units",
                                     description="Write each text model's strongest units into its sidecar.")
    parser.add_argument("names", nargs="*", help="models to do (English or Python text models)")
    parser.add_argument("--all", action="store_true", help="every English and Python model in the folder")
    parser.add_argument("--dir", type=Path, default=None, help="the zoo folder (default: pretrained/)")
    parser.add_argument("--chars", type=int, default=SAMPLE_CHARS, help="held-out characters to read")
    args = parser.parse_args(argv)
    names = text_models(args.dir) if args.all else args.names
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
