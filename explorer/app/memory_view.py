"""The memory page's share of the app: the precomputed sweep (read-only, shared) and one point trained live
(this session's own, kept in session_state)."""
from __future__ import annotations

import streamlit as st

from explorer.i18n import _
from explorer.training import sweep as memory_sweep
from explorer.training.settings import CELL_TITLES

LIVE = "memory_live_points"  # session_state: the points this session trained, [{task, cell, length, success, seed}]
LIVE_SECONDS = 20.0  # a live point must finish about this soon on a busy server: longer ones are not offered


@st.cache_resource(show_spinner=False)
def load() -> memory_sweep.Sweep | None:
    """The sweep artefact, read once per server (it never changes while the server runs); None when missing."""
    if not memory_sweep.SWEEP_JSON.exists():
        return None
    return memory_sweep.load_sweep()


def cell_names(cells) -> dict[str, str]:
    return {cell: CELL_TITLES.get(cell, cell) for cell in cells}


def task_facts(task: str) -> dict:
    """The numbers a task's description quotes: for recall, k symbols of n letters, the 2k steps that are not
    gap, and chance."""
    built = memory_sweep.get_task(task)
    if task != "recall":
        return {}
    return {"k": built.k, "n": built.n_symbols, "twice": 2 * built.k, "chance": f"{1 / built.n_symbols:.0%}"}


def live_points(task: str) -> list[dict]:
    return [p for p in st.session_state.get(LIVE, []) if p["task"] == task]


def live_lengths(sweep: memory_sweep.Sweep, task: str, cell: str) -> list[int]:
    """The lengths whose points trained within LIVE_SECONDS in the build (its slowest seed), so a live point
    at that length should too; the shortest is always offered."""
    seconds = sweep.info(task, cell)["seconds"]
    lengths = [length for length, row in zip(sweep.spec.lengths, seconds) if max(row) <= LIVE_SECONDS]
    return lengths or [sweep.spec.lengths[0]]


def train_live(sweep: memory_sweep.Sweep, task: str, cell: str, length: int) -> dict:
    """Train one point with the sweep's own budget and a seed none of its curves used, with a progress bar;
    the point joins this session's live points and is returned."""
    points = st.session_state.setdefault(LIVE, [])
    seed = max(sweep.spec.seeds) + 1 + sum(p["task"] == task and p["cell"] == cell and p["length"] == length
                                          for p in points)
    bar = st.progress(0.0, text=_("Training {cell} at length {length}…").format(cell=CELL_TITLES.get(cell, cell),
                                                                               length=length))

    def progress(fraction: float) -> None:
        bar.progress(fraction, text=_("Training {cell} at length {length}: {share} of {steps} steps").format(
            cell=CELL_TITLES.get(cell, cell), length=length, share=f"{fraction:.0%}", steps=sweep.spec.steps))

    point = memory_sweep.train_point(task, cell, length, seed, sweep.spec, progress=progress)
    bar.empty()
    row = {"task": task, "cell": cell, "length": length, "success": point.success, "seed": seed,
           "seconds": point.seconds}
    points.append(row)
    return row
