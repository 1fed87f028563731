"""explorer.panels: several figures drawn as one, each panel keeping what it showed."""
import numpy as np
import pytest
import torch

import explorer
from explorer import ModelConfig, RNNModel, Vocab, figures
from explorer.figures import panels

TEXT = 'And he said, "Behold (the) everlasting covenant" unto them.'


@pytest.fixture(scope="module")
def parts():
    vocab = Vocab.from_text(TEXT)
    torch.manual_seed(0)
    model = RNNModel(ModelConfig(cell="lstm", input_size=len(vocab), output_size=len(vocab), hidden_size=8),
                     vocab).eval()
    tr = explorer.trace(model, TEXT, k=5)
    return [
        figures.topk_figure(tokens=tr.tokens, topk_labels=tr.topk_labels, topk_probs=tr.topk_probs),
        figures.loss_strip(tokens=tr.tokens, loss=tr.loss),
        figures.state_heatmap(values=tr.hidden[0, 0], tokens=tr.tokens, quantity="hidden", boundary=10),
        figures.state_heatmap(values=tr.gates["f"][0, 0], tokens=tr.tokens, quantity="f"),
        figures.cell_flow_figure(flow=tr.cell_flow(0, 0), units=[0, 3], tokens=tr.tokens),
    ]


def panel_of(fig, trace) -> int:
    axis = trace.yaxis or "y"
    return 1 if axis == "y" else int(axis[1:])


def test_every_panel_keeps_its_traces_values_and_title(parts):
    fig = panels.stack(parts)
    assert panels.panel_titles(fig) == [p.layout.title.text for p in parts]
    assert len(fig.data) == sum(len(p.data) for p in parts)
    by_panel = {}
    for trace in fig.data:
        by_panel.setdefault(panel_of(fig, trace), []).append(trace)
    assert sorted(by_panel) == [1, 2, 3, 4, 5]
    for i, part in enumerate(parts, start=1):
        for mine, theirs in zip(by_panel[i], part.data):
            assert mine.type == theirs.type and mine.hovertemplate == theirs.hovertemplate
            values = "z" if mine.type == "heatmap" else "y"
            np.testing.assert_array_equal(np.asarray(getattr(mine, values), dtype=float),
                                          np.asarray(getattr(theirs, values), dtype=float))
            assert list(mine.x) == list(theirs.x)


def test_panels_share_one_x_axis_and_do_not_overlap(parts):
    fig = panels.stack(parts)
    layout = fig.layout
    domains = [layout[f"yaxis{'' if i == 1 else i}"].domain for i in range(1, 6)]
    assert all(0 <= low < high <= 1 for low, high in domains)
    assert all(below[1] < above[0] for above, below in zip(domains, domains[1:])), "top to bottom, apart"
    assert all(layout[f"xaxis{i}"].matches == "x" for i in range(2, 6))
    assert layout.yaxis3.autorange == "reversed" and layout.yaxis3.type == "category"  # the heatmap's own y
    assert layout.xaxis5.title.text and not layout.xaxis.title.text  # the bottom panel names the axis
    ticks = [layout[f"xaxis{'' if i == 1 else i}"].showticklabels for i in range(1, 6)]
    assert ticks == [True, False, False, False, True], "characters under the first and the last panel"
    # each heatmap's colour bar sits beside its own panel
    heatmaps = [t for t in fig.data if t.type == "heatmap"]
    assert [panel_of(fig, t) for t in heatmaps] == [1, 3, 4]
    for trace in heatmaps:
        low, high = domains[panel_of(fig, trace) - 1]
        assert low <= trace.colorbar.y <= high and trace.colorbar.len == pytest.approx(high - low)


def test_lines_and_legends_move_with_their_panel(parts):
    fig = panels.stack(parts)
    boundary = [s for s in fig.layout.shapes if s.type == "line"]
    assert boundary and all(s.xref == "x3" and s.yref == "y3 domain" for s in boundary)
    flow = [t for t in fig.data if panel_of(fig, t) == 5]
    assert all(t.legend == "legend5" and t.showlegend is not False for t in flow)
    assert all(t.showlegend is False for t in fig.data if panel_of(fig, t) != 5)
    assert fig.layout.legend5.y == pytest.approx(fig.layout.yaxis5.domain[1])


def test_a_legend_of_ungrouped_entries_gets_the_rows_it_is_drawn_in(parts):
    rng = np.random.default_rng(0)
    scatter = figures.saturation_figure(gates={g: rng.uniform(size=(30, 4)) for g in "ifo"})  # 3 entries, no groups
    fig = panels.stack([parts[1], scatter])
    entries = [t for t in fig.data if t.yaxis == "y2"]
    # plotly draws a legend group as one column: grouped, the three entries would need three rows, not one
    assert len(entries) == 3 and all(t.legendgroup is None for t in entries)
    title = next(a for a in fig.layout.annotations if a.text == scatter.layout.title.text)
    assert title.yshift == panels._legend_space(scatter) + 2 == panels.LEGEND_ROW + 12


def test_stacking_leaves_the_panels_as_they_were_and_needs_one(parts):
    before = [p.to_json() for p in parts]
    panels.stack(parts)
    assert [p.to_json() for p in parts] == before
    with pytest.raises(ValueError, match="Nothing to stack"):
        panels.stack([])


def test_a_stacked_figure_is_what_plotlys_checks_make_of_it(parts):
    # stack assembles checked panels without checking again: the result must pass those checks unchanged
    import json

    import plotly.graph_objects as go
    import plotly.io as pio
    for fig in (panels.stack(parts), panels.side_by_side(parts[:2])):
        checked = go.Figure(fig.to_dict())  # raises on any property plotly does not know
        assert json.loads(pio.to_json(fig, validate=False)) == json.loads(pio.to_json(checked))
    broken = panels.stack(parts).to_dict()
    broken["layout"]["xaxis2"]["notaproperty"] = 1  # the check above can fail
    with pytest.raises(ValueError):
        go.Figure(broken)


def test_side_by_side_keeps_each_panel_in_its_own_column():
    rows = [{"singular_values": np.array([2.0, 1.0, 0.5]), "layer": 0, "direction": 0, "block": "hh",
             "vanishing_bound": 1.0}]
    gated = [dict(rows[0], block=b, vanishing_bound=None) for b in "ifgo"]
    parts = [figures.spectrum_figure(rows=rows, title="Elman"), figures.spectrum_figure(rows=gated, title="LSTM")]
    fig = panels.side_by_side(parts)
    assert panels.panel_titles(fig) == ["Elman", "LSTM"]
    left, right = fig.layout.xaxis.domain, fig.layout.xaxis2.domain
    assert 0 <= left[0] < left[1] < right[0] < right[1] <= 1
    assert fig.layout.xaxis2.matches is None, "nothing shared"
    bound = [s for s in fig.layout.shapes if s.type == "line"]
    assert len(bound) == 1 and bound[0].xref == "x domain" and bound[0].yref == "y"  # the Elman panel's 1/γ line
    lstm = [t for t in fig.data if t.xaxis == "x2"]
    assert [t.name.split(",")[0] for t in lstm] == list("ifgo") and all(t.legend == "legend2" for t in lstm)
    assert fig.layout.legend2.x == pytest.approx(right[1]), "the legend in its own column's corner"
    assert all(t.showlegend is False for t in fig.data if t.xaxis == "x")  # one curve needs no legend
    with pytest.raises(ValueError):
        panels.side_by_side([])
