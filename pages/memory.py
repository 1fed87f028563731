"""How long can it remember?: success against sequence length for every cell, from a precomputed sweep of real
trained models, the gradient that reaches back through the longest sequences, and one point trained live."""
import numpy as np
import streamlit as st

from explorer.app import course, draw, frame, memory_view, urlstate
from explorer.figures import memory
from explorer.i18n import N_, _

frame.require_frame(__file__)

TASKS = {"adding": N_("Adding problem"), "recall": N_("Delayed recall")}
Y_TITLES = {"adding": N_("success = 1 − MSE / baseline MSE"), "recall": N_("accuracy on the recalled symbols")}
MEANINGS = {
    "adding": N_("The net reads T numbers, two of them marked, and must give their sum at the end; the first mark "
                 "is in the first half, so it carries a number across at least T/2 steps. Success is 1 − MSE / 0.1667: "
                 "0 is always answering 1.0 (the mean sum), 1 is exact."),
    "recall": N_("The net reads {k} symbols (one of {n} letters each), then blanks, then “=”, and must write the "
                 "symbols back in order; the gap is T − {twice} steps. Success is the accuracy on the written "
                 "symbols: guessing scores {chance}."),
}

st.title(_("How long can it remember?"))
st.caption(_("Every point is a real model trained on a memory task at one sequence length. Same number of weights, "
             "same training budget, several seeds: where does each cell's line fall?"))

sweep = memory_view.load()
if sweep is None:
    st.warning(_("The memory sweep is not built yet. Build it with `python -m explorer.zoo sweep`."))
    st.stop()

tasks = [t for t in TASKS if t in sweep.tasks]
urlstate.param_default("task", tasks[0], valid=lambda v: v in tasks, what=", ".join(tasks))
task = st.segmented_control(_("Task"), tasks, format_func=lambda t: _(TASKS[t]), key="task",
                            persist_state="session", required=True)
urlstate.set_url(task=task)  # a link opens on the same task
cells = sweep.cells(task)
names = memory_view.cell_names(cells)
curves = {cell: sweep.curve(task, cell) for cell in cells}
lengths = sweep.spec.lengths
baseline = sweep.baseline_success(task)

with draw.key_figure():
    left, right = st.columns(2)
    draw.look_at(memory.look_sentence(lengths=lengths, curves=curves, names=names, baseline=baseline), where=left)
    draw.plot(memory.sweep_figure(lengths=lengths, curves=curves, names=names, baseline=baseline,
                                  live=memory_view.live_points(task), y_title=_(Y_TITLES[task]),
                                  title=_("Success: mean and range of the seeds")),
              key="memory-sweep", where=left)
    longest = max(lengths)
    right.markdown(_("**The cause:** how much of the loss's gradient reaches each step of a sequence of {length}, "
                     "for the seed-0 models of the chart. A line that falls steeply has lost the early steps; one "
                     "that stops has fallen to exactly 0 in float32.")
                   .format(length=longest))
    draw.plot(memory.gradient_figure(profiles=sweep.gradients(task), names=names,
                                     title=_("Gradient reaching hₜ at length {length}").format(length=longest)),
              key="memory-gradients", where=right)

spec = sweep.spec
st.caption(_(MEANINGS[task]).format(**memory_view.task_facts(task)))
parameters = sorted(sweep.info(task, cell)["parameters"] for cell in cells)
st.caption(_("Budget behind every point: {low}–{high} weights, {steps} Adam steps of {batch} sequences "
             "(learning rate {lr}, clipping at {clip}), scored on {scored} held-out sequences; {seeds} seeds per "
             "point. The whole build, `python -m explorer.zoo sweep`, took {cpu} minutes of one thread "
             "({wall} minutes by the clock, on a machine shared with other work).").format(
    low=parameters[0], high=parameters[-1], steps=spec.steps, batch=spec.batch_size, lr=spec.lr, clip=spec.clip_norm,
    scored=spec.eval_batches * spec.eval_batch_size, seeds=len(spec.seeds),
    cpu=f"{sweep.data['cpu_seconds'] / 60:.0f}", wall=f"{sweep.data['build_seconds'] / 60:.0f}"))

st.subheader(_("Run one point live"))
st.write(_("Train one more model here, with the sweep's budget and a new seed, and see where its cross lands "
           "against the band."))
cols = st.columns([2, 2, 1], vertical_alignment="bottom")
cell = cols[0].selectbox(_("Cell"), cells, format_func=names.get, key="memory_cell")
offered = memory_view.live_lengths(sweep, task, cell)
length = cols[1].select_slider(_("Sequence length"), offered, key=f"memory_length_{task}_{cell}")
if cols[2].button(_("Train"), icon=":material/play_arrow:", key="memory_train"):
    memory_view.train_live(sweep, task, cell, int(length))
    st.rerun()
if len(offered) < len(lengths):
    st.caption(_("Longer sequences take {cell} more than about {seconds} s to train here, so they are not offered.")
               .format(cell=names[cell], seconds=f"{memory_view.LIVE_SECONDS:.0f}"))
points = memory_view.live_points(task)
if points:
    st.dataframe([{_("cell"): names.get(p["cell"], p["cell"]), _("length"): p["length"], _("seed"): p["seed"],
                   _("success"): round(p["success"], 3), _("seconds"): p["seconds"],
                   _("band of the sweep"): "{low:.2f} – {high:.2f}".format(
                       low=float(np.min(curves[p["cell"]][list(lengths).index(p["length"])])),
                       high=float(np.max(curves[p["cell"]][list(lengths).index(p["length"])])))}
                  for p in points], hide_index=True)

course.lesson_links(__file__)
