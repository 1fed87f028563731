"""What the Train live page costs on top of bare training: its run path against `train_steps` alone.

    python bench/bench_train_page.py            # the page's default setting (adding, SimpleRNN + LSTM, T=50)
    python bench/bench_train_page.py --quick    # fewer repetitions
    python bench/bench_train_page.py --lesson   # seconds of Play until the default lesson shows

The run path is everything one run of the playing page's fragment computes except Streamlit's own
drawing: `playground.tick` for each chunk that fits in the run (the chunk of steps for every model,
snapshots, probe traces, saturation), then once every figure of `figures.train.dashboard` from
`playground.chart_data`, the sample output and its scatter, and the scrubber's trace and figures
(`app.train_charts.scrubber_figures`).
A second line adds what st.plotly_chart then does to every figure
(validate it again, write its JSON). The bare trainer is `train.train_steps(state, n)` on copies
of the same models with the same settings, so all train on the same batches (checked bit for
bit). The three alternate, who goes first rotating, so drift in the machine's speed hits all;
the medians are reported as steps per second per model. One torch thread, as the app runs.

--lesson plays the default playground on the page's schedule while alone on the server
(explorer.app.train_live: one run per timer period, chunks for schedule.train_seconds of it, then
the key picture's figures built and serialised, then idle until the next period) and prints the
seconds from Play until the LSTM's metric is under half the baseline while the SimpleRNN's is
still at least 0.8 of it (the mean of the last chart_data.RECENT_STEPS steps, as the page's
caption states them). The browser is not in it: it draws elsewhere; tests/browser/test_journey_train.py
measures the same in a real tab on this machine.
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

from explorer.app.train_charts import KEY_HEIGHT, scrubber_figures  # noqa: E402
from explorer.figures import house  # noqa: E402
from explorer.figures.train import dashboard, prediction_scatter  # noqa: E402
from explorer.training import playground as play  # noqa: E402
from explorer.training import schedule  # noqa: E402
from explorer.training.chart_data import recent_metric  # noqa: E402
from explorer.training.train import start, train_steps  # noqa: E402

TARGET = 0.85
BROKE_AWAY, STAYED = 0.5, 0.8  # the LSTM under half the baseline, the SimpleRNN still at 80 % of it or more


def page_run(pg: play.Playground, chunks: int, serialise: bool = False) -> None:
    """What one run of the playing Train page computes, without Streamlit drawing it: `chunks`
    chunks of training, then every figure once. With `serialise`, also what st.plotly_chart does
    to each figure before it goes to the browser (validate it again as a dict, then write the JSON)."""
    for _ in range(chunks):
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
    """Steps per second per model (medians) of three copies trained in lockstep: the page's run
    path, the same plus Streamlit's figure serialisation, and the bare trainer. A run has as many
    chunks as fit in schedule.train_seconds of the timer alone, at the bare trainer's pace."""
    page, served = play.build(settings), play.build(settings)
    bare = [start(page.task, copy.deepcopy(run.state.model), run.state.settings) for run in page.runs]
    n = settings.steps_per_tick

    def timed(work):
        began = time.perf_counter()
        work()
        return time.perf_counter() - began

    def chunk(states):
        for state in states:
            train_steps(state, n)

    pace = [start(page.task, copy.deepcopy(run.state.model), run.state.settings) for run in page.runs]
    chunk(pace)  # warm-up: first calls allocate, import and load
    chunks = max(1, int(schedule.train_seconds(schedule.chart_seconds(0)) / timed(lambda: chunk(pace))))
    variants = {"page": lambda: page_run(page, chunks), "served": lambda: page_run(served, chunks, serialise=True),
                "bare": lambda: [chunk(bare) for _ in range(chunks)]}
    for work in variants.values():
        work()  # warm-up, all three the same steps
    times = {name: [] for name in variants}
    order = list(variants)
    for rep in range(repetitions):
        for name in order[rep % 3:] + order[:rep % 3]:  # rotate who goes first
            times[name].append(timed(variants[name]))
    losses = [[row["loss"] for row in logs]
              for logs in (page.runs[0].state.logs, served.runs[0].state.logs, bare[0].logs)]
    assert losses[0] == losses[1] == losses[2], "all three should train on the same batches, bit for bit"
    rates = {name: n * chunks / statistics.median(values) for name, values in times.items()}
    return {**rates, "chunks": chunks}


def lesson(max_seconds: float = 120.0) -> dict:
    """Play the default playground on the page's schedule until the lesson shows (see --lesson)."""
    pg = play.build(play.PlaygroundSettings())
    baseline = pg.baseline[0]
    every, drawing = schedule.chart_seconds(0), 0.0
    began, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - began < max_seconds:
        period = time.perf_counter()
        budget, chunk = schedule.train_seconds(every, drawing), 0.0
        while not chunk or time.perf_counter() - period + chunk < budget:  # at least one chunk per run
            started = time.perf_counter()
            play.tick(pg)
            chunk = time.perf_counter() - started
        trained = time.perf_counter()
        data = play.chart_data(pg)
        figures = dashboard(data, height=KEY_HEIGHT)
        out = play.sample_output(pg)
        key = [figures["loss"], figures.get("metric") or prediction_scatter(points=out["scatter"], height=KEY_HEIGHT)]
        for fig in key:
            pio.to_json(house.house_spec(fig), validate=False)
        drawing = time.perf_counter() - trained
        ratio = {label: value / baseline for label, value in recent_metric(data).items()}
        if ratio["LSTM"] < BROKE_AWAY and ratio["SimpleRNN"] >= STAYED:
            return {"seconds": time.perf_counter() - began, "cpu": time.process_time() - cpu, "step": pg.step,
                    "ratio": ratio}
        time.sleep(max(0.0, period + every - time.perf_counter()))
    return {"seconds": None, "step": pg.step, "ratio": ratio}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 repetitions instead of 15")
    parser.add_argument("--lesson", action="store_true", help="seconds of Play until the default lesson shows")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if args.lesson:
        found = lesson()
        if found["seconds"] is None:
            print(f"the lesson did not show within 120 s (step {found['step']}, {found['ratio']})")
            return 1
        print(f"lesson: at step {found['step']}, {found['seconds']:.1f} s after Play ({found['cpu']:.1f} s of CPU): "
              f"LSTM at {found['ratio']['LSTM']:.0%} of the baseline, SimpleRNN at {found['ratio']['SimpleRNN']:.0%}")
        return 0
    settings = play.PlaygroundSettings()  # the page's default
    rates = bench(settings, 5 if args.quick else 15)
    page, served, bare = rates["page"], rates["served"], rates["bare"]
    print(f"setting: {settings.task} T={settings.seq_len}, {' + '.join(play.CELL_TITLES[c] for c in settings.cells)}, "
          f"hidden {settings.hidden_size}, batch {settings.batch_size}; a run: {rates['chunks']} chunks of "
          f"{settings.steps_per_tick} steps, then every figure once")
    print(f"train page run path: {page:.1f} steps/s, bare trainer {bare:.1f} steps/s, "
          f"ratio {page / bare:.2f}x (target >= {TARGET}x)")
    print(f"  with Streamlit's figure serialisation: {served:.1f} steps/s, ratio {served / bare:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
