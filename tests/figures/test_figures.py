"""The figure builders: pure, labelled, on the house colour scales, small enough to send."""
import html
import re

import numpy as np
import plotly.graph_objects as go
import pytest
import torch

import explorer
from explorer import ModelConfig, RNNModel, Vocab, figures
from explorer.analysis import internals
from explorer.engine.generate import sample
from explorer.figures import house, panels

TEXT = 'And he said, "Behold (the) everlasting covenant" unto them.'


def tiny_model(cell="lstm", hidden=8, seed=0):
    vocab = Vocab.from_text(TEXT + "abcdefghijklmnopqrstuvwxyz")
    torch.manual_seed(seed)
    return RNNModel(ModelConfig(cell=cell, input_size=len(vocab), output_size=len(vocab), hidden_size=hidden),
                    vocab).eval()


@pytest.fixture(scope="module")
def lstm_trace():
    model = tiny_model()
    return model, explorer.trace(model, TEXT, k=5)


def all_figures(tr):
    hidden = tr.hidden[0, 0]
    return [
        figures.state_heatmap(values=hidden, tokens=tr.tokens, quantity="hidden"),
        figures.state_heatmap(values=tr.gates["f"][0, 0], tokens=tr.tokens, quantity="f",
                              unit_order=internals.order_units(hidden, "similarity"), boundary=10),
        figures.topk_figure(tokens=tr.tokens, topk_labels=tr.topk_labels, topk_probs=tr.topk_probs),
        figures.loss_strip(tokens=tr.tokens, loss=tr.loss),
        figures.cell_flow_figure(flow=tr.cell_flow(0, 0), units=[0, 3], tokens=tr.tokens),
        figures.saturation_figure(gates={k: v[0, 0] for k, v in tr.gates.items()}),
    ]


def test_builders_are_pure_and_keyword_only(lstm_trace):
    _, tr = lstm_trace
    before = {k: v.copy() for k, v in tr.gates.items()}
    hidden = tr.hidden.copy()
    for fig in all_figures(tr):
        assert isinstance(fig, go.Figure)
    assert np.array_equal(hidden, tr.hidden)
    assert all(np.array_equal(before[k], tr.gates[k]) for k in before)
    with pytest.raises(TypeError):
        figures.state_heatmap(tr.hidden[0, 0], tr.tokens, "hidden")  # keyword-only


def test_the_digest_names_the_figure_and_changes_with_any_of_it(lstm_trace):
    # draw.plot sends it as layout.datarevision: plotly.js skips redrawing a figure whose digest it has drawn
    _, tr = lstm_trace
    hidden = tr.hidden[0, 0]
    tokens = list(tr.tokens)

    def heat(values=hidden, tokens=tokens, title=None):
        return figures.state_heatmap(values=values, tokens=tokens, quantity="hidden", title=title)

    digest = house.figure_digest(heat())
    assert len(digest) == 16 and house.figure_digest(heat()) == digest  # the same figure, built again
    nudged = hidden.copy()
    nudged[3, 2] += 1e-6
    assert house.figure_digest(heat(values=nudged)) != digest  # one number
    assert house.figure_digest(heat(tokens=tokens[:4] + ["Q"] + tokens[5:])) != digest  # one character
    assert house.figure_digest(heat(title="another")) != digest  # the layout
    digests = {house.figure_digest(fig) for fig in all_figures(tr)}
    assert len(digests) == len(all_figures(tr))
    scalar = heat()
    scalar.layout.meta = np.float32(0.5)  # numpy scalars are digested by value
    assert house.figure_digest(scalar) == house.figure_digest(heat().update_layout(meta=0.5))


