"""One-hot vs embedding: the same SimpleRNN trained on one-hot characters and on a learned embedding."""
import streamlit as st

from explorer import figures
from explorer.analysis import family
from explorer.app import catalog, draw, frame, urlstate
from explorer.figures import diagram

frame.require_frame(__file__)

EMBEDDED, ONEHOT = "english-rnn", "english-rnn-onehot"  # same recipe, only the input stage differs
VECTORS = {
    "encoding": "what the input stage makes of a character (embedding row / column of W_ih)",
    "first_layer": "what a character adds to the first layer, W_ih · input (one number per hidden unit, both models)",
}

st.title("One-hot vs embedding")
st.caption("Two SimpleRNNs learned English from the same text, with the same size and training budget. One reads "
           "each character as a one-hot vector, the other through a learned embedding of 32 numbers. A one-hot "
           "vector only picks a column of W_ih, so that column is what the one-hot model has learned for the "
           "character: its embedding, in effect.")

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

rows = []
for n, model in models.items():
    test = model.meta.get("metrics", {}).get("test", {})
    rows.append({"model": n, "input": {"onehot": "one-hot", "embedding": "embedding"}[model.config.input_mode],
                 "parameters": model.num_parameters(), f"{test.get('metric', 'metric')} (test)": test.get("value"),
                 "baseline": test.get("baseline", {}).get("value")})
st.dataframe(rows, hide_index=True)
st.caption("Held-out bits per character on the test split, measured when each model was built (lower is better; "
           "the baseline is the unigram entropy).")

# the same corpus gives both the same vocabulary; the unknown token is left out
shared = set(models[ONEHOT].vocab.itos[1:])
chars = [c for c in models[EMBEDDED].vocab.itos[1:] if c in shared]


def shown(ch: str) -> str:
    return {" ": "␣ (space)", "\n": "↵ (newline)", "\t": "⇥ (tab)"}.get(ch, ch)


default_char = "e" if "e" in chars else chars[0]
urlstate.param_default("vectors", "encoding", valid=lambda v: v in VECTORS, what=", ".join(VECTORS))
urlstate.param_default("near", default_char, valid=lambda v: v in chars, what="a character of the models' vocabulary")
left, right = st.columns([2, 1])
what = left.radio("Vectors", list(VECTORS), key="vectors", persist_state="session", format_func=VECTORS.get)
char = right.selectbox("Nearest neighbours of", chars, key="near", persist_state="session", format_func=shown)
urlstate.set_url(vectors=what, near=char)

columns = st.columns(2)
for column, (n, model) in zip(columns, models.items()):
    names, vectors = family.input_vectors(model, what)
    coords, explained = family.pca_2d(vectors)
    source = ("columns of weight_ih_l0" if model.config.input_mode == "onehot" else
              "rows of embedding.weight" if what == "encoding" else "weight_ih_l0 · rows of embedding.weight")
    with column:
        draw.plot(figures.family.embedding_scatter(
            coords=coords, chars=names, classes=[family.char_class(c) for c in names], explained=explained,
            highlight=char, title=f"{n}<br><sup>{source}: {vectors.shape[1]} numbers → 2 by PCA</sup>"),
            key=f"scatter-{n}")
        st.markdown(f"**{n}**: nearest to “{shown(char)}” (cosine similarity, all {vectors.shape[1]} dimensions)")
        st.dataframe([{"character": shown(c), "class": family.char_class(c), "cosine": round(s, 3)}
                      for c, s in family.nearest(names, vectors, char, k=8)], hide_index=True)
st.caption("Points are coloured by class: vowels, consonants, capitals, digits, whitespace, punctuation. "
           "Characters used alike (vowels, say) tend to sit together; the two principal components keep only part "
           "of the variance (in the axis titles), so the nearest-neighbour table measures all dimensions.")

st.subheader("The two input stages, unrolled")
columns = st.columns(2)
for column, (n, model) in zip(columns, models.items()):
    draw.plot(diagram.unrolled(model.config, steps=3, tokens="And",
                                         title=f"{n}<br><sup>{diagram.describe(model.config)}</sup>"),
                        key=f"diagram-{n}", where=column)
