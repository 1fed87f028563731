"""The family pages under AppTest: Jordan vs Elman, Stacked & bidirectional, One-hot vs embedding.

Tiny random models with the real tasks' vocabularies and shapes are saved as a zoo; the numbers a
page shows are checked against explorer's own computations on the same models."""

import base64

import numpy as np
import pytest
import torch
from page_helpers import CORPUS, chart_specs, open_page, view_params

from explorer import ModelConfig, RNNModel, Vocab, tasks, trace, zoo
from explorer.analysis import family
from explorer.training.train import config_for


def save(folder, name, config, vocab, task, value, *, seed=0, metric="accuracy", task_config=None):
    torch.manual_seed(seed)
    model = RNNModel(config, vocab)
    test = {"metric": metric, "value": value, "loss": 0.25, "baseline": {"value": 0.17, "description": "baseline"}}
    if task == "brackets":
        test["longer"] = {"seq_len": 128, "value": value - 0.01, "loss": 0.3}
    zoo.save(model, name, {"name": name, "task": task, "cell": config.cell, "parameters": model.num_parameters(),
                           "metrics": {"test": test}, "task_config": task_config or {}, "training_seconds": 1.0},
             folder)


@pytest.fixture(scope="module")
def tiny_zoo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zoo")
    brackets, sentiment = tasks.get("brackets"), tasks.get("sentiment")
    for name, cell, value in (("brackets-rnn", "rnn", 0.97), ("brackets-jordan", "jordan", 0.93)):
        save(folder, name, config_for(brackets, cell=cell, hidden_size=8), brackets.vocab, "brackets", value,
             task_config={"max_depth": 15, "filler_prob": 0.0})
    save(folder, "sentiment-gru", config_for(sentiment, cell="gru", hidden_size=8), sentiment.vocab, "sentiment", 0.91)
    save(folder, "sentiment-bigru", config_for(sentiment, cell="gru", hidden_size=6, num_layers=2, bidirectional=True),
         sentiment.vocab, "sentiment", 0.95, seed=1)
    vocab = Vocab.from_text(CORPUS)
    for name, mode, value in (("english-rnn", "embedding", 2.4), ("english-rnn-onehot", "onehot", 2.6)):
        config = ModelConfig(cell="rnn", input_mode=mode, input_size=len(vocab), output_size=len(vocab), hidden_size=12)
        save(folder, name, config, vocab, "english", value, metric="bits/char")
    return folder


def texts(elements):
    return " ".join(str(e.value) for e in elements)


def titles(at):
    return [s["layout"]["title"]["text"] for s in chart_specs(at)]


def decoded(values) -> np.ndarray:
    """A numeric array as plotly sends it: a list, or {"dtype", "bdata"} (base64)."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"]))
    return np.asarray(values)


def edge_kinds(spec) -> set:
    return {a.get("name") for a in spec["layout"].get("annotations", []) if a.get("showarrow")}


# -- Jordan vs Elman ------------------------------------------------------------------------


def family_key_figure(at):
    """The page's key picture (draw.key_figure), the one container whose key is key_figure."""
    found = [b for b in at.main.children.values() if getattr(b.proto, "id", "").endswith("-key_figure")]
    assert len(found) == 1, "exactly one key picture"
    return found[0]


def family_look_at(at) -> str:
    """The sentence beside the key picture (draw.look_at), without its icon."""
    return family_key_figure(at).markdown[0].value.removeprefix(":material/visibility: ")


def boxes_crossed(spec) -> list[tuple[str, str]]:
    """(edge, box) for every arrow or bend of the unrolled diagram `spec` that runs through a box it
    neither starts nor ends on (sampled along the segment, inside the box by more than a hair)."""
    rects = [(s["x0"], s["x1"], s["y0"], s["y1"]) for s in spec["layout"]["shapes"] if s.get("type") == "rect"]
    segments = [((a["ax"], a["ay"]), (a["x"], a["y"]), a["name"]) for a in spec["layout"]["annotations"]
                if a.get("showarrow")]
    for s in spec["layout"]["shapes"]:
        if s.get("type") == "path":
            points = [tuple(float(v) for v in p.split(",")) for p in s["path"].replace("M", "").split("L")]
            segments += [(a, b, s["name"]) for a, b in zip(points, points[1:])]
    crossed = []
    for (x0, y0), (x1, y1), name in segments:
        for k, (left, right, bottom, top) in enumerate(rects):
            xs, ys = x0 + np.linspace(0, 1, 41) * (x1 - x0), y0 + np.linspace(0, 1, 41) * (y1 - y0)
            if np.any((left + 0.01 < xs) & (xs < right - 0.01) & (bottom + 0.01 < ys) & (ys < top - 0.01)):
                crossed.append((name, f"box {k}"))
    return crossed