def test_the_house_look_is_written_into_each_figure(lstm_trace):
    """house_spec: what the browser gets. The look is in the figure itself (a template would make
    plotly.js redraw the chart when Streamlit hands it over again), the figure's own settings win,
    and numbers outside heatmaps are plain lists with gaps as None (typed arrays: the same redraw)."""
    _, tr = lstm_trace
    heat = figures.state_heatmap(values=tr.hidden[0, 0], tokens=tr.tokens, quantity="hidden")
    strip = figures.loss_strip(tokens=tr.tokens, loss=tr.loss)
    strip.update_xaxes(tickfont_color="red")
    spec = house.house_spec(panels.stack([heat, strip]))
    layout, data = spec["layout"], spec["data"]
    assert "template" not in layout and layout["autosize"] is True
    assert layout["font"]["family"] == figures.FONT and layout["paper_bgcolor"] == "white"
    assert set(k for k in layout if re.fullmatch(r"[xy]axis\d*", k)) == {"xaxis", "yaxis", "xaxis2", "yaxis2"}
    assert layout["xaxis"]["tickfont"]["color"] == figures.FAINT and layout["yaxis2"]["gridcolor"] == figures.GRID
    assert layout["xaxis2"]["tickfont"]["color"] == "red"  # the figure's own setting wins
    assert layout["yaxis"]["autorange"] == "reversed" and layout["yaxis2"]["title"]["font"]["size"] == 13
    # plotly.js's default ("hide past div") measures every tick label against every other at each redraw
    assert all(layout[k]["ticklabeloverflow"] == "allow" for k in ("xaxis", "yaxis", "xaxis2", "yaxis2"))
    heatmap, line = data
    assert heatmap["colorbar"]["thickness"] == 14 and heatmap["colorbar"]["title"]["text"]
    assert set(heatmap["z"]) >= {"bdata", "dtype"}  # the grid stays compact
    assert isinstance(line["y"], list) and line["y"][-1] is None  # the last step has no next character
    np.testing.assert_allclose(line["y"][:-1], tr.loss[:-1] / np.log(2), rtol=1e-12)
    assert len(layout["datarevision"]) == 16 and layout["datarevision"] == house.figure_digest(
        {"data": data, "layout": {k: v for k, v in layout.items() if k != "datarevision"}})
    exported = house.house_style(panels.stack([heat, strip])).to_dict()  # PNG and HTML files look the same
    assert exported["layout"].pop("template") == {} and exported == spec


def test_a_figure_without_cartesian_traces_gets_no_axes():
    spec = house.house_spec(go.Figure(go.Pie(values=[1, 2], labels=["a", "b"])))
    assert not any(k.startswith(("xaxis", "yaxis")) for k in spec["layout"])
    assert spec["layout"]["legend"]["font"]["color"] == figures.INK  # its legend is in the house look


def test_every_figure_is_labelled(lstm_trace):
    _, tr = lstm_trace
    for fig in all_figures(tr):
        layout = fig.layout
        assert layout.title.text, "a title"
        assert layout.xaxis.title.text and layout.yaxis.title.text, f"axis titles on {layout.title.text}"
        for trace in fig.data:
            template = trace.hovertemplate or ""
            assert "%{" in template, f"hover text on {layout.title.text}"
    heat = all_figures(tr)[0].data[0]
    assert "step" in heat.x[0] and "unit" in heat.y[0] and "%{z" in heat.hovertemplate
    assert "“A”" in heat.x[0], "the hover names the character"


def test_colour_scales_are_the_house_scales(lstm_trace):
    _, tr = lstm_trace
    for gate in ("i", "f", "o"):
        fig = figures.state_heatmap(values=tr.gates[gate][0, 0], tokens=tr.tokens, quantity=gate)
        assert (fig.data[0].zmin, fig.data[0].zmax) == (0.0, 1.0)
    fig = figures.state_heatmap(values=tr.hidden[0, 0], tokens=tr.tokens, quantity="hidden")
    assert fig.data[0].zmin == -fig.data[0].zmax == -1.0
    big = np.full((5, 3), 2.5)
    fig = figures.state_heatmap(values=big * np.array([1, -1, 0.5]), tokens="abcde", quantity="cell")
    assert fig.data[0].zmin == -2.5 and fig.data[0].zmax == 2.5, "cell state: symmetric range from the data"
    assert figures.color_scale("z")["colorscale"] == figures.color_scale("r")["colorscale"] == figures.SEQUENTIAL


