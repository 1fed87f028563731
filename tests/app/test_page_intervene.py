"""The Intervene page under AppTest: defaults, each intervention's changed-vs-original figures
(their numbers equal explorer.intervene's), a sentence for each bad input, links that reproduce
the view."""
import math
import re

import numpy as np
import pytest
from page_helpers import CORPUS, chart_specs, key_figure, look_at, open_page, save_tiny_model

from explorer import Vocab
from explorer.analysis import intervene
from explorer.analysis.intervene import Clamp, compare
from explorer.app import caches, catalog

PAGE = "pages/intervene.py"
CORPUS_VOCAB = Vocab.from_text(CORPUS)
TITLES = ("Surprise per character", "How far the hidden state moved", "Change in the hidden state",
          "Next-character guesses")


@pytest.fixture(scope="module")
def tiny_zoo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zoo")
    vocab = Vocab.from_text(CORPUS)
    models = {name: save_tiny_model(folder, name, cell=cell, vocab=vocab, hidden_size=16)
              for name, cell in [("english-lstm", "lstm"), ("english-gru", "gru"), ("english-rnn", "rnn"),
                                 ("english-mingru", "mingru"), ("english-minlstm", "minlstm")]}
    pytest.tiny_models = models
    return folder


def titles(at) -> list[str]:
    return [s["layout"]["title"]["text"] for s in chart_specs(at)]






def summary(at) -> str:
    """The sentence's first part, Comparison.summary(): what was done and what it did to bits/char."""
    return re.split(r": (?=the changed|nothing changed|‖Δh‖)", look_at(at))[0]


def errors(at) -> list[str]:
    return [e.value for e in at.error]


def test_defaults_clamp_the_forget_gate_and_draw_both_runs(app):
    at = open_page(app, PAGE)
    assert not at.error
    assert summary(at).startswith("Bits/char ") and summary(at).endswith(
        "after clamping f of units 0–15 to 0 from step 20 on")
    assert [s["layout"]["title"]["text"] for s in chart_specs(key_figure(at))] == [
        "Surprise per character: original vs changed"]
    drawn = titles(at)
    assert all(any(t.startswith(want) for t in drawn) for want in TITLES), drawn
    loss = chart_specs(at)[0]
    assert [d["name"] for d in loss["data"]] == ["original", "changed"]
    original, changed = (np.array([np.nan if v is None else v for v in d["y"]]) for d in loss["data"])
    assert np.array_equal(original[:20], changed[:20]) and not np.allclose(original[20:-1], changed[20:-1])
    params = at.query_params
    assert (params["model"], params["kind"], params["gate"], params["units"], params["value"], params["from"]) == \
        ("english-lstm", "clamp", "f", "all", "0", "20")


def test_clamp_knobs_redraw_with_the_library_numbers(app):
    at = open_page(app, PAGE)
    at.text_input(key="units").input("1, 3").run()
    at.selectbox(key="gate").set_value("o").run()
    at.number_input(key="value").set_value(1.0).run()
    at.number_input(key="from").set_value(5).run()
    assert not at.exception and not at.error
    assert summary(at).endswith("after clamping o of units 1, 3 to 1 from step 5 on")
    text = at.text_input(key="text").value
    cmp = compare(pytest.tiny_models["english-lstm"], text, [Clamp(gate="o", units=(1, 3), value=1.0, start=5)])
    assert look_at(at) == cmp.headline()
    drawn = chart_specs(at)[0]["data"][1]["y"]
    expected = cmp.changed.loss / math.log(2)
    np.testing.assert_allclose([v for v in drawn[:-1]], expected[:-1], rtol=1e-9)
    before, after = cmp.bits_per_char
    assert summary(at).startswith(f"Bits/char {before:.2f} → {after:.2f}")
    assert at.query_params["units"] == "1, 3" and at.query_params["gate"] == "o" and at.query_params["value"] == "1"


def test_ablate_draws_the_comparison(app):
    at = open_page(app, PAGE)
    at.radio(key="kind").set_value("ablate").run()
    at.text_input(key="units").input("2").run()
    assert not at.exception and not at.error
    assert summary(at).endswith("after ablating unit 2 from step 20 on")
    assert all(any(t.startswith(want) for t in titles(at)) for want in TITLES)
    assert at.query_params["kind"] == "ablate" and "gate" not in at.query_params


