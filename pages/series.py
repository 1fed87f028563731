"""Time series: a sliding window in, the next values out; forecasts against the truth and the naive and seasonal
baselines."""
import numpy as np
import streamlit as st

from explorer import figures
from explorer.analysis import shapes
from explorer.app import catalog, course, draw, frame, language, pickers, textbox, urlstate
from explorer.figures import diagram
from explorer.figures.diagram import DIAGRAM_STEPS
from explorer.i18n import N_, _, ngettext

frame.require_frame(__file__)

SHOWN = "_series_shown"  # session_state: (source, model) of the last run, to reset the knobs on a switch
SOURCE_LABELS = {"synthetic": N_("synthetic"), "airline": N_("airline passengers, 1949–1960")}  # the picker's
SOURCE_NAMES = {"synthetic": N_("synthetic"), "airline": N_("airline")}  # in sentences: “the airline series”
# the metrics rows: the model, then each baseline the stretch scored (StretchForecast.baselines); "with growth"
# stands beside "seasonal naive", and four labels a row leave no room for more
MSE_LABELS = {"model": N_("Model MSE (normalised)"), "naive": N_("Naive MSE (normalised)"),
              "seasonal": N_("Seasonal naive MSE (normalised)"),
              "seasonal_growth": N_("With growth MSE (normalised)")}
MAE_LABELS = {"model": N_("Model MAE ({unit})"), "naive": N_("Naive MAE ({unit})"),
              "seasonal": N_("Seasonal naive MAE ({unit})"),
              "seasonal_growth": N_("With growth MAE ({unit})")}

st.title(_("Time series"))
st.caption(_("An LSTM reads a window of past values and forecasts the next ones. The forecasts to beat: the last value "
             "read (naive) and the value one season earlier (seasonal naive)."))

names = shapes.models_of_task(catalog.available(), catalog.model_info, "series")
if not names:
    st.warning(_(textbox.NO_MODELS))
    st.stop()

urlstate.param_default("source", "synthetic", valid=lambda v: v in shapes.SERIES_SOURCES,
                       what=_("{first} or {second}").format(first=shapes.SERIES_SOURCES[0],
                                                             second=shapes.SERIES_SOURCES[1]))
source = st.sidebar.radio(_("Series"), shapes.SERIES_SOURCES, key="source", persist_state="session",
                          format_func=lambda s: _(SOURCE_LABELS[s]))
# the forecaster trained on this series (series-lstm, airline-lstm), else the first one there is
name = next((n for n in names if shapes.trained_source(catalog.model_info(n)) == source), names[0])
model = catalog.get_model(name)
trained_source = shapes.trained_source(catalog.model_info(name))
trained_window, direct = shapes.training_window(model), model.config.output_size
try:
    series = shapes.load_series(model, source)
except ValueError as err:  # a relative forecaster cannot read a series with values at or below 0
    st.error(_("{name} cannot read the {source} series: {error}").format(name=name, source=_(SOURCE_NAMES[source]),
                                                                         error=err))
    st.stop()
length = len(series.values)
test_start = series.bounds["test"][0]
if st.session_state.get(SHOWN, (source, name)) != (source, name):  # switched here: that model's defaults;
    # a link's own values still win below
    st.session_state.update(win=trained_window, horizon=direct, at=max(0, test_start - trained_window))
st.session_state[SHOWN] = (source, name)
urlstate.param_default("win", trained_window, parse=int, valid=lambda v: 2 <= v <= 96,
                       what=_("{low} to {high}").format(low=2, high=96))
urlstate.param_default("horizon", direct, parse=int, valid=lambda v: 1 <= v <= 48,
                       what=_("{low} to {high}").format(low=1, high=48))
quantities = shapes.quantities(model)
chosen = pickers.quantity_choice(quantities, ["hidden", "f"] if "f" in quantities else ["hidden"])
cols = st.columns(3)
window = cols[0].slider(_("Window (values read)"), 2, 96, key="win", persist_state="session",
                        help=_("{name} was trained on windows of {n}; it runs on any length.").format(
                            name=name, n=trained_window))
