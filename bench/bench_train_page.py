"""What the Train live page costs on top of bare training: its tick path against `train_steps` alone.

    python bench/bench_train_page.py            # the page's default setting (adding, SimpleRNN + LSTM, T=100)
    python bench/bench_train_page.py --quick    # fewer repetitions

The tick path is everything the page's fragment computes per tick except Streamlit's own
drawing: `playground.tick` (the chunk of steps for every model, snapshots, probe traces,
saturation), every figure of `figures.train.dashboard` from `playground.chart_data`, the sample
output and its scatter, and the scrubber's trace and figures (`app.train_charts.scrubber_figures`).
A second line adds what st.plotly_chart then does to every figure
(validate it again, write its JSON). The bare trainer is `train.train_steps(state, n)` on copies
of the same models with the same settings, so all train on the same batches (checked bit for
bit). The three alternate, who goes first rotating, so drift in the machine's speed hits all;
the medians are reported as steps per second per model. One torch thread, as the app runs.
"""
from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import plotly.io as pio  # noqa: E402
import plotly.tools  # noqa: E402
import torch  # noqa: E402

from explorer.app.train_charts import scrubber_figures  # noqa: E402
from explorer.figures.train import dashboard, prediction_scatter  # noqa: E402
from explorer.training import playground as play  # noqa: E402
from explorer.training.train import start, train_steps  # noqa: E402

TARGET = 0.85


def page_tick(pg: play.Playground, serialise: bool = False) -> None:
    """What the Train page computes on one tick, without Streamlit drawing it. With `serialise`,
    also what st.plotly_chart does to each figure before it goes to the browser (validate it
    again as a dict, then write the JSON)."""
    play.tick(pg)
    figures = list(dashboard(play.chart_data(pg), quantity="hidden").values())
    out = play.sample_output(pg)
    if "scatter" in out:
        figures.append(prediction_scatter(points=out["scatter"]))
    run = pg.runs[-1]  # the scrubber, following the newest snapshot of the last model
    figures.extend(fig for fig in scrubber_figures(pg, run, len(run.snapshots) - 1, "f") if fig is not None)
    if serialise:
        for fig in figures:
            pio.to_json(plotly.tools.return_figure_from_figure_or_data(fig, validate_figure=True), validate=False)


def bench(settings: play.PlaygroundSettings, repetitions: int) -> dict[str, float]:
    """Steps per second per model (medians) of three copies trained in lockstep: the page's tick
    path, the same plus Streamlit's figure serialisation, and the bare trainer."""
    page, served = play.build(settings), play.build(settings)
    bare = [start(page.task, copy.deepcopy(run.state.model), run.state.settings) for run in page.runs]
    n = settings.steps_per_tick

    def timed(work):
        began = time.perf_counter()
        work()
        return time.perf_counter() - began

    def bare_chunk():
        for state in bare:
            train_steps(state, n)

    variants = {"page": lambda: page_tick(page), "served": lambda: page_tick(served, serialise=True),
                "bare": bare_chunk}
    for work in variants.values():
        work()  # warm-up: first calls allocate, import and load
    times = {name: [] for name in variants}
    order = list(variants)
    for rep in range(repetitions):
        for name in order[rep % 3:] + order[:rep % 3]:  # rotate who goes first
            times[name].append(timed(variants[name]))
    losses = [[row["loss"] for row in logs]
              for logs in (page.runs[0].state.logs, served.runs[0].state.logs, bare[0].logs)]
    assert losses[0] == losses[1] == losses[2], "all three should train on the same batches, bit for bit"
    return {name: n / statistics.median(values) for name, values in times.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 repetitions instead of 15")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    settings = play.PlaygroundSettings()  # the page's default
    rates = bench(settings, 5 if args.quick else 15)
    page, served, bare = rates["page"], rates["served"], rates["bare"]
    print(f"setting: {settings.task} T={settings.seq_len}, {' + '.join(play.CELL_TITLES[c] for c in settings.cells)}, "
          f"hidden {settings.hidden_size}, batch {settings.batch_size}, {settings.steps_per_tick} steps per tick")
    print(f"train page tick path: {page:.1f} steps/s, bare trainer {bare:.1f} steps/s, "
          f"ratio {page / bare:.2f}x (target >= {TARGET}x)")
    print(f"  with Streamlit's figure serialisation: {served:.1f} steps/s, ratio {served / bare:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