def test_jordan_page_defaults(app, tiny_zoo):
    at = open_page(app, "pages/jordan.py")
    text = at.text_input(key="brackets").value
    table = at.dataframe[0].value  # one column per model, so the two fit side by side on a narrow page
    assert list(table.columns) == ["", "brackets-rnn", "brackets-jordan"]
    rows = {what: list(row[1:]) for what, row in zip(table[""], table.values)}
    assert rows["accuracy (test)"] == ["0.9700", "0.9300"]  # the zoo metadata
    assert rows["accuracy at 128 characters"] == ["0.9600", "0.9200"]
    depths = family.bracket_depths(text, 15)
    for column, name in enumerate(("brackets-rnn", "brackets-jordan")):
        model = zoo.load(name, tiny_zoo)
        expected = family.accuracy(family.predicted(trace(model, text)), depths)
        assert rows["accuracy on your text"][column] == f"{expected:.4f}"
    specs = {s["layout"]["title"]["text"]: s for s in chart_specs(at)}
    elman = next(s for t, s in specs.items() if t.startswith("brackets-rnn, unrolled"))
    jordan = next(s for t, s in specs.items() if t.startswith("brackets-jordan, unrolled"))
    assert "edge:recurrent" in edge_kinds(elman) and "edge:feedback" not in edge_kinds(elman)
    assert "edge:feedback" in edge_kinds(jordan) and "edge:recurrent" not in edge_kinds(jordan)
    predictions = chart_specs(family_key_figure(at))[0]
    assert predictions["layout"]["title"]["text"] == "Predicted depth after each character, and the true depth"
    assert predictions["data"][0]["y"] == depths
    model = zoo.load("brackets-jordan", tiny_zoo)
    assert predictions["data"][2]["y"] == family.predicted(trace(model, text)).tolist()
    assert "Jordan: reads back φ(y_t-1)" in specs and "Elman: reads back h_t-1" in specs
    assert at.query_params["brackets"] == text
    assert "\\text{Jordan: } h_t" in at.latex[0].value and "\\\\" in at.latex[0].value  # one equation a line


def test_jordan_sentence_counts_what_the_figure_draws(app, tiny_zoo):
    at = open_page(app, "pages/jordan.py")
    text = at.text_input(key="brackets").value
    depths = np.asarray(family.bracket_depths(text, 15))
    said = family_look_at(at)
    for name, fed in (("brackets-rnn", "its hidden state hₜ₋₁ (8 numbers)"),
                      ("brackets-jordan", "its output yₜ₋₁ (16 depth scores)")):
        wrong = np.flatnonzero(family.predicted(trace(zoo.load(name, tiny_zoo), text)) != depths)
        assert f"**{name}**, reading back {fed}, is right at {len(depths) - wrong.size} of {len(depths)}" in said
        if wrong.size:
            assert f"first off at step {wrong[0]}" in said


def test_jordan_brackets_apply_on_enter(app):
    at = open_page(app, "pages/jordan.py")
    assert not at.text_area and not at.get("form")  # one line: Enter applies it
    at.text_input(key="brackets").input("(())").run()
    assert at.query_params["brackets"] == "(())"
    assert chart_specs(family_key_figure(at))[0]["data"][0]["y"] == [1, 2, 1, 0]


@pytest.mark.parametrize("typed, message", [
    ("(()x", "Type only “(” and “)”: these models were trained on nothing else; the text also has 'x'."),
    ("())(", "The “)” at step 2 closes a bracket that was never opened."),
    ("(" * 10_000, "Step 15 reaches depth 16; these models count only to 15."),  # cut to 400 first, with a warning
])
def test_jordan_page_refuses_bad_brackets_in_one_sentence(app, typed, message):
    at = open_page(app, "pages/jordan.py")
    at.text_input(key="brackets").input(typed).run()
    assert not at.exception
    assert [e.value for e in at.error] == [message]
    assert at.text_input(key="brackets").value == typed  # nothing the user typed is lost
    assert not at.get("plotly_chart")


def test_jordan_page_link_restores_the_brackets(app):
    at = open_page(app, "pages/jordan.py", brackets="((()))")
    assert at.text_input(key="brackets").value == "((()))"
    assert chart_specs(at)[0]["data"][0]["y"] == [1, 2, 3, 2, 1, 0]


# -- Stacked & bidirectional ----------------------------------------------------------------