def test_long_heatmap_json_is_small():
    rng = np.random.default_rng(0)
    values = np.tanh(rng.standard_normal((2000, 128))).astype(np.float32)
    tokens = ("abc def " * 250)[:2000]
    fig = figures.state_heatmap(values=values, tokens=tokens, quantity="hidden")
    size = len(fig.to_json().encode("utf-8"))
    assert size < 2_000_000, f"{size / 1e6:.2f} MB"
    assert fig.data[0].z.shape[1] <= figures.MAX_COLUMNS
    assert "steps" in fig.data[0].x[0], "binned columns name their step range"
    fig = figures.topk_figure(tokens=tokens, topk_labels=[["a"] * 5] * 2000, topk_probs=np.full((2000, 5), 0.2))
    assert len(fig.to_json()) < 2_000_000


def test_binning_keeps_the_mean():
    values = np.arange(10, dtype=np.float64)[:, None]
    binned, edges = figures.bin_columns(values, 4)
    assert list(edges) == [0, 3, 6, 9, 10]
    assert np.allclose(binned[:, 0], [1, 4, 7, 9])


def test_colored_text_escapes_markup():
    text = 'hi <script>alert("x")</script> & bye'
    out = figures.colored_text_html(tokens=text, values=np.linspace(-1, 1, len(text)), quantity="hidden", unit=3)
    assert "<script" not in out and "</script" not in out
    shown = re.sub(r"<[^>]+>", "", out)  # the characters as the browser shows them, tags removed
    assert html.unescape(shown).replace("\u00a0", " ") == text
    assert out.count("<span") == len(text)
    assert 'title="step 0' in out


def test_unit_orders_are_permutations(lstm_trace):
    _, tr = lstm_trace
    hidden = tr.hidden[0, 0]
    for how in ("index", "activity", "variance", "similarity"):
        order = internals.order_units(hidden, how)
        assert sorted(order.tolist()) == list(range(hidden.shape[1]))
    with pytest.raises(ValueError):
        internals.order_units(hidden, "alphabet")


def test_saturation_as_html_places_every_unit_and_names_it():
    rng = np.random.default_rng(0)
    gates = {g: rng.uniform(size=(50, 6)) for g in "ifo"}
    gates["f"][:, 2] = 0.95  # unit 2's forget gate is always open: top left
    page = figures.saturation_html(gates=gates, title="Gate <saturation> & more")
    assert "Gate &#60;saturation&#62; &#38; more" in page and "<saturation>" not in page
    dots = re.findall(r'<span title="([^"]+)" style="position:absolute;left:([0-9.]+)%;top:([0-9.]+)%', page)
    assert len(dots) == 3 * 6
    fractions = internals.gate_saturation(gates)
    for name, label in (("i", "input gate i"), ("f", "forget gate f"), ("o", "output gate o")):
        for unit in range(6):
            low, high = fractions[name][0][unit], fractions[name][1][unit]
            title, left, top = next(d for d in dots if d[0].startswith(f"{label}, unit {unit}:"))
            assert f"below 0.1 on {low:.0%} of steps, above 0.9 on {high:.0%}" in title
            assert float(left) == pytest.approx((low + 0.02) / 1.04 * 100, abs=0.01)
            assert float(top) == pytest.approx(100 - (high + 0.02) / 1.04 * 100, abs=0.01)
    assert page.count("<div") == page.count("</div>") and page.count("<span") == page.count("</span>")
    assert "script" not in page


