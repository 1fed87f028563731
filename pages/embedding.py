"""One-hot vs embedding: the same SimpleRNN trained on one-hot characters and on a learned embedding."""
import streamlit as st

from explorer import figures
from explorer.analysis import family
from explorer.app import catalog, course, draw, frame, urlstate
from explorer.figures import diagram

frame.require_frame(__file__)

EMBEDDED, ONEHOT = "english-rnn", "english-rnn-onehot"  # same recipe, only the input stage differs
VECTORS = {
    "encoding": "what the input stage makes of a character (embedding row / column of W_ih)",
    "first_layer": "what a character adds to the first layer, W_ih · input (one number per hidden unit, both models)",
}
CLOSE, SLIGHT = 0.1, 0.03  # gaps in mean cosine (vowel-vowel minus vowel-other): clearly closer, barely closer
SCATTER_HEIGHT = 400  # px: both maps and the sentence under them fit a 1280x800 first screen

st.title("One-hot vs embedding")
st.caption("Two SimpleRNNs learned English from the same text and budget: one reads each character as a one-hot "
           "vector, the other through a learned embedding. A one-hot vector only picks a column of W_ih, so that "
           "column is the one-hot model's embedding, in effect.")

present = [n for n in (EMBEDDED, ONEHOT) if n in catalog.available()]
if len(present) < 2:
    missing = [n for n in (EMBEDDED, ONEHOT) if n not in present]
    st.warning(f"Not built yet: {', '.join(missing)}. Build with `python -m explorer.zoo build {' '.join(missing)}`.")
    st.stop()
try:
    models = {n: catalog.get_model(n) for n in present}
except ValueError as err:
    st.error(f"Could not load the models: {err}")
    st.stop()

# the same corpus gives both the same vocabulary; the unknown token is left out
shared = set(models[ONEHOT].vocab.itos[1:])
chars = [c for c in models[EMBEDDED].vocab.itos[1:] if c in shared]


def shown(ch: str) -> str:
    return {" ": "␣ (space)", "\n": "↵ (newline)", "\t": "⇥ (tab)"}.get(ch, ch)


default_char = "e" if "e" in chars else chars[0]
urlstate.param_default("vectors", "encoding", valid=lambda v: v in VECTORS, what=", ".join(VECTORS))
urlstate.param_default("near", default_char, valid=lambda v: v in chars, what="a character of the models' vocabulary")
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
        verdict = ("sit closer to each other than to the rest" if gap >= CLOSE else
                   "are only slightly closer to each other than to the rest" if gap >= SLIGHT else
                   "sit further from each other than from the rest" if gap <= -SLIGHT else
                   "are no closer to each other than to the rest")
        numbers = (f"mean cosine {within:+.2f} between two vowels, {between:+.2f} to the rest" if not parts else
                   f"{within:+.2f} against {between:+.2f}")
        parts.append(f"in {n} they {verdict} ({numbers})")
    return "Find the vowels a e i o u (vermillion): " + "; ".join(parts) + "."


# one colour key for both maps: a legend under each would wrap and crowd its axis in a narrow column
draw.markup(" ".join(f'<span style="color:{figures.family.CLASS_COLORS[c]};margin-right:0.8em">● {c}</span>'
                     for c in family.CHAR_CLASSES) + f" <span>○ “{shown(char)}”</span>")
with draw.key_figure():
    columns = st.columns(2)
    for column, (n, (names, vectors, (coords, explained), _)) in zip(columns, computed.items()):
        source = ("columns of weight_ih_l0" if models[n].config.input_mode == "onehot" else
                  "rows of embedding.weight" if what == "encoding" else "weight_ih_l0 · rows of embedding.weight")
        fig = figures.family.embedding_scatter(
            coords=coords, chars=names, classes=[family.char_class(c) for c in names], explained=explained,
            highlight=char, height=SCATTER_HEIGHT,
            title=f"{n}<br><sup>{source}: {vectors.shape[1]} numbers → 2 by PCA</sup>")
        fig.update_layout(showlegend=False, margin=dict(b=40))
        fig.update_xaxes(title_text=f"PC 1 ({explained[0]:.0%} of the variance)")
        fig.update_yaxes(title_text=f"PC 2 ({explained[1]:.0%})")
        draw.plot(fig, key=f"scatter-{n}", where=column)
draw.look_at(sentence())

left, right = st.columns([2, 1])
left.radio("Vectors", list(VECTORS), key="vectors", persist_state="session", format_func=VECTORS.get)
right.selectbox("Nearest neighbours of", chars, key="near", persist_state="session", format_func=shown)
urlstate.set_url(vectors=what, near=char)

columns = st.columns(2)
for column, (n, (names, vectors, _, _)) in zip(columns, computed.items()):
    with column:
        neighbours = family.nearest(names, vectors, char, k=8)
        st.markdown(f"**{n}**: nearest to “{shown(char)}” (cosine similarity, all {vectors.shape[1]} dimensions)")
        st.dataframe([{"character": shown(c), "class": family.char_class(c), "cosine": round(s, 3)}
                      for c, s in neighbours], hide_index=True)
        st.caption(f"The three nearest to “{shown(char)}”: " + ", ".join(shown(c) for c, _ in neighbours[:3])
                   + f" ({sum(family.char_class(c) == family.char_class(char) for c, _ in neighbours[:3])} of the "
                   f"3 in its class, {family.char_class(char)}).")
st.caption("Points are coloured by class: vowels, consonants, capitals, digits, whitespace, punctuation. The two "
           "principal components keep only part of the variance (in the axis titles), so the cosines above and in "
           "the sentence under the maps measure all dimensions.")

rows = []
for n, model in models.items():
    test = model.meta.get("metrics", {}).get("test", {})
    rows.append({"model": n, "input": {"onehot": "one-hot", "embedding": "embedding"}[model.config.input_mode],
                 "parameters": model.num_parameters(), f"{test.get('metric', 'metric')} (test)": test.get("value"),
                 "baseline": test.get("baseline", {}).get("value")})
st.dataframe(rows, hide_index=True)
st.caption("Held-out bits per character on the test split, measured when each model was built (lower is better; "
           "the baseline is the unigram entropy).")

st.subheader("The two input stages, unrolled")
columns = st.columns(2)
for column, (n, model) in zip(columns, models.items()):
    draw.plot(diagram.unrolled(model.config, steps=3, tokens="And", title=n), key=f"diagram-{n}", where=column)
    column.caption(diagram.describe(model.config))  # under the picture: too long for its title in a narrow column

course.lesson_links(__file__)
