"""Find units (pages/units.py), driven headless with AppTest over tiny random models: the views
render, features and patterns change the ranking, bad patterns get their sentence, links
reproduce the view."""
import pytest
import torch
from page_helpers import APP, CORPUS, chart_specs, coloured_texts, key_figure, look_at, open_page, save_tiny_model
from streamlit.testing.v1 import AppTest

from explorer import ModelConfig, RNNModel, Vocab, trace, zoo
from explorer.analysis import probes, units
from explorer.app.catalog import ZOO_ENV
from explorer.tasks.char_corpus import CODE_CORPORA

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






def opening(folder, name, size=3000):
    """What the page should open on for a model: the library's choice over the same corpus sample."""
    model = zoo.load(name, folder)
    sample = probes.corpus_sample(model.meta["task"], size)
    series = probes.unit_series(trace(model, sample, k=1))
    code = model.meta["task"] in CODE_CORPORA  # source: brackets in strings and comments do not count
    feature = probes.opening_feature(probes.best_units(series, sample, code=code))
    return feature, sample, series, probes.rank_units(series, probes.feature_values(feature, sample, code=code))


def test_default_view_opens_on_the_feature_with_the_strongest_unit(app, tiny_zoo):
    at = open_page(app, PAGE)
    assert at.sidebar.selectbox(key="model").value == "python-lstm"
    feature, sample, series, ranking = opening(tiny_zoo, "python-lstm")
    assert at.selectbox(key="feature").value == feature
    table = at.dataframe[0].value
    assert len(table) == 10 and list(table.columns) == ["rank", "quantity", "layer", "direction", "unit", "r"]
    assert table["r"].abs().is_monotonic_decreasing
    assert set(table["quantity"]) <= {"hidden", "cell", "i", "f", "g", "o"}
    assert list(table["r"]) == [round(float(ranking.r[c]), 3) for c in ranking.order[:10]]
    label = probes.feature_label(feature)
    box = key_figure(at)
    spec = chart_specs(box)[0]
    best = ranking.order[0]
    assert spec["layout"]["title"]["text"] == f"{series.name(best)} against “{label}” (r = {ranking.r[best]:+.2f})"
    assert spec["layout"]["showlegend"] is False  # the axis titles name the lines: no legend to crowd the title
    assert look_at(at) == (probes.follows_sentence(
        unit_name=series.name(best), feature_name=label, r=float(ranking.r[best]), rank=1, characters=len(sample)))
    assert markdown(at).count("<span") > 600  # the unit on the typed text and on the corpus sample
    link = at.get("page_link")[0].proto
    assert "pages/intervene.py" in link.page or link.page.endswith("intervene")
    assert "units=" in link.query_string and "model=python-lstm" in link.query_string
    wanted = {"model": "python-lstm", "view": "probe", "feature": feature, "sample": "3000", "rank": "1"}
    assert {k: at.query_params[k] for k in wanted} == wanted


def test_the_course_lesson_opens_on_a_model_that_is_here(app):
    """The lesson's link names the code model where it is built; this zoo has only python-lstm."""
    from explorer.app import course
    index = next(i for i, lesson in enumerate(course.LESSONS) if lesson.path == PAGE)
    params = course.lesson_params(index)
    assert params["model"] == "python-lstm" and params["view"] == "probe"
    at = open_page(app, PAGE, **params)
    assert at.sidebar.selectbox(key="model").value == "python-lstm" and not at.warning and not at.exception


def test_a_code_model_counts_brackets_as_python_does(app, tiny_zoo):
    """Brackets in strings and comments open nothing in Python source: the ranking counts so and a sentence says it."""
    at = open_page(app, PAGE)
    at.selectbox(key="feature").set_value("brackets").run()
    _, sample, series, _ = opening(tiny_zoo, "python-lstm")
    ranking = probes.rank_units(series, probes.bracket_depth(sample, code=True))
    prose = probes.rank_units(series, probes.bracket_depth(sample))  # every bracket counted
    table = at.dataframe[0].value
    assert list(table["r"]) == [round(float(ranking.r[c]), 3) for c in ranking.order[:10]]
    assert list(table["r"]) != [round(float(prose.r[c]), 3) for c in prose.order[:10]]  # it matters on this sample
    assert probes.code_note("brackets", True) in [c.value for c in at.caption] and not at.exception
    assert not probes.code_note("brackets", False) and not probes.code_note("quotes", True)


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
    assert at.text_input(key="text").value.startswith("And he said")  # a sentence: Enter applies it
    assert at.selectbox(key="feature").value == "brackets"  # the user's choice stays
    after = at.dataframe[0].value
    assert not after.equals(before) and after["unit"].max() < 12
    assert at.query_params["model"] == "english-lstm"


def test_an_untouched_feature_follows_the_model(app, tiny_zoo):
    at = open_page(app, PAGE)
    at.sidebar.selectbox(key="model").set_value("english-lstm").run()
    assert not at.exception and not at.error
    assert at.selectbox(key="feature").value == opening(tiny_zoo, "english-lstm")[0]


def test_a_precomputed_list_of_units_picks_the_opening_feature(app, monkeypatch):
    from explorer.app import catalog
    info = catalog.model_info

    def with_units(name):
        return {**info(name), "units": [{"feature": "indent", "quantity": "cell", "layer": 0, "direction": 0,
                                         "unit": 3, "r": 0.8},
                                        {"feature": "space", "quantity": "g", "layer": 0, "direction": 0,
                                         "unit": 1, "r": 0.9}]}

    monkeypatch.setattr(catalog, "model_info", with_units)
    at = open_page(app, PAGE)
    assert at.selectbox(key="feature").value == "indent"  # a memory feature with a strong unit comes first


