"""One-hot vs embedding: the same SimpleRNN trained on one-hot characters and on a learned embedding."""
import streamlit as st

from explorer import figures
from explorer.analysis import family
from explorer.app import catalog, course, draw, frame, language, urlstate
from explorer.engine.cells import in_notation
from explorer.figures import diagram
from explorer.i18n import N_, _, pgettext

frame.require_frame(__file__)

EMBEDDED, ONEHOT = "english-rnn", "english-rnn-onehot"  # same recipe, only the input stage differs
VECTORS = {  # {weight}: W_ih in the session's notation
    "encoding": N_("what the input stage makes of a character (embedding row / column of {weight})"),
    "first_layer": N_("what a character adds to the first layer, {weight} · input (one number per hidden unit, both "
                      "models)"),
}
CLOSE, SLIGHT = 0.1, 0.03  # gaps in mean cosine (vowel-vowel minus vowel-other): clearly closer, barely closer
SCATTER_HEIGHT = 400  # px: both maps and the sentence under them fit a 1280x800 first screen

notation = language.notation()
W_IH = f"${in_notation('W_{ih}', notation)}$"  # markdown: U in the course's notation, W_ih in PyTorch's

st.title(_("One-hot vs embedding"))
st.caption(_("Two SimpleRNNs learned English from the same text and budget: one reads each character as a one-hot "
             "vector, the other through a learned embedding. A one-hot vector only picks a column of {weight}, so "
             "that column is the one-hot model's embedding, in effect.").format(weight=W_IH))

present = [n for n in (EMBEDDED, ONEHOT) if n in catalog.available()]
if len(present) < 2:
    missing = [n for n in (EMBEDDED, ONEHOT) if n not in present]
    st.warning(_("Not built yet: {names}. Build with `python -m explorer.zoo build {arguments}`.").format(
        names=", ".join(missing), arguments=" ".join(missing)))
    st.stop()
try:
    models = {n: catalog.get_model(n) for n in present}
except ValueError as err:
    st.error(_("Could not load the models: {error}").format(error=err))
    st.stop()

# the same corpus gives both the same vocabulary; the unknown token is left out
shared = set(models[ONEHOT].vocab.itos[1:])
chars = [c for c in models[EMBEDDED].vocab.itos[1:] if c in shared]


def shown(ch: str) -> str:
    return {" ": _("␣ (space)"), "\n": _("↵ (newline)"), "\t": _("⇥ (tab)")}.get(ch, ch)


default_char = "e" if "e" in chars else chars[0]
urlstate.param_default("vectors", "encoding", valid=lambda v: v in VECTORS, what=", ".join(VECTORS))
urlstate.param_default("near", default_char, valid=lambda v: v in chars,
                       what=_("a character of the models' vocabulary"))
what, char = st.session_state["vectors"], st.session_state["near"]

computed = {}
for n, model in models.items():
    names, vectors = family.input_vectors(model, what)
    computed[n] = names, vectors, family.pca_2d(vectors), family.vowel_gap(names, vectors)

gaps = {n: c[3] for n, c in computed.items()}


def sentence() -> str:
    """What the maps show about the vowels, as measured: only what the cosines say."""
    parts = []
    for n, (within, between) in gaps.items():
        gap = within - between
        verdict = (_("sit closer to each other than to the rest") if gap >= CLOSE else
                   _("are only slightly closer to each other than to the rest") if gap >= SLIGHT else
                   _("sit further from each other than from the rest") if gap <= -SLIGHT else
                   _("are no closer to each other than to the rest"))
        numbers = (_("mean cosine {within} between two vowels, {between} to the rest") if not parts else
                   _("{within} against {between}")).format(within=f"{within:+.2f}", between=f"{between:+.2f}")
        parts.append(_("in {name} they {verdict} ({numbers})").format(name=n, verdict=verdict, numbers=numbers))
    return _("Find the vowels a e i o u (vermillion): {clauses}.").format(
        clauses=pgettext("between clauses", "; ").join(parts))


# one colour key for both maps: a legend under each would wrap and crowd its axis in a narrow column
draw.markup(" ".join(f'<span style="color:{figures.family.CLASS_COLORS[c]};margin-right:0.8em">● '
                     f'{family.class_name(c)}</span>' for c in family.CHAR_CLASSES)
            + f" <span>○ “{shown(char)}”</span>")
