"""Find units: the app finds the units that track a feature, match a stretch, cluster together."""
import numpy as np
import pandas as pd
import streamlit as st

from explorer import figures, trace
from explorer.analysis import probes, units
from explorer.analysis.probes import FEATURES, REGEX, ProbeError
from explorer.app import caches, catalog, course, draw, frame, pickers, textbox, urlstate
from explorer.i18n import N_, _, pgettext

frame.require_frame(__file__)

VIEWS = {"probe": N_("Probe a feature"), "match": N_("Match a stretch"), "clusters": N_("Clusters"),
         "trajectory": N_("Trajectory")}
SAMPLE_SIZES = (1000, 3000, 10000)  # characters of held-out corpus traced once per model
TOP = 10  # units in the ranking table
SHOWN_SAMPLE = 600  # characters of the corpus sample drawn as coloured text
SHOWN_STEPS = 400  # steps of the sample the probe figure opens on (a range slider moves along the rest)
MAX_CORPUS = 10_000  # characters of a pasted corpus (user models: traced on every rerun, never shared)
DEFAULT_PATTERN = {**dict.fromkeys(textbox.CODE_TASKS, r"self\.\w+"), "english": r"LORD|God"}
AUTO_FEATURE = "_units_auto_feature"  # session_state: the feature this page last opened on by itself

st.title(_("Find units"))
st.caption(_("Which units track a pattern of the text? Every unit of every layer (hidden state, cell state, each "
             "gate) is ranked by its correlation with a feature over text the model never trained on."))

names = catalog.picker_models()
if not names:
    st.warning(_(textbox.NO_MODELS))
    st.stop()
name = pickers.model_picker(names, default=pickers.units_model(names))
task = catalog.model_info(name).get("task")
pretrained = not catalog.is_user_model(name) and task in catalog.TEXT_TASKS
code = textbox.reads_code(name)  # Python source: a bracket in a string or comment opens nothing

urlstate.param_default("view", "probe", valid=lambda v: v in VIEWS, what=", ".join(VIEWS))
view = st.radio(_("View"), list(VIEWS), key="view", persist_state="session", horizontal=True,
                format_func=lambda v: _(VIEWS[v]), label_visibility="collapsed")
# the probe and the clusters are computed over the corpus sample, so their picture comes first and your
# text below it; the other views are about your text: their pictures come after the box
key_area, text_spot = st.container(), st.container()
with text_spot:
    text = textbox.model_text(names, name, height=90, label=_("Your text (up to {n} characters are traced)")
                              .format(n=f"{textbox.MAX_TEXT:,}"))
url = {"model": name, "text": text if len(text) <= urlstate.MAX_URL_TEXT else None, "view": view}

# -- the corpus sample: held-out text for pretrained models, pasted text for your own --
if pretrained:
    urlstate.param_default("sample", 3000, parse=int, valid=lambda v: v in SAMPLE_SIZES,
                           what=", ".join(map(str, SAMPLE_SIZES)))
    chars = st.sidebar.select_slider(_("Corpus sample (characters)"), SAMPLE_SIZES, key="sample",
                                     persist_state="session",
                                     help=_("Held-out text of the model's corpus, traced once and kept for every "
                                            "view."))
    url["sample"] = chars
else:
    corpus = text_spot.text_area(_("Corpus sample: paste text like your model's training text (the ranking uses it "
                                   "together with the text above)"), key="corpus", persist_state="session", height=90)
    if len(corpus) > MAX_CORPUS:
        text_spot.warning(_("The corpus has {n} characters; only the first {limit} are used.")
                          .format(n=f"{len(corpus):,}", limit=f"{MAX_CORPUS:,}"))


# the spinners' words are chosen per run, in the session's language: the caller shows them (st.spinner)
@st.cache_resource(show_spinner=False, max_entries=8)
def corpus_series(model_name: str, directory: str, corpus_task: str, size: int) -> tuple[str, probes.UnitSeries]:
    """A pretrained model's held-out sample and every unit's series over it; shared read-only."""
    sample = probes.corpus_sample(corpus_task, size)
    series = probes.unit_series(trace(catalog.get_model(model_name), sample, k=1))  # only the series is kept
    series.values.setflags(write=False)  # shared between sessions: nobody may change it
    return sample, series


@st.cache_data(show_spinner=False, max_entries=16)
def best_units(model_name: str, directory: str, corpus_task: str, size: int) -> list[dict]:
    """The best unit for each feature over a pretrained model's corpus sample."""
    sample, series = corpus_series(model_name, directory, corpus_task, size)
    return probes.best_units(series, sample, code=corpus_task in textbox.CODE_TASKS)