def test_edit_a_character(app):
    at = open_page(app, PAGE)
    at.radio(key="kind").set_value("edit").run()
    text = at.text_input(key="text").value
    position = text.index("(")
    assert at.number_input(key="pos").value == position
    at.text_input(key="char").input("x").run()
    assert not at.exception and not at.error
    assert summary(at).endswith(f"after editing step {position} from '(' to 'x'")
    loss = chart_specs(at)[0]
    assert loss["data"][0]["x"][position] == f"step {position} “(→x”"
    assert at.query_params["pos"] == str(position) and at.query_params["char"] == "x"
    assert int(at.query_params["after"]) >= position  # where the guesses differ, not just the character to guess


@pytest.mark.parametrize("widget, key, value, sentence", [
    ("text_input", "units", "12, 400", "Unit 400 does not exist: this layer has units 0 to 15."),
    ("text_input", "units", "twelve",
     "'twelve' is not a unit number: type whole numbers separated by commas, e.g. 12, 40 (or all)."),
    ("number_input", "value", 1.5, "The forget gate f lies between 0 and 1; 1.5 is outside that range."),
    ("number_input", "from", 500, "Step 500 is outside the text: its steps run from 0 to 93."),
])
def test_bad_knobs_get_one_sentence_and_keep_what_was_typed(app, widget, key, value, sentence):
    at = open_page(app, PAGE)
    getattr(at, widget)(key=key).set_value(value).run()
    assert not at.exception
    assert errors(at) == [sentence]
    assert not chart_specs(at)
    assert getattr(at, widget)(key=key).value == value
    assert at.query_params[key] == (value if isinstance(value, str) else f"{value:g}")


def test_bad_edits_get_one_sentence(app):
    at = open_page(app, PAGE)
    at.radio(key="kind").set_value("edit").run()
    at.text_input(key="char").input("é").run()
    assert errors(at) == ["The model never saw 'é' in training; pick a character from its vocabulary."]
    at.text_input(key="char").input("x").run()
    at.number_input(key="pos").set_value(999).run()
    assert errors(at) == ["Position 999 is outside the text: positions run from 0 to 93."]
    at.number_input(key="pos").set_value(3).run()
    assert not at.error and chart_specs(at)


def test_empty_text_asks_for_text(app):
    at = open_page(app, PAGE)
    at.text_input(key="text").input("").run()
    assert not at.exception and not at.error
    assert "Type some text" in at.info[0].value
    assert not chart_specs(at)
    at.text_input(key="text").input("a").run()
    assert not at.exception and not at.error and not chart_specs(at)
    assert [i.value for i in at.info] == [
        "Type at least two characters: after a single one there is no next character to guess."]


def test_link_reproduces_the_view(app):
    at = open_page(app, PAGE, model="english-gru", kind="clamp", gate="z", units="2,5", value="1", layer="0",
                   text="Behold the (covenant) of them", after="7", **{"from": "3", "to": "12"})
    assert not at.error and not at.warning
    assert at.text_input(key="text").value == "Behold the (covenant) of them"
    assert at.selectbox(key="gate").value == "z" and at.text_input(key="units").value == "2,5"
    assert at.number_input(key="value").value == 1.0 and at.number_input(key="to").value == 12
    assert summary(at).endswith("after clamping z of units 2, 5 to 1 at steps 3–12")
    assert titles(at)[-1] == "Next-character guesses after step 7 “t”; the text goes on with “h”"
    assert at.query_params["after"] == "7" and at.query_params["to"] == "12"


def test_the_text_applies_on_enter_and_the_sentence_is_the_librarys(app):
    at = open_page(app, PAGE)
    assert not at.text_area and not at.get("form")  # a sentence: one line, applied on Enter
    at.text_input(key="text").input("Behold the everlasting covenant (is with them); fear not.").run()
    assert not at.exception and not at.error
    model = pytest.tiny_models["english-lstm"]
    cmp = compare(model, "Behold the everlasting covenant (is with them); fear not.",
                  [Clamp(gate="f", units=tuple(range(16)), value=0.0, start=20)])
    assert look_at(at) == cmp.headline()
    first, most = cmp.first_changed_step(), cmp.most_changed_step()
    assert f"leaves the original at step {first}, and moves most after step {most} " in look_at(at)