def test_deep_page_draws_every_layer_and_direction_and_where_they_meet(app, tiny_zoo):
    at = open_page(app, "pages/deep.py")
    assert at.query_params["net"] == "sentiment-bigru"
    text = at.text_input(key="input").value
    drawn = titles(at)
    for where in ("layer 0 forward", "layer 0 backward", "layer 1 forward", "layer 1 backward"):
        assert any(where in t for t in drawn), where
    assert any(t.startswith("[h→_t ; h←_t] of the top layer: units 0–5 forward, 6–11 backward") for t in drawn)
    model = zoo.load("sentiment-bigru", tiny_zoo)
    with torch.no_grad():
        logits = model(model.encode(text).ids)[0].double().numpy()  # torch's own forward
    margin = logits[1] - logits[0]
    said = family_look_at(at)
    assert f"**{margin:+.2f}**" in said
    answer = "positive" if margin > 0 else "negative"
    p = float(torch.softmax(torch.tensor(logits), 0).max())
    assert said.startswith(f"**sentiment-bigru** says **{answer}** (p = {p:.3f}): the head reads")
    key = chart_specs(family_key_figure(at))[0]
    assert key["layout"]["title"]["text"].startswith("Where the directions meet")
    ringed = [t["y"][0] for t in key["data"] if t.get("mode") == "markers"]  # the two points the head reads
    assert f"h→ after the last character ({ringed[0]:+.2f}) and h← at step 0 ({ringed[1]:+.2f})" in said
    spec = next(s for s in chart_specs(at) if s["layout"]["title"]["text"].startswith("sentiment-bigru unrolled"))
    assert {"edge:backward", "edge:concat", "edge:layer"} <= edge_kinds(spec)
    assert boxes_crossed(spec) == []  # every arrow runs beside the boxes it skips
    table = at.dataframe[0].value
    assert list(table["model"]) == ["sentiment-gru", "sentiment-bigru"]
    assert list(table["accuracy (test)"]) == [0.91, 0.95] and list(table["directions"]) == [1, 2]


def test_deep_page_text_applies_on_enter(app):
    at = open_page(app, "pages/deep.py")
    assert not at.text_area and not at.get("form")  # a sentence: one line, Enter applies it
    at.text_input(key="input").input("the cast was dull").run()
    assert at.query_params["input"] == "the cast was dull"
    assert "step 16" in chart_specs(family_key_figure(at))[0]["data"][0]["x"][-1]


def test_deep_page_link_restores_model_text_and_quantity(app):
    at = open_page(app, "pages/deep.py", net="sentiment-gru", input="the cast was dull", state="r")
    assert at.selectbox(key="net").value == "sentiment-gru" and at.radio(key="state").value == "r"
    assert at.text_input(key="input").value == "the cast was dull"
    assert any(t == "reset gate r, layer 0" for t in titles(at))
    assert view_params(at) == {"net": "sentiment-gru", "input": "the cast was dull", "state": "r"}


def test_deep_page_forward_only_model_says_so(app):
    at = open_page(app, "pages/deep.py", net="sentiment-gru")
    assert "sentiment-gru reads forward only" in texts(at.info)
    assert not any("layer 0 backward" in t for t in titles(at))
    assert family_look_at(at).startswith("**sentiment-gru** reads forward only (1 layer of 8 units")
    key = chart_specs(family_key_figure(at))[0]  # the structure is the picture: the diagram, drawn once
    assert key["layout"]["title"]["text"].startswith("sentiment-gru unrolled")
    assert sum(t.startswith("sentiment-gru unrolled") for t in titles(at)) == 1


def test_deep_page_other_quantities_and_empty_text(app):
    at = open_page(app, "pages/deep.py")
    at.radio(key="state").set_value("z").run()
    assert not at.exception
    assert any(t.startswith("update gate z, layer 1 backward") for t in titles(at))
    assert at.query_params["state"] == "z"
    at.text_input(key="input").input("").run()
    assert not at.exception and "Type some text" in texts(at.info)


# -- One-hot vs embedding -------------------------------------------------------------------


def embedding_key_figure(at):
    """The page's key picture (draw.key_figure), the one container whose key is key_figure."""
    found = [b for b in at.main.children.values() if getattr(b.proto, "id", "").endswith("-key_figure")]
    assert len(found) == 1, "exactly one key picture"
    return found[0]


