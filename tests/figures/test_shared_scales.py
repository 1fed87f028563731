"""The builders Gradients and Compare added: one log colour scale shared by several heatmaps, and models'
states stacked compactly on one time axis."""
import numpy as np

from explorer.figures import gradients, states


def test_shared_log_range_spans_every_array_within_the_cap():
    rnn = np.array([[1e-14, 2.0], [0.0, 1e-3]])
    lstm = np.array([[1e-5, 0.5]])
    assert gradients.shared_log_range(arrays=[rnn, lstm]) == (2.0 * 1e-12, 2.0)  # 1e-14 is below the 12-decade cap
    assert gradients.shared_log_range(arrays=[lstm], decades=12) == (1e-5, 0.5)
    assert gradients.shared_log_range(arrays=[np.zeros((2, 2))]) == (1e-6, 1.0)


def test_heatmaps_on_a_shared_range_draw_the_same_scale_and_exact_logs():
    floor, top = gradients.shared_log_range(arrays=[np.full((3, 2), 1e-9), np.full((3, 2), 1e-1)])
    figs = [gradients.log_heatmap(values=np.full((3, 2), v), tokens="abc", title="t", value_name="|g|",
                                  floor=floor, top=top) for v in (1e-9, 1e-1)]
    assert {(f.data[0].zmin, f.data[0].zmax) for f in figs} == {(-9, -1)}
    np.testing.assert_allclose(np.asarray(figs[0].data[0].z, dtype=float), -9.0, atol=1e-6)


def test_states_stacked_keeps_each_models_values_on_one_time_axis():
    rng = np.random.default_rng(0)
    values = [np.tanh(rng.normal(size=(5, 4))), np.tanh(rng.normal(size=(5, 6)))]
    fig = states.states_stacked(panels=[{"values": v, "title": f"model {k}", "unit_order": np.arange(v.shape[1])[::-1]}
                                        for k, v in enumerate(values)], tokens="hello")
    assert len(fig.data) == 2 and fig.layout.xaxis2.matches == "x"
    np.testing.assert_allclose(np.asarray(fig.data[1].z, dtype=float), values[1][:, ::-1].T, atol=1e-6)
    assert fig.layout.yaxis.nticks == 4