def test_a_model_without_gates_offers_ablation(app):
    at = open_page(app, PAGE, model="english-rnn", kind="clamp", units="4")
    assert not at.exception and not at.error
    assert at.radio(key="kind").options == ["ablate units", "edit a character"]
    assert "A SimpleRNN has no gates to clamp: ablate units or edit a character." in [c.value for c in at.caption]
    assert summary(at).endswith("after ablating unit 4 from step 20 on")


def test_a_link_with_a_value_that_is_not_a_number_falls_back(app):
    at = open_page(app, PAGE, value="nan")
    assert [w.value for w in at.warning] == ["The link's `value='nan'` is not valid (a number); showing `0.0` instead."]
    assert not at.error and at.number_input(key="value").value == 0.0


def test_comparisons_of_pretrained_models_are_cached_and_the_users_own_are_not(app, monkeypatch):
    calls = []

    def counted(model, text, changes, **kwargs):
        calls.append(tuple(changes))
        return compare(model, text, changes, **kwargs)

    monkeypatch.setattr(intervene, "compare", counted)
    caches._cached_compare.clear()
    at = open_page(app, PAGE)
    assert len(calls) == 1
    at.number_input(key="value").set_value(0.5).run()
    at.number_input(key="value").set_value(0.0).run()  # back to the first view: from the cache
    at.run()
    assert len(calls) == 2 and not at.error
    assert calls[1] == (Clamp(gate="f", units=calls[0][0].units, value=0.5, layer=0, start=20, stop=None),)
    at.session_state[catalog.USER_MODELS] = {"mine": pytest.tiny_models["english-gru"]}
    at.run()  # the picker now offers it
    assert len(calls) == 2
    at.selectbox(key="model").set_value(catalog.YOURS + "mine").run()
    at.run()
    assert not at.exception and not at.error and len(calls) == 4  # run afresh every time: never cached


def test_a_model_without_a_head_shows_how_far_the_state_moved(app):
    import torch
    from torch import nn

    from explorer.zoo import your_model

    torch.manual_seed(0)
    found = your_model.infer({k: v.detach() for k, v in nn.GRU(len(CORPUS_VOCAB.itos), 8).state_dict().items()})
    model = your_model.build(found, CORPUS_VOCAB)
    at = open_page(app, PAGE)
    at.session_state[catalog.USER_MODELS] = {"bare": model}
    at.run()
    at.selectbox(key="model").set_value(catalog.YOURS + "bare").run()
    assert not at.exception and not at.error
    titles_drawn = [s["layout"]["title"]["text"] for s in chart_specs(key_figure(at))]
    assert len(titles_drawn) == 1 and titles_drawn[0].startswith("How far the hidden state moved")
    cmp = compare(model, at.text_input(key="text").value, [Clamp(gate="z", units=tuple(range(8)), value=0.0,
                                                                 start=20)])
    assert look_at(at) == cmp.headline() and "‖Δh‖ is 0 before step 20" in look_at(at)


def test_min_cells_clamp_their_gates_with_the_library_numbers(app):
    at = open_page(app, PAGE, model="english-minlstm")
    assert not at.exception and not at.error
    assert at.selectbox(key="gate").options == ["forget gate f", "input gate i", "candidate h̃"]
    assert summary(at).endswith("after clamping f of units 0–15 to 0 from step 20 on")
    at = open_page(app, PAGE, model="english-mingru", gate="cand", value="2", units="1, 3")
    assert not at.exception and not at.error
    assert summary(at).endswith("after clamping h̃ of units 1, 3 to 2 from step 20 on")
    cmp = compare(pytest.tiny_models["english-mingru"], at.text_input(key="text").value,
                  [Clamp(gate="cand", units=(1, 3), value=2.0, start=20)])
    assert look_at(at) == cmp.headline()
    at.number_input(key="value").set_value(-1.0).run()
    assert errors(at) == ["The candidate h̃ is never negative; -1 is."]