def ranking_table(rows: list[dict]) -> pd.DataFrame:
    """The ranking as the page shows it: headed and worded in the session's language."""
    table = pd.DataFrame(rows)
    table["quantity"] = table["quantity"].map(probes.quantity_word)
    table["direction"] = table["direction"].map({"forward": _("forward"), "backward": _("backward")})
    return table.rename(columns={"rank": _("rank"), "quantity": _("quantity"), "layer": _("layer"),
                                 "direction": _("direction"), "unit": _("unit")})


def finish(message: str | None = None, *, error: bool = True):
    """Write the view into the URL and end the run, saying what went wrong in one sentence."""
    urlstate.set_url(**url)
    if message:
        (st.error if error else st.info)(message)
    st.stop()


if not text:
    with text_spot:
        finish(_("Type some text above to see which units follow it."), error=False)
textbox.note_whitespace(text)
try:
    tr = caches.trace(name, textbox.limited_text(text), 1)
    if pretrained:
        with st.spinner(_("Tracing the corpus sample (once per model and size)…")):
            sample, series = corpus_series(name, str(catalog.zoo_dir() or ""), task, chars)
    else:
        sample = textbox.limited_text(text) + "\n" + corpus[:MAX_CORPUS]
        series = probes.unit_series(caches.trace(name, sample, 1))
except ValueError as err:
    finish(_("Could not trace this text: {error}").format(error=err))
textbox.warn_unknown(tr.unknown, catalog.get_model(name).vocab)
typed = probes.unit_series(tr)
tokens, steps = tr.tokens, tr.steps
quantities = probes.quantities(tr)
said = (_("Corpus sample: {n} characters of held-out text (never trained on).") if pretrained else
        _("Corpus sample: {n} characters (your text, then the pasted corpus)."))
text_spot.caption(said.format(n=f"{len(sample):,}"))


@st.cache_data(show_spinner=False, max_entries=32)
def feature_over(feature: str, over: str, pattern: str, code: bool) -> np.ndarray:
    return probes.feature_values(feature, over, pattern, code=code)


@st.cache_data(show_spinner=False, max_entries=16)
def clusters_of(model_name: str, directory: str, corpus_task: str, size: int, quantity: str, k: int) -> list[dict]:
    """k-means over a pretrained model's units (seed 0): the same every time, so computed once."""
    sample, series = corpus_series(model_name, directory, corpus_task, size)
    return units.cluster_units(series.select(quantity).values, sample, k, seed=0)


def unit_picker(key: str, label: str, default: str = "hidden") -> str:
    """A picker of the quantity whose units a view shows, bound to ?key=."""
    urlstate.param_default(key, default, valid=lambda v: v in quantities, what=", ".join(quantities))
    urlstate.keep_in_range(key, quantities, default)
    return st.selectbox(label, quantities, key=key, persist_state="session", format_func=figures.quantity_name)


