"""Probes and unit finding (explorer/probes.py, explorer/units.py): features on hand-checked
strings, the regex limits, a planted unit found at rank 1, match, k-means, PCA, and the real
quote and bracket units of the pretrained python-lstm."""
import time

import numpy as np
import pytest
import torch
from torch import nn

import explorer
from explorer import zoo
from explorer.analysis import probes, units
from explorer.analysis.probes import ProbeError
from explorer.tasks.char_corpus import corpus_text, split_bounds


def test_inside_quotes_knows_escapes_triple_quotes_and_comments():
    text = 'a="b\\"c" # it\'s\nd'
    #       a = " b \ " c " _ # _ i t ' s \n d
    assert probes.inside_quotes(text).tolist() == [0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    doc = "x'''a\n'b'''y"
    assert probes.inside_quotes(doc).tolist() == [0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0]
    assert probes.inside_quotes("'ab\nc").tolist() == [1, 1, 1, 0, 0]  # a one-line string ends with its line


def test_counting_features():
    assert probes.bracket_depth("f(a[b]) )").tolist() == [0, 1, 1, 2, 2, 1, 0, 0, 0]
    assert probes.position_in_word("ab c_1.").tolist() == [1, 2, 0, 1, 2, 3, 0]
    assert probes.position_in_line("ab\ncd").tolist() == [0, 1, 0, 0, 1]
    assert probes.indentation("  x\n\ty").tolist() == [1, 2, 2, 0, 4, 4]
    assert probes.is_vowel("bAe!").tolist() == [0, 1, 1, 0]
    assert probes.is_whitespace("a b\n").tolist() == [0, 1, 0, 1]
    for name in probes.FEATURES:
        assert probes.feature_values(name, "x = (1)").shape == (7,)


def test_bracket_depth_in_code_skips_strings_and_comments():
    code = 'f("(", x) # (\ng[\'\\[\']'
    #       f ( " ( " , _ x ) _ # _ ( \n g [ ' \ [ ' ]
    assert probes.bracket_depth(code, code=True).tolist() == [0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
                                                             0, 1, 1, 1, 1, 1, 0]
    assert probes.bracket_depth(code)[-1] == 3  # as prose: every bracket counts, the ones in text too
    # only the code corpora read it so; in English an apostrophe would open a "string" to the end of the line
    prose = "the LORD's house (the temple)"
    assert probes.feature_values("brackets", prose).max() == 1
    assert probes.feature_values("brackets", prose, code=True).max() == 0


def test_regex_marks_matches():
    assert probes.regex_match("self.x = selfish", r"self\b").tolist() == [1] * 4 + [0] * 12
    assert probes.feature_values(probes.REGEX, "abcab", "ab").tolist() == [1, 1, 0, 1, 1]


def test_regex_limits_hold():
    start = time.perf_counter()
    with pytest.raises(ProbeError, match=r"^The pattern took longer than 1 s and was stopped"):
        probes.regex_match("a" * 30 + "b", "(a+)+$")
    assert time.perf_counter() - start < 4
    with pytest.raises(ProbeError, match=r"^The pattern is not a valid regular expression: missing \), "
                                         r"unterminated subpattern at position 0\.$"):
        probes.regex_match("abc", "(ab")
    with pytest.raises(ProbeError, match=r"^The pattern has 201 characters; at most 200 are allowed\.$"):
        probes.regex_match("abc", "a" * 201)
    with pytest.raises(ProbeError, match=r"^A pattern runs over at most 50,000 characters; this text has 50,001\.$"):
        probes.regex_match("a" * 50_001, "a")
    with pytest.raises(ProbeError, match="^Type a regular expression"):
        probes.feature_values(probes.REGEX, "abc", "")


def planted_counter(vocab: str, hidden: int = 8, unit: int = 3) -> nn.RNN:
    """A ReLU Elman net whose `unit` counts open brackets: h = relu(h_prev + [x is '('] - [x is ')']),
    exactly the bracket-depth feature; the other units are random."""
    torch.manual_seed(0)
    rnn = nn.RNN(len(vocab), hidden, nonlinearity="relu")
    with torch.no_grad():
        rnn.weight_hh_l0[unit] = 0
        rnn.weight_hh_l0[unit, unit] = 1
        rnn.weight_ih_l0[unit] = 0
        rnn.weight_ih_l0[unit, vocab.index("(")] = 1
        rnn.weight_ih_l0[unit, vocab.index(")")] = -1
        rnn.bias_hh_l0[unit] = rnn.bias_ih_l0[unit] = 0
    return rnn


def one_hot(text: str, vocab: str) -> torch.Tensor:
    return torch.eye(len(vocab))[[vocab.index(c) for c in text]]


def test_planted_bracket_unit_is_found_at_rank_one():
    vocab = "ab ()"
    text = "a (b (a b) (a (b)) a) b (a) ((b))" * 3
    tr = explorer.trace(planted_counter(vocab), one_hot(text, vocab))
    series = probes.unit_series(tr)
    ranking = probes.rank_units(series, probes.bracket_depth(text))
    top = ranking.rows(series, 3)
    assert {row["unit"] for row in top[:2]} == {3} and {row["quantity"] for row in top[:2]} == {"hidden", "pre"}
    assert top[0]["r"] > 0.999
    assert abs(top[2]["r"]) < 0.9  # no random unit comes close


def test_correlations_equal_numpy_and_guard_constants():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(50, 6)).astype(np.float32)
    values[:, 2] = 1.5  # a dead unit
    feature = values[:, 0] * 2 + rng.normal(size=50)
    r = probes.correlations(values, feature)
    expected = [np.corrcoef(values[:, j], feature)[0, 1] for j in (0, 1, 3, 4, 5)]
    assert np.allclose(r[[0, 1, 3, 4, 5]], expected, atol=1e-6) and r[2] == 0
    with pytest.raises(ProbeError, match="^The feature has the same value at every character"):
        probes.correlations(values, np.ones(50))
    values[:, 4] = -3 * feature  # perfectly anti-correlated: ranked first, by |r|
    ranking = probes.rank_units(probes.UnitSeries(values, np.full(6, "hidden"), np.zeros(6, int), np.zeros(6, int),
                                                  np.arange(6)), feature)
    assert ranking.order[0] == 4 and ranking.r[4] == pytest.approx(-1)


