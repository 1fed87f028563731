"""Find units (pages/units.py), driven headless with AppTest over tiny random models: the views
render, features and patterns change the ranking, bad patterns get their sentence, links
reproduce the view."""
import pytest
import torch
from page_helpers import CORPUS, chart_specs, coloured_texts, open_page, save_tiny_model

from explorer import ModelConfig, RNNModel, Vocab

PAGE = "pages/units.py"


@pytest.fixture(scope="module")
def tiny_zoo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zoo")
    vocab = Vocab.from_text(CORPUS)
    save_tiny_model(folder, "english-lstm", cell="lstm", vocab=vocab, hidden_size=12)
    save_tiny_model(folder, "python-lstm", cell="lstm", vocab=vocab, hidden_size=16, task="python")
    return folder


def titles(at):
    return [s["layout"]["title"]["text"] for s in chart_specs(at)]


def markdown(at):
    return " ".join([m.value for m in at.markdown] + coloured_texts(at))


def test_default_view_ranks_units_for_quotes_on_python(app):
    at = open_page(app, PAGE)
    assert at.sidebar.selectbox(key="model").value == "python-lstm"
    table = at.dataframe[0].value
    assert len(table) == 10 and list(table.columns) == ["rank", "quantity", "layer", "direction", "unit", "r"]
    assert table["r"].abs().is_monotonic_decreasing
    assert set(table["quantity"]) <= {"hidden", "cell", "i", "f", "g", "o"}
    assert any("inside quotes" in t and "r = " in t for t in titles(at))
    assert markdown(at).count("<span") > 600  # the unit on the typed text and on the corpus sample
    link = at.get("page_link")[0].proto
    assert "pages/intervene.py" in link.page or link.page.endswith("intervene")
    assert "units=" in link.query_string and "model=python-lstm" in link.query_string
    wanted = {"model": "python-lstm", "view": "probe", "feature": "quotes", "sample": "3000", "rank": "1"}
    assert {k: at.query_params[k] for k in wanted} == wanted


def test_regex_feature_ranks_and_bad_patterns_get_a_sentence(app):
    at = open_page(app, PAGE)
    before = at.dataframe[0].value
    at.selectbox(key="feature").set_value("regex").run()
    assert not at.exception and not at.error
    assert at.text_input(key="pattern").value == r"self\.\w+"
    at.text_input(key="pattern").input("def ").run()
    assert not at.exception and not at.error
    assert any("matches /def /" in t for t in titles(at))
    assert not at.dataframe[0].value.equals(before)
    assert at.query_params["pattern"] == "def "
    at.text_input(key="pattern").input("(ab").run()
    assert not at.exception
    sentence = "The pattern is not a valid regular expression: missing ), unterminated subpattern at position 0."
    assert [e.value for e in at.error] == [sentence]
    assert at.text_input(key="pattern").value == "(ab"  # what the user typed stays
    assert at.query_params["pattern"] == "(ab"


def test_switching_model_reranks_on_its_corpus(app):
    at = open_page(app, PAGE)
    at.selectbox(key="feature").set_value("brackets").run()
    before = at.dataframe[0].value
    at.sidebar.selectbox(key="model").set_value("english-lstm").run()
    assert not at.exception and not at.error
    assert at.text_area(key="text").value.startswith("And he said")
    after = at.dataframe[0].value
    assert not after.equals(before) and after["unit"].max() < 12
    assert at.query_params["model"] == "english-lstm"


def test_match_view_highlights_the_stretch_and_finds_matches(app):
    at = open_page(app, PAGE, view="match", threshold="-1")
    assert at.slider(key="stretch").value == (41, 48)  # the first string of the default text, "scaled"
    text = markdown(at)
    assert "Your selection" in text and text.count("16 of 16 units on") == 5  # at -1 every unit is on
    at.slider(key="threshold").set_value(1.0).run()
    assert not at.exception
    assert any("No hidden state h unit is on" in i.value for i in at.info)
    assert at.query_params["stretch"] == "41-48" and at.query_params["threshold"] == "1.0"


def test_clusters_view(app):
    at = open_page(app, PAGE, view="clusters")
    assert any("cluster" in t for t in titles(at))
    assert len(at.dataframe[0].value) == 8 and at.dataframe[0].value["units"].sum() == 16
    at.slider(key="k").set_value(3).run()
    assert len(at.dataframe[0].value) == 3
    assert at.query_params["k"] == "3"


def test_trajectory_view_in_two_and_three_dimensions(app):
    at = open_page(app, PAGE, view="trajectory")
    spec = chart_specs(at)[0]
    assert spec["data"][0]["type"] == "scatter" and "PC1" in spec["layout"]["xaxis"]["title"]["text"]
    at.radio(key="dims").set_value(3).run()
    spec = chart_specs(at)[0]
    assert spec["data"][0]["type"] == "scatter3d" and at.query_params["dims"] == "3"


def test_link_reproduces_a_view(app):
    at = open_page(app, PAGE, feature="indent", rank="2", sample="1000")
    assert at.selectbox(key="feature").value == "indent" and at.selectbox(key="rank").value == 2
    assert any("indentation" in t for t in titles(at))
    # the 1,000 asked for, in whole lines
    assert "Corpus sample: 1,220 characters" in " ".join(c.value for c in at.caption)


def test_bad_link_values_fall_back_with_a_warning(app):
    at = open_page(app, PAGE, feature="nonsense", view="sideways")
    warning = " ".join(w.value for w in at.warning)
    assert "feature='nonsense'" in warning and "view='sideways'" in warning
    assert at.selectbox(key="feature").value == "quotes" and not at.exception


def test_your_own_model_uses_the_pasted_corpus(app):
    at = open_page(app, PAGE)
    vocab = Vocab.from_text(CORPUS)
    torch.manual_seed(1)
    at.session_state["user_models"] = {"mine": RNNModel(ModelConfig(
        cell="gru", input_size=len(vocab), output_size=len(vocab), hidden_size=8), vocab).eval()}
    at.run()
    at.sidebar.selectbox(key="model").set_value("yours: mine").run()
    at.text_area(key="corpus").input('x = "a" + (b - c)\n' * 5).run()
    assert not at.exception and not at.error
    assert set(at.dataframe[0].value["quantity"]) <= {"hidden", "r", "z", "n"}