def test_embedding_page_defaults_match_the_library(app, tiny_zoo):
    at = open_page(app, "pages/embedding.py")
    table = at.dataframe[2].value
    assert list(table["model"]) == ["english-rnn", "english-rnn-onehot"]
    assert list(table["input"]) == ["embedding", "one-hot"] and list(table["bits/char (test)"]) == [2.4, 2.6]
    specs = [s for s in chart_specs(embedding_key_figure(at)) if "by PCA" in s["layout"]["title"]["text"]]
    assert len(specs) == 2  # both maps are the key picture
    assert "rows of embedding.weight: 32 numbers" in specs[0]["layout"]["title"]["text"]
    onehot = zoo.load("english-rnn-onehot", tiny_zoo)
    chars, vectors = family.input_vectors(onehot)
    coords, explained = family.pca_2d(vectors)
    spec = specs[1]
    assert "columns of weight_ih_l0: 12 numbers → 2 by PCA" in spec["layout"]["title"]["text"]
    points = {}
    for trace_ in spec["data"]:
        if trace_.get("customdata"):
            xs, ys = decoded(trace_["x"]), decoded(trace_["y"])
            points.update({label: (x, y) for x, y, label in zip(xs, ys, trace_["customdata"])})
    k = chars.index("e")
    assert points["e"] == pytest.approx(tuple(coords[k]), abs=1e-6)
    assert f"({explained[0]:.0%} of the variance)" in spec["layout"]["xaxis"]["title"]["text"]
    neighbours = at.dataframe[1].value  # the one-hot model's table
    nearest = family.nearest(chars, vectors, "e", k=3)
    assert list(neighbours["character"])[:3] == [c for c, _ in nearest]
    assert neighbours["cosine"].iloc[0] == pytest.approx(round(family.nearest(chars, vectors, "e", 1)[0][1], 3))
    assert f"The three nearest to “e”: {', '.join(c for c, _ in nearest)} (" in texts(at.caption)
    assert at.query_params["near"] == "e" and at.query_params["vectors"] == "encoding"


def vowel_cosines(chars, vectors):
    """Mean cosine between two vowels, and between a vowel and another character, computed here directly."""
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    cosine = unit @ unit.T
    vowel = np.array([family.char_class(c) == "vowel" for c in chars])
    pairs = cosine[np.ix_(vowel, vowel)]
    within = (pairs.sum() - np.trace(pairs)) / (vowel.sum() * (vowel.sum() - 1))
    return within, cosine[np.ix_(vowel, ~vowel)].mean()


def test_embedding_page_says_what_the_vowels_do_as_measured(app, tiny_zoo):
    at = open_page(app, "pages/embedding.py")
    sentence = next(m.value for m in at.markdown if m.value.startswith(":material/visibility: "))
    assert sentence.endswith(".") and ". " not in sentence  # one sentence
    for name, numbers in (("english-rnn", "mean cosine {:+.2f} between two vowels, {:+.2f} to the rest"),
                          ("english-rnn-onehot", "{:+.2f} against {:+.2f}")):
        within, between = vowel_cosines(*family.input_vectors(zoo.load(name, tiny_zoo)))
        gap = within - between
        verdict = ("sit closer to each other than to the rest" if gap >= 0.1 else
                   "are only slightly closer to each other than to the rest" if gap >= 0.03 else
                   "sit further from each other than from the rest" if gap <= -0.03 else
                   "are no closer to each other than to the rest")
        assert f"in {name} they {verdict} ({numbers.format(within, between)})" in sentence


def test_embedding_page_choices_go_into_the_link(app):
    at = open_page(app, "pages/embedding.py", near="a", vectors="first_layer")
    assert at.selectbox(key="near").value == "a"
    pca = [t for t in titles(at) if "by PCA" in t]
    assert len(pca) == 2 and all(": 12 numbers" in t for t in pca)
    at.selectbox(key="near").set_value("b").run()
    assert at.query_params["near"] == "b"
    assert "nearest to “b”" in texts(at.markdown)


def test_embedding_page_bad_link_warns_and_falls_back(app):
    at = open_page(app, "pages/embedding.py", near="☃")
    assert any("near='☃'` is not valid" in w.value for w in at.warning)
    assert at.selectbox(key="near").value == "e"


def test_family_pages_say_what_to_build_when_models_are_missing(app, tmp_path, monkeypatch):
    from explorer.app.catalog import ZOO_ENV
    monkeypatch.setenv(ZOO_ENV, str(tmp_path))
    for page, command in (("pages/jordan.py", "python -m explorer.zoo build brackets-rnn brackets-jordan"),
                          ("pages/embedding.py", "python -m explorer.zoo build english-rnn english-rnn-onehot")):
        at = open_page(app, page)
        assert command in texts(at.warning)
    at = open_page(app, "pages/deep.py")
    assert "No pretrained models found" in texts(at.warning)