def test_unit_series_columns_are_the_trace():
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    tr = explorer.trace(lstm, torch.randn(10, 3))
    series = probes.unit_series(tr)
    assert series.values.shape == (10, 6 * 2 * 2 * 4)  # hidden, cell, i f g o × layers × directions × units
    assert np.array_equal(series.values[:, series.column("f", 1, 1, 2)], tr.gates["f"][1, 1, :, 2])
    assert np.array_equal(series.values[:, series.column("cell", 0, 1, 3)], tr.cell[0, 1, :, 3])
    assert series.select("hidden").values.shape == (10, 16)
    assert series.name(series.column("g", 1, 1, 0)) == "g unit 0, layer 1 backward"


def test_match_finds_the_planted_stretches():
    values = np.zeros((100, 5))
    values[20:25, [1, 3]] = 1  # units 1 and 3 on together at 20-24 ...
    values[60:65, 1] = 1  # ... only unit 1 at 60-64
    on = units.units_on(values, 20, 25, 0.5)
    assert on.tolist() == [1, 3]
    found = units.match_stretches(values, on, 5, 0.5, top=3)
    assert [(m["start"], m["on"]) for m in found[:2]] == [(20, 2), (60, 1)]
    assert all(abs(a["start"] - b["start"]) >= 5 for a in found for b in found if a is not b)  # no overlaps
    with pytest.raises(ProbeError, match="^Choose a stretch inside the text"):
        units.units_on(values, 90, 120, 0.5)


def test_kmeans_separates_planted_groups_deterministically():
    rng = np.random.default_rng(1)
    profiles = rng.normal(size=(2, 200))
    points = np.concatenate([profiles[0] + 0.1 * rng.normal(size=(7, 200)),
                             profiles[1] + 0.1 * rng.normal(size=(5, 200))])
    labels, centres = units.kmeans(points, 2, seed=3)
    assert centres.shape == (2, 200) and len(set(labels[:7])) == 1 and len(set(labels[7:])) == 1
    assert labels[0] != labels[7]
    assert np.array_equal(labels, units.kmeans(points, 2, seed=3)[0])
    text = "ab" * 100
    groups = units.cluster_units(points.T, text, 2)  # units as columns, one value per character
    assert sorted(g["size"] for g in groups) == [5, 7] and groups[0]["size"] == 7
    assert len(groups[0]["profile"]) == 200 and {c for c, _ in groups[0]["chars"]} == {"a", "b"}


def test_pca_shapes_variance_and_orientation():
    rng = np.random.default_rng(2)
    line = np.outer(np.linspace(-1, 1, 30), rng.normal(size=16))  # states on one line in 16-D
    coords, ratio = units.pca(line + 1e-4 * rng.normal(size=(30, 16)), 3)
    assert coords.shape == (30, 3) and ratio.shape == (3,)
    assert ratio[0] > 0.999 and ratio.sum() <= 1 + 1e-9
    states = rng.normal(size=(40, 8))
    coords, ratio = units.pca(states, 2)
    eigen = np.sort(np.linalg.eigvalsh(np.cov(states.T)))[::-1]
    assert np.allclose(ratio, eigen[:2] / eigen.sum())
    assert np.array_equal(coords, units.pca(states, 2)[0])
    assert units.pca(states[:2], 3)[0].shape == (2, 3)  # fewer steps than components: padded
    with pytest.raises(ProbeError, match="at least two characters"):
        units.pca(states[:1], 2)