# ---------------------------------------------------------------------------------------------
if view == "probe":
    options = [*FEATURES, REGEX]
    known = catalog.model_info(name).get("units")  # measured when the model was built, if it was
    auto = probes.opening_feature(known or (best_units(name, str(catalog.zoo_dir() or ""), task, chars) if pretrained
                                            else probes.best_units(series, sample, code=code)))
    if st.session_state.get("feature") == st.session_state.get(AUTO_FEATURE):  # untouched: follow the model
        st.session_state["feature"] = auto
    st.session_state[AUTO_FEATURE] = auto
    urlstate.param_default("feature", auto, valid=lambda v: v in options, what=", ".join(options))
    with key_area:
        cols = st.columns([2, 3, 3])
    feature = cols[0].selectbox(_("Feature"), options, key="feature", persist_state="session",
                                format_func=lambda f: _("a regular expression…") if f == REGEX else _(FEATURES[f][0]))
    url["feature"] = feature
    pattern = ""
    if feature == REGEX:
        urlstate.param_default("pattern", DEFAULT_PATTERN.get(task, "the"))
        pattern = textbox.text_box(_("Pattern (Python re, at most {n} characters; Enter applies)")
                                   .format(n=probes.MAX_PATTERN), key="pattern", where=cols[1])
        url["pattern"] = pattern
    label = probes.feature_label(feature, pattern)
    try:
        values = feature_over(feature, sample, pattern, code)
        ranking = probes.rank_units(series, values)
    except ProbeError as err:
        with key_area:
            finish(str(err))
    rows = ranking.rows(series, TOP)
    urlstate.param_default("rank", 1, parse=int, valid=lambda v: 1 <= v <= TOP,
                           what=_("{low} to {high}").format(low=1, high=TOP))
    urlstate.keep_in_range("rank", range(1, len(rows) + 1), 1)
    rank = cols[2].selectbox(_("Unit to show"), range(1, len(rows) + 1), key="rank", persist_state="session",
                             format_func=lambda k: _("#{rank}: {unit}, r = {r}").format(
                                 rank=k, unit=series.name(ranking.order[k - 1]),
                                 r=f"{ranking.r[ranking.order[k - 1]]:+.3f}"))
    url["rank"] = rank
    column = ranking.order[rank - 1]
    quantity, layer = str(series.quantity[column]), int(series.layer[column])
    direction, unit = int(series.direction[column]), int(series.unit[column])
    with key_area:
        with draw.key_figure():
            draw.plot(figures.units.probe_figure(
                tokens=sample, unit_values=series.values[:, column], feature=values, unit_name=series.name(column),
                feature_name=label, r=float(ranking.r[column]), shown_steps=SHOWN_STEPS), key="probe-curve")
        draw.look_at(probes.follows_sentence(unit_name=series.name(column), feature_name=label,
                                             r=float(ranking.r[column]), rank=rank, characters=len(sample)))
        if note := probes.code_note(feature, code):
            st.caption(note)
        rare = probes.rare_feature_sentence(values, label)
        if rare:
            st.info(rare, icon=":material/info:")
    shown = typed.values[:, typed.column(quantity, layer, direction, unit)]
    st.markdown("**" + _("{unit} on your text").format(unit=series.name(column)) + "**")
    draw.markup(figures.colored_text_html(tokens=tokens, values=shown, quantity=quantity, unit=unit,
                                          scale_values=series.values[:, column]))
    st.markdown(_("**… and on the start of the corpus sample** ({shown} of {n} characters)")
                .format(shown=SHOWN_SAMPLE, n=f"{len(sample):,}"))
    draw.markup(figures.colored_text_html(tokens=sample[:SHOWN_SAMPLE], values=series.values[:SHOWN_SAMPLE, column],
                                          quantity=quantity, unit=unit, scale_values=series.values[:, column]))
    st.subheader(_("The units that follow “{feature}”").format(feature=label))
    st.dataframe(ranking_table(rows), hide_index=True, key="ranking")
    draw.plot(figures.units.ranking_figure(r=ranking.r, labels=[series.name(c) for c in ranking.order[:TOP]],
                                           top=TOP, feature_name=label), key="probe-ranking")
    link = units.intervention_for(series, ranking.order[:TOP], column)
    st.page_link("pages/intervene.py", icon=":material/tune:",
                 label=_("Intervene on {quantity} units {units} of layer {layer}").format(
                     quantity=probes.quantity_word(quantity), units=link["units"].replace(",", ", "), layer=layer),
                 query_params={"model": name, **link, **({"text": text} if len(text) <= urlstate.MAX_URL_TEXT else {})})

# ---------------------------------------------------------------------------------------------
elif view == "match":
    cols = st.columns(2)
    with cols[0]:
        quantity = unit_picker("mq", _("Units of"))
    urlstate.param_default("threshold", 0.5, parse=float, valid=lambda v: -1 <= v <= 1,
                           what=_("{low} to {high}").format(low=-1, high=1))
    threshold = cols[1].slider(_("On above"), -1.0, 1.0, step=0.05, key="threshold", persist_state="session",
                               help=_("A unit is on over a stretch when its mean activation there is above this."))
    default = units.default_stretch(text[:steps])
    urlstate.param_default("stretch", default, parse=lambda v: tuple(int(p) for p in v.split("-")),
                           valid=lambda v: len(v) == 2 and 0 <= v[0] < v[1] <= steps,
                           what=_("a-b within 0-{steps}").format(steps=steps))
    if not 0 <= st.session_state["stretch"][0] < st.session_state["stretch"][1] <= steps:
        st.session_state["stretch"] = default
    start, stop = st.slider(_("Stretch of your text (characters)"), 0, steps, key="stretch", persist_state="session")
    url.update(mq=quantity, threshold=threshold, stretch=f"{start}-{stop}")
    if stop <= start:
        finish(_("Select a stretch at least one character long."))
    chosen = typed.select(quantity)
    on = units.units_on(chosen.values, start, stop, threshold)
    with draw.key_figure():
        draw.markup(figures.units.stretch_html(tokens=tokens, start=start, stop=stop, context=steps,
                                               label=_("Your selection")))
        if not on.size:
            finish(_("No {quantity} unit is on (mean above {threshold}) over this stretch; lower the threshold or "
                     "select another stretch.").format(quantity=figures.quantity_name(quantity),
                                                       threshold=f"{threshold:g}"), error=False)
        matches = units.match_stretches(series.select(quantity).values, on, stop - start, threshold, top=5)
        draw.look_at(units.match_sentence(on=on.size, total=chosen.values.shape[1], matches=matches,
                                          quantity_name=figures.quantity_name(quantity)))
        match_label = _("#{k}: {on} of {total} units on ({share}), steps {start}–{last}")
        for k, m in enumerate(matches, 1):
            draw.markup(figures.units.stretch_html(
                tokens=sample, start=m["start"], stop=m["stop"], context=40,
                label=match_label.format(k=k, on=m["on"], total=on.size, share=f"{m['share']:.0%}", start=m["start"],
                                         last=m["stop"] - 1)))
    listed = pgettext("list", ", ").join(_("unit {unit}").format(unit=chosen.unit[c]) for c in on[:20])
    st.write(_("The units on: {units}").format(units=listed) + (" …" if on.size > 20 else ""))

