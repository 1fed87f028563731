"""The zoo's command line (`python -m explorer.zoo` runs it):

    python -m explorer.zoo list                 # names, tasks, sizes and held-out metrics
    python -m explorer.zoo build english-lstm   # retrain one from scratch (fixed seed)
    python -m explorer.zoo build --all          # retrain every model
    python -m explorer.zoo sweep                # retrain the memory-length sweep (pretrained/memory_sweep.*)
    python -m explorer.zoo baselines            # recompute the stored baselines (n-gram, seasonal) and in-order figures
"""
from __future__ import annotations

import argparse
import sys

from explorer.training.sweep import run_sweep, save_sweep
from explorer.zoo.rebuild import build, refresh_baselines
from explorer.zoo.recipes import RECIPES, recipe_names
from explorer.zoo.store import summary_rows

DESCRIPTION = "The pretrained zoo: list, load, save and rebuild the models the app opens on."


def main(argv=None) -> int:
    """Run one command; returns the exit status (0 done, 2 an unknown model)."""
    parser = argparse.ArgumentParser(prog="python -m explorer.zoo", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="print the pretrained models and their held-out metrics")
    build_parser = sub.add_parser("build", help="retrain models from scratch with their fixed seeds")
    build_parser.add_argument("names", nargs="*", help=f"any of: {', '.join(recipe_names())}")
    build_parser.add_argument("--all", action="store_true", help="every recipe")
    sub.add_parser("sweep", help="retrain the memory-length sweep of every cell (20 to 45 minutes on one thread)")
    baselines_parser = sub.add_parser("baselines", help="recompute the baselines (n-gram models of the text tasks, "
                                      "seasonal forecasts of the series) stored with pretrained models, and a "
                                      "text model's own figure read in order beside them, without retraining")
    baselines_parser.add_argument("names", nargs="*", help="default: every pretrained model with a recipe")
    args = parser.parse_args(argv)
    if args.command == "baselines":
        for name in args.names or [row["name"] for row in summary_rows() if row["name"] in RECIPES]:
            test = refresh_baselines(name)
            extra = ", ".join(f"{b['name']} {b['value']:.3f}" for b in test.get("baselines", []))
            print(f"{name}: baseline {test['baseline']['value']:.4f}" + (f"; {extra}" if extra else ""))
        return 0
    if args.command == "sweep":
        artefact, weights = run_sweep()
        save_sweep(artefact, weights)
        print(f"memory sweep: {artefact['build_seconds']} s by the clock, {artefact['cpu_seconds']} s of one thread")
        return 0
    if args.command == "list":
        rows = summary_rows()
        if not rows:
            print("no pretrained models found; build them with: python -m explorer.zoo build --all")
            return 0
        wide = max(len(r["name"]) for r in rows)  # the longest name sets the column, so every row lines up
        print(f"{'name':{wide}s} {'task':11s} {'cell':7s} {'hidden':>6s} {'params':>8s}  held-out (test)")
        for r in rows:
            extra = f", {r['test_longer']:.4f} at {r['longer_seq_len']} characters" if "test_longer" in r else ""
            if "in_order" in r:
                extra += f", {r['in_order']:.4f} over the whole split in order"
            if "best_baseline" in r:
                extra += f"; {r['best_baseline_name']} {r['best_baseline']:.4f}"
            print(f"{r['name']:{wide}s} {r['task']:11s} {r['cell']:7s} {r['hidden']:6d} {r['parameters']:8d}  "
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