def test_default_stretch():
    assert units.default_stretch('x = "ab" + 1') == (4, 7)
    assert units.default_stretch("f(a, b) c") == (1, 6)
    assert units.default_stretch("hello world") == (0, 5)


def test_corpus_sample_is_held_out_and_starts_outside_strings():
    sample = probes.corpus_sample("python", 3000)
    text = corpus_text("python")
    train_end = split_bounds(len(text))["train"][1]
    assert 2000 < len(sample) < 4000
    assert text.find(sample[:200], train_end) > 0  # its first piece lies in the held-out text
    assert sample.lstrip().startswith(("def ", "class "))
    assert probes.bracket_depth(sample)[-1] == 0  # pieces end where no bracket is open
    assert probes.corpus_sample("python", 3000) == sample


def test_a_yes_no_feature_on_few_characters_gets_a_warning():
    few = np.zeros(500)
    few[:3] = 1
    assert "Only 3 of the 500 characters" in probes.rare_feature_sentence(few, "inside quotes")
    assert "All but 3 of the 500" in probes.rare_feature_sentence(1 - few, "inside quotes")
    enough = np.zeros(500)
    enough[:probes.RARE_CHARACTERS] = 1
    assert probes.rare_feature_sentence(enough, "inside quotes") is None
    assert probes.rare_feature_sentence(np.arange(500.0) % 3, "bracket depth") is None  # not a yes/no feature


def test_a_piece_never_ends_inside_a_string_or_a_bracket():
    assert probes.closed('x = "a#b"  # c"\n') and probes.closed("f(a)\n")
    assert not probes.closed('t = r"""\n>>> f()\n') and not probes.closed("f(a,\n") and not probes.closed("")
    # pickletools' doctest string holds `def` lines: a piece cut at one would leave "inside quotes" at 1 for the
    # rest of the 10,000-character sample (68% of its characters)
    for task in ("python", "python-code"):
        for chars in (1000, 3000, 10_000):
            pieces = probes.corpus_pieces(task, chars)
            assert all(map(probes.closed, pieces)) and len(pieces) >= chars // probes.SAMPLE_PIECE - 1, (task, chars)
            assert probes.corpus_sample(task, chars) == "".join(pieces)
        assert probes.inside_quotes("".join(pieces)).mean() < 0.3


@pytest.mark.skipif("python-lstm" not in zoo.available(), reason="python-lstm is not built")
def test_python_lstm_has_quote_and_bracket_units():
    torch.set_num_threads(1)
    model = zoo.load("python-lstm")
    sample = probes.corpus_sample("python", 3000)
    series = probes.unit_series(explorer.trace(model, sample, k=1))
    best = {name: probes.rank_units(series, probes.feature_values(name, sample, code=True)).rows(series, 1)[0]
            for name in ("quotes", "brackets", "indent")}
    # measured (3000-character sample, 2,574 characters): quotes hidden 18 r = -0.40,
    # brackets hidden 231 r = -0.86, indentation cell 27 r = -0.45; the sample and weights are fixed
    assert abs(best["quotes"]["r"]) > 0.35
    assert (abs(best["brackets"]["r"]) > 0.8
            and (best["brackets"]["quantity"], best["brackets"]["unit"]) == ("hidden", 231))
    assert abs(best["indent"]["r"]) > 0.4
    # the unit ignores brackets in docstrings and comments, as Python does: counting those too it reads 0.71
    as_prose = probes.rank_units(series, probes.bracket_depth(sample)).rows(series, 1)[0]
    assert abs(as_prose["r"]) < abs(best["brackets"]["r"]) - 0.1


def test_figures_name_step_character_unit_and_value():
    from explorer import figures
    tokens = "a<(b)"
    fig = figures.units.probe_figure(tokens=tokens, unit_values=np.arange(5.0), feature=probes.bracket_depth(tokens),
                                     unit_name="hidden unit 3, layer 0", feature_name="bracket depth", r=0.9)
    assert fig.layout.title.text == "hidden unit 3, layer 0 against “bracket depth” (r = +0.90)"
    assert "step %{x}" in fig.data[1].hovertemplate and "hidden unit 3" in fig.data[1].hovertemplate
    assert list(fig.data[1].customdata) == ["a", "&lt;", "(", "b", ")"]
    html = figures.units.stretch_html(tokens=tokens, start=1, stop=3, context=5)
    assert "<" not in html.split("</b>")[-1].replace("<span", "").replace("</span>", "").replace(
        "<div", "").replace("</div>", "") and html.count("background:") == 2
    coords, ratio = units.pca(np.random.default_rng(0).normal(size=(5, 4)), 3)
    fig3 = figures.units.trajectory_figure(coords=coords, ratio=ratio, tokens=tokens, title="t")
    assert fig3.data[0].type == "scatter3d" and fig3.layout.scene.xaxis.title.text.startswith("PC1 (")