# ---------------------------------------------------------------------------------------------
elif view == "clusters":  # over the corpus sample, like the probe: above your text
    cols = key_area.columns(2)
    with cols[0]:
        quantity = unit_picker("cq", _("Units of"))
    chosen = series.select(quantity)
    most = min(16, chosen.values.shape[1])
    urlstate.param_default("k", min(8, most), parse=int, valid=lambda v: 2 <= v <= most,
                           what=_("{low} to {high}").format(low=2, high=most))
    urlstate.keep_in_range("k", range(2, most + 1), min(8, most))
    k = cols[1].slider(_("Clusters"), 2, most, key="k", persist_state="session")
    url.update(cq=quantity, k=k)
    with st.spinner(_("Clustering the units…")):
        groups = (clusters_of(name, str(catalog.zoo_dir() or ""), task, chars, quantity, k) if pretrained
                  else units.cluster_units(chosen.values, sample, k, seed=0))
    frequent = units.frequent_chars(sample, 30)
    labels = [_("cluster {n} ({size})").format(n=n + 1, size=g["size"]) for n, g in enumerate(groups)]
    with key_area:
        with draw.key_figure():
            draw.plot(figures.units.cluster_figure(matrix=units.char_profile_matrix(groups, sample, frequent),
                                                   cluster_labels=labels, chars=frequent, quantity=quantity),
                      key="clusters")
        draw.look_at(units.cluster_sentence(groups=groups, total=chosen.values.shape[1],
                                            labels=[f"“{figures.char_label(c)}”" for c, _z in groups[0]["chars"]]))
    st.dataframe(pd.DataFrame(units.cluster_rows(groups, chosen, labels, show=figures.char_label)), hide_index=True,
                 key="cluster-table")
    st.caption(_("k-means (seed 0) over each unit's standardized activation over the corpus sample; a cluster's "
                 "typical characters are those where its units' mean activation is highest, in standard deviations."))

# ---------------------------------------------------------------------------------------------
else:
    cols = st.columns(3)
    layers, dirs = tr.num_layers, tr.num_directions
    urlstate.param_default("tlayer", 0, parse=int, valid=lambda v: 0 <= v < layers,
                           what=_("{low} to {high}").format(low=0, high=layers - 1))
    urlstate.param_default("tdir", 0, parse=int, valid=lambda v: 0 <= v < dirs,
                           what=_("{low} to {high}").format(low=0, high=dirs - 1))
    urlstate.param_default("dims", 2, parse=int, valid=lambda v: v in (2, 3), what=_("{a} or {b}").format(a=2, b=3))
    urlstate.keep_in_range("tlayer", range(layers), 0)
    urlstate.keep_in_range("tdir", range(dirs), 0)
    layer = cols[0].selectbox(_("Layer"), range(layers), key="tlayer", persist_state="session", disabled=layers == 1)
    direction = cols[1].selectbox(_("Direction"), range(dirs), key="tdir", persist_state="session",
                                  disabled=dirs == 1, format_func=probes.direction_word)
    dims = cols[2].radio(_("Dimensions"), (2, 3), key="dims", persist_state="session", horizontal=True)
    url.update(tlayer=layer, tdir=direction, dims=dims)
    try:
        coords, ratio = units.pca(tr.hidden[layer, direction], dims)
    except ProbeError as err:
        finish(str(err))
    with draw.key_figure():
        draw.plot(figures.units.trajectory_figure(
            coords=coords, ratio=ratio, tokens=tokens,
            title=(_("Hidden state of layer {layer} backward over your text, principal components ({share} of the "
                     "variance)") if direction else
                   _("Hidden state of layer {layer} over your text, principal components ({share} of the variance)"))
            .format(layer=layer, share=f"{ratio.sum():.0%}")), key="trajectory")
    draw.look_at(units.trajectory_sentence(ratio))

urlstate.set_url(**url)
course.lesson_links(__file__)