def test_saturation_fractions():
    gates = {"f": np.array([[0.05, 0.95], [0.5, 0.99]]), "g": np.zeros((2, 2))}
    found = internals.gate_saturation(gates)
    assert set(found) == {"f"}
    low, high = found["f"]
    assert np.allclose(low, [0.5, 0]) and np.allclose(high, [0, 1])


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_equation_values_rebuild_the_trace(cell):
    model = tiny_model(cell)
    tr = explorer.trace(model, TEXT)
    for step, unit in [(0, 0), (7, 3), (len(TEXT) - 1, 7)]:
        v = internals.equation_values(model, tr, layer=0, direction=0, step=step, unit=unit)
        sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
        if cell == "lstm":
            assert np.isclose(sig(v["pre"]["f"]), v["gates"]["f"], atol=1e-5)
            assert np.isclose(np.tanh(v["pre"]["g"]), v["gates"]["g"], atol=1e-5)
            assert np.isclose(v["gates"]["f"] * v["c_prev"] + v["gates"]["i"] * v["gates"]["g"], v["c"], atol=1e-5)
        elif cell == "gru":
            assert np.isclose(np.tanh(v["pre"]["n"]), v["gates"]["n"], atol=1e-5)
            z = v["gates"]["z"]
            assert np.isclose((1 - z) * v["gates"]["n"] + z * v["h_prev"], v["h"], atol=1e-5)
        else:
            assert np.isclose(np.tanh(v["pre"]["pre"]), v["h"], atol=1e-5)
        lines = figures.equation_latex(v)
        assert lines and all(isinstance(line, str) for line in lines)


def test_exports(lstm_trace):
    import io
    _, tr = lstm_trace
    archive = np.load(io.BytesIO(internals.trace_npz(tr)))
    assert np.array_equal(archive["hidden"], tr.hidden) and "gate_f" in archive and "".join(archive["tokens"]) == TEXT
    body, truncated = internals.trace_csv(tr, layer=0, direction=0)
    lines = body.splitlines()
    assert lines[0] == "layer,direction,step,char,unit,quantity,value" and not truncated
    assert len(lines) == 1 + len(TEXT) * 8 * 6  # hidden, cell, i, f, g, o
    body, truncated = internals.trace_csv(tr, layer=0, direction=0, max_rows=100)
    assert truncated and len(body.splitlines()) <= 101
    page = house.figure_html(all_figures(tr)[0]).decode()
    assert "<html>" in page[:100] and "plotly" in page


def test_sampling_is_seeded_and_never_unknown():
    model = tiny_model()
    a = sample(model, "And he", length=80, temperature=1.5, seed=3)
    b = sample(model, "And he", length=80, temperature=1.5, seed=3)
    c = sample(model, "And he", length=80, temperature=1.5, seed=4)
    assert a.text == b.text and a.text != c.text
    assert a.text.startswith("And he") and len(a.generated) == 80
    assert explorer.engine.vocab.UNKNOWN not in a.generated
    assert a.topk_probs.shape == (80, 5) and len(a.topk_labels) == 80
    for bad in [dict(prompt=""), dict(prompt="x", length=0), dict(prompt="x", temperature=0.0)]:
        with pytest.raises(ValueError):
            sample(model, bad.pop("prompt"), **bad)


def test_sampling_matches_a_full_forward():
    """Warm-up plus one step at a time equals reading the whole text at once."""
    model = tiny_model("gru")
    out = sample(model, "the", length=20, seed=0)
    tr = explorer.trace(model, out.text)
    steps = len(out.prompt) - 1 + np.arange(20)
    assert np.allclose(tr.topk_probs[steps], out.topk_probs, atol=1e-5)


@pytest.mark.skipif(not house.can_export_png(), reason="PNG export needs kaleido and a Chromium")
def test_figures_export_as_png():
    fig = figures.state_heatmap(values=np.random.default_rng(0).normal(size=(12, 5)), tokens=list("hello world!"),
                                quantity="hidden")
    png = house.figure_png(fig)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000