horizon = cols[1].slider(_("Horizon (steps forecast)"), 1, 48, key="horizon", persist_state="session",
                         help=_("The model outputs the next {n} values at once; further ones are iterated "
                                "(its own forecasts are fed back as if they were data).").format(n=direct))
urlstate.param_default("at", test_start - window, parse=int, valid=lambda v: 0 <= v <= length - window,
                       what=_("{low} to {high}").format(low=0, high=length - window))
if not 0 <= st.session_state["at"] <= length - window:
    st.session_state["at"] = min(max(0, test_start - window), length - window)
at = cols[2].slider(_("Window starts at step"), 0, length - window, key="at", persist_state="session")
urlstate.set_url(source=source, win=window, horizon=horizon, at=at, heatmaps=",".join(chosen))

notes = []
if window != trained_window:
    notes.append(_("The window ({window}) is not the training window ({trained}): the model still runs, "
                   "but it never learnt to read windows of this length.").format(window=window, trained=trained_window))
if horizon > direct:
    notes.append(_("Steps {first}–{last} ahead are iterated: the model reads its own first forecasts.").format(
        first=direct + 1, last=horizon))
for note in notes:
    st.info(note)

try:
    stretch = shapes.evaluate_stretch(model, series, "test", window, horizon)
except ValueError as err:
    # windows may reach back before it
    st.error(_("Cannot score this setting: {error}. Choose a shorter horizon.").format(error=err))
    st.stop()
if source != trained_source:
    loses = stretch.scores["model_mse"] > stretch.scores["naive_mse"]
    st.warning((_("{name} was trained on the {source} series only, so it reads a series it never saw here: it loses "
                  "to the naive forecast.") if loses else
                _("{name} was trained on the {source} series only, so it reads a series it never saw here: it beats "
                  "the naive forecast.")).format(name=name, source=_(SOURCE_NAMES.get(trained_source, trained_source))))

scores = stretch.scores
ratios = stretch.mse_ratios()
ratio = ratios["naive"]

# -- the key picture: one window in, its forecast out, against the truth and the baselines --
ahead = shapes.window_forecast(model, series, at, window, horizon)
with draw.key_figure():
    draw.look_at(figures.shapes.forecast_sentence(
        at=at, window=window, horizon=horizon, forecast=ahead.forecast, truth=ahead.truth, naive=ahead.naive,
        unit=series.unit, windows=len(stretch.starts), mse_ratio=ratio,
        seasonal_ratios={b: ratios[b] for b in stretch.seasonal}))
    draw.plot(figures.shapes.window_forecast_figure(
        window_steps=ahead.window_steps, window_values=ahead.window_values, forecast_steps=ahead.steps,
        forecast=ahead.forecast, truth=ahead.truth, naive=ahead.naive, seasonal=ahead.seasonal, direct=direct,
        unit=series.unit,
        title=_("Close up: {window} values read, {horizon} forecast").format(window=window, horizon=horizon)),
        key="window")
if horizon > direct:
    st.caption(_("Filled markers: the model's {n} direct outputs; open markers: iterated forecasts.").format(n=direct))

# -- the score on the test stretch --
st.subheader(ngettext("Test stretch: {windows} windows, {horizon} step ahead each",
                      "Test stretch: {windows} windows, {horizon} steps ahead each", horizon).format(
                          windows=len(stretch.starts), horizon=horizon))
unit = _(series.unit)
for labels, kind, shown_as in ((MSE_LABELS, "mse", "{:.4f}"), (MAE_LABELS, "mae", "{:.4g}")):
    for col, scored in zip(st.columns(4), ["model", *stretch.baselines]):
        col.metric(_(labels[scored]).format(unit=unit), shown_as.format(scores[f"{scored}_{kind}"]))
st.markdown(figures.shapes.steps_beaten_sentence(
    beaten={baseline: shapes.beaten_steps(stretch, baseline) for baseline in stretch.baselines}))