def test_the_pattern_applies_on_enter(app):
    at = open_page(app, PAGE, feature="regex")
    assert at.text_input(key="pattern").value == r"self\.\w+"  # one line: Enter applies it
    at.text_input(key="pattern").input("def").run()
    assert any("matches /def/" in t for t in titles(at)) and at.query_params["pattern"] == "def"


def test_match_view_highlights_the_stretch_and_finds_matches(app):
    at = open_page(app, PAGE, view="match", threshold="-1")
    assert at.slider(key="stretch").value == (41, 48)  # the first string of the default text, "scaled"
    text = markdown(at)
    assert "Your selection" in text and text.count("16 of 16 units on") == 5  # at -1 every unit is on
    assert look_at(at) == ("16 of 16 hidden state h units are on over your selection; the corpus stretches below "
                           "are where most of them are on together (the best: 16 of 16).")
    assert len(key_figure(at).get("html")) == 6  # the selection and its five matches are the picture
    at.slider(key="threshold").set_value(1.0).run()
    assert not at.exception
    assert any("No hidden state h unit is on" in i.value for i in at.info)
    assert at.query_params["stretch"] == "41-48" and at.query_params["threshold"] == "1.0"


def test_clusters_view(app, tiny_zoo):
    at = open_page(app, PAGE, view="clusters")
    assert [s["layout"]["title"]["text"] for s in chart_specs(key_figure(at))] == [
        "What each cluster of hidden state h units responds to"]
    assert len(at.dataframe[0].value) == 8 and at.dataframe[0].value["units"].sum() == 16
    sample = probes.corpus_sample("python", 3000)
    hidden = probes.unit_series(trace(zoo.load("python-lstm", tiny_zoo), sample, k=1)).select("hidden")
    groups = units.cluster_units(hidden.values, sample, 8, seed=0)
    assert list(at.dataframe[0].value["units"]) == [g["size"] for g in groups]
    assert look_at(at).startswith(f"The largest cluster, {groups[0]['size']} of 16 units, is most active reading ")
    at.slider(key="k").set_value(3).run()
    assert len(at.dataframe[0].value) == 3
    assert at.query_params["k"] == "3"


def test_trajectory_view_in_two_and_three_dimensions(app, tiny_zoo):
    at = open_page(app, PAGE, view="trajectory")
    spec = chart_specs(key_figure(at))[0]
    assert spec["data"][0]["type"] == "scatter" and "PC1" in spec["layout"]["xaxis"]["title"]["text"]
    _, ratio = units.pca(trace(zoo.load("python-lstm", tiny_zoo), at.text_area(key="text").value).hidden[0, 0], 2)
    assert look_at(at) == units.trajectory_sentence(ratio)
    at.radio(key="dims").set_value(3).run()
    spec = chart_specs(at)[0]
    assert spec["data"][0]["type"] == "scatter3d" and at.query_params["dims"] == "3"


def test_link_reproduces_a_view(app):
    at = open_page(app, PAGE, feature="indent", rank="2", sample="1000")
    assert at.selectbox(key="feature").value == "indent" and at.selectbox(key="rank").value == 2
    assert any("indentation" in t for t in titles(at))
    # the 1,000 asked for, in whole lines
    assert "Corpus sample: 1,220 characters" in " ".join(c.value for c in at.caption)


def test_bad_link_values_fall_back_with_a_warning(app, tiny_zoo):
    at = open_page(app, PAGE, feature="nonsense", view="sideways")
    warning = " ".join(w.value for w in at.warning)
    assert "feature='nonsense'" in warning and "view='sideways'" in warning
    assert at.selectbox(key="feature").value == opening(tiny_zoo, "python-lstm")[0] and not at.exception


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


@pytest.mark.parametrize("built", [3, 2, 1])
def test_the_code_model_is_the_first_choice_when_it_is_built(tmp_path, monkeypatch, built):
    """The code models' quote and bracket units are cleaner than python-lstm's: the page opens on the one with
    both at 0.8 where it is built, else on the stateful one (the clearest bracket unit), else on python-code-lstm."""
    vocab = Vocab.from_text(CORPUS)
    code_models = ("python-code-lstm", "python-code-lstm-stateful", "python-code-lstm-stateful-long")[:built]
    for name, task in (("english-lstm", "english"), ("python-lstm", "python"),
                       *((name, "python-code") for name in code_models)):
        save_tiny_model(tmp_path, name, cell="lstm", vocab=vocab, hidden_size=12, task=task)
    monkeypatch.setenv(ZOO_ENV, str(tmp_path))
    at = open_page(AppTest.from_file(APP, default_timeout=60), PAGE, feature="regex")
    assert at.sidebar.selectbox(key="model").value == code_models[-1]
    assert at.text_area(key="text").value.startswith("def scale(")  # Python's text box: several lines
    assert at.text_input(key="pattern").value == r"self\.\w+"  # Python's pattern, not English's
    assert not at.info
    # the 1,000-character sample of code holds almost no strings: the page says the ranking means little
    at.selectbox(key="feature").set_value("quotes").run()
    at.sidebar.select_slider(key="sample").set_value(1000).run()
    assert not at.exception and len(at.info) == 1 and "characters of the sample are" in at.info[0].value