with draw.key_figure():
    columns = st.columns(2)
    for column, (n, (names, vectors, (coords, explained), _gap)) in zip(columns, computed.items()):
        # the parameters' own names, as torch.nn calls them, whichever notation the equations use
        source = (_("columns of {parameter}").format(parameter="weight_ih_l0")
                  if models[n].config.input_mode == "onehot" else
                  _("rows of {parameter}").format(parameter="embedding.weight") if what == "encoding" else
                  _("{weight} · rows of {parameter}").format(weight="weight_ih_l0", parameter="embedding.weight"))
        fig = figures.family.embedding_scatter(
            coords=coords, chars=names, classes=[family.char_class(c) for c in names], explained=explained,
            highlight=char, height=SCATTER_HEIGHT,
            title=_("{name}<br><sup>{source}: {n} numbers → 2 by PCA</sup>").format(name=n, source=source,
                                                                                    n=vectors.shape[1]))
        fig.update_layout(showlegend=False, margin=dict(b=40))
        fig.update_xaxes(title_text=_("PC 1 ({share} of the variance)").format(share=f"{explained[0]:.0%}"))
        fig.update_yaxes(title_text=_("PC 2 ({share})").format(share=f"{explained[1]:.0%}"))
        draw.plot(fig, key=f"scatter-{n}", where=column)
draw.look_at(sentence())

left, right = st.columns([2, 1])
left.radio(_("Vectors"), list(VECTORS), key="vectors", persist_state="session",
           format_func=lambda k: _(VECTORS[k]).format(weight=W_IH))
right.selectbox(_("Nearest neighbours of"), chars, key="near", persist_state="session", format_func=shown)
urlstate.set_url(vectors=what, near=char)

columns = st.columns(2)
for column, (n, (names, vectors, _projected, _gap)) in zip(columns, computed.items()):
    with column:
        neighbours = family.nearest(names, vectors, char, k=8)
        closest = [c for c, _cosine in neighbours[:3]]
        st.markdown(_("**{name}**: nearest to “{char}” (cosine similarity, all {n} dimensions)").format(
            name=n, char=shown(char), n=vectors.shape[1]))
        st.dataframe([{_("character"): shown(c), _("class"): family.class_name(family.char_class(c)),
                       _("cosine"): round(s, 3)} for c, s in neighbours], hide_index=True)
        st.caption(_("The three nearest to “{char}”: {nearest} ({k} of the 3 in its class, {cls}).").format(
            char=shown(char), nearest=pgettext("between list items", ", ").join(shown(c) for c in closest),
            k=sum(family.char_class(c) == family.char_class(char) for c in closest),
            cls=family.class_name(family.char_class(char))))
st.caption(_("Points are coloured by class: vowels, consonants, capitals, digits, whitespace, punctuation. The two "
             "principal components keep only part of the variance (in the axis titles), so the cosines above and in "
             "the sentence under the maps measure all dimensions."))

rows = []
for n, model in models.items():
    test = model.meta.get("metrics", {}).get("test", {})
    metric = test.get("metric") or _("metric")
    scored = _("{metric} (test)").format(metric=catalog.metric_name(metric))
    rows.append({_("model"): n,
                 _("input"): {"onehot": _("one-hot"), "embedding": _("embedding")}[model.config.input_mode],
                 _("parameters"): model.num_parameters(), scored: test.get("value"),
                 _("baseline"): test.get("baseline", {}).get("value")})
st.dataframe(rows, hide_index=True)
st.caption(_("Held-out bits per character on the test split, measured when each model was built (lower is better; "
             "the baseline is the unigram entropy)."))

st.subheader(_("The two input stages, unrolled"))
columns = st.columns(2)
for column, (n, model) in zip(columns, models.items()):
    draw.plot(diagram.unrolled(model.config, steps=3, tokens="And", title=n, notation=notation), key=f"diagram-{n}",
              where=column)
    column.caption(diagram.describe(model.config))  # under the picture: too long for its title in a narrow column

course.lesson_links(__file__)