for baseline, why in stretch.missing.items():
    st.info(_("No {baseline} here: {reason}").format(baseline=_(figures.shapes.BASELINE_NAMES[baseline]),
                                                     reason=why))
st.caption(_("Model MSE / naive MSE = {ratio} (below 1: the model beats repeating the last value). Seasonal naive "
             "repeats the value one season ({season} steps) earlier, read from the series before the window where "
             "the window is shorter; with growth (for a series above 0, such as airline) that value is multiplied "
             "by the growth over the last season. MSE on the normalised scale (errors over the training years' "
             "standard deviation); MAE in the series' own units (airline: thousands of passengers a month).").format(
                 ratio=f"{ratio:.2f}", season=series.task.season))
draw.plot(figures.shapes.series_figure(
    values=series.values, time_labels=series.time_labels, bounds=series.bounds, window=(at, at + window),
    forecast_steps=ahead.steps, forecast=ahead.forecast, unit=series.unit,
    title=_("The {source} series and the window read (steps {first}–{last})").format(
        source=_(SOURCE_NAMES[source]), first=at, last=at + window - 1)), key="series")

# -- along the whole test stretch --
first = stretch.starts + window  # the step each window's first forecast is for
curves = [(_("model, 1 step ahead"), first, stretch.model[:, 0])]
if horizon > 1:
    curves.append((_("model, {n} steps ahead").format(n=horizon), first + horizon - 1, stretch.model[:, -1]))
curves.append((_("naive, 1 step ahead"), first, stretch.naive[:, 0]))
low, high = series.bounds["test"]
draw.plot(figures.shapes.stretch_figure(
    steps=np.arange(low, high), truth=series.values[low:high], curves=curves, unit=series.unit,
    title=_("Forecasts along the test stretch against the truth")), key="stretch")
draw.plot(figures.shapes.error_by_horizon_figure(
    model_mse=stretch.per_step["model_mse"],
    baseline_mse={b: stretch.per_step[f"{b}_mse"] for b in stretch.baselines}, direct=direct,
    title=_("Error by steps ahead: model against the baselines")), key="by-horizon")

# -- what the LSTM does while reading the window --
st.subheader(_("Hidden state and gates along the window"))
tr = shapes.trace_window(model, series, at, window)
drawn = min(window, DIAGRAM_STEPS)
draw.plot(diagram.unrolled(model.config, steps=drawn, tokens=[f"{v:.2f}" for v in ahead.window_values],
                           notation=language.notation(),
                           title=ngettext("{name} unrolled over the first {n} value of the window",
                                          "{name} unrolled over the first {n} values of the window", drawn).format(
                                              name=name, n=drawn)), key="diagram")
reads = (_("{cell}. All {window} values of the window are read this way, one per step, as log(value / the window's "
           "last value), in units of a typical step-to-step change in training; the head (y) reads the state after "
           "the last one and writes the next {direct} values at once.") if series.task.relative else
         _("{cell}. All {window} values of the window are read this way, one per step, normalised with the training "
           "years' mean and standard deviation; the head (y) reads the state after the last one and writes the next "
           "{direct} values at once."))
st.caption(reads.format(cell=diagram.describe(model.config), window=window, direct=direct))
shown = pickers.quantity_pills(quantities)
read = [f"{v:.2f}" for v in series.values]  # the value read at each step labels its column
for quantity in shown:
    fig = figures.state_heatmap(values=shapes.last_layer(tr, quantity), tokens=read, quantity=quantity, start=at,
                                title=_("{quantity} while reading steps {first}–{last}").format(
                                    quantity=figures.quantity_name(quantity), first=at, last=at + window - 1))
    draw.plot(figures.shapes.relabel_steps(fig, _("time step (the value read there)")), key=f"heat-{quantity}")
if not shown:
    st.info(_("Pick a state or gate above to draw its heatmap."))
urlstate.set_url(source=source, win=window, horizon=horizon, at=at, heatmaps=",".join(shown))
course.lesson_links(__file__)
