"""Pure Plotly builders for the app: arrays and Traces in, a `go.Figure` (or an HTML string) out.

Nothing in this package calls streamlit or imports explorer.app; it reads from the layers below
(engine, tasks, training, zoo, seq2seq, analysis) and never writes into them. Showing a figure is
the caller's business (docs/architecture.md).

    house      the palette and colour scales (stated once), the house look, export to PNG/HTML
    labels     characters, steps and quantities as labels; the step axis; binning wide heatmaps
    states     hidden states, cell states and gates over a text: heatmaps, coloured text, top-k,
               surprise strip, cell-state flow, a step's equations, gate saturation
    gradients  gradients through time: log curves and heatmaps, spectra, saliency, clipping lab
    panels     several figures drawn as one (stacked on a shared time axis, or side by side)
    diagram    the unrolled network drawn from a ModelConfig
    family     Jordan vs Elman, stacked & bidirectional, one-hot vs embedding
    shapes     many-to-one, one-to-many and time-series views
    seq2seq    the encoder-decoder page
    intervene  the unchanged and the changed run side by side
    units      Find units: probes, rankings, clusters, trajectories
    train      the Train live page

Pages write `figures.state_heatmap(...)` for the builders and constants re-exported below, and
`figures.units.probe_figure(...)` for the rest.
"""
from explorer.figures import (
    diagram,
    family,
    gradients,
    house,
    intervene,
    labels,
    panels,
    seq2seq,
    shapes,
    states,
    train,
    units,
)
from explorer.figures.gradients import (
    SALIENCY_DECADES,
    clipping_figure,
    log_curves_figure,
    log_heatmap,
    saliency_html,
    spectrum_figure,
)
from explorer.figures.house import (
    DIVERGING,
    FAINT,
    FONT,
    GATE_COLORS,
    GRADIENT,
    GRID,
    INK,
    LAYER_DASHES,
    MODEL_COLORS,
    SEQUENTIAL,
    color_scale,
)
from explorer.figures.labels import (
    LN2,
    MAX_CELLS,
    MAX_COLUMNS,
    bin_columns,
    char_label,
    full_resolution_steps,
    quantity_name,
)
from explorer.figures.states import (
    cell_flow_figure,
    colored_text_html,
    equation_latex,
    loss_strip,
    saturation_figure,
    saturation_html,
    state_heatmap,
    topk_figure,
)

__all__ = [
    # submodules
    "house", "labels", "states", "gradients", "panels", "diagram", "family", "shapes", "seq2seq",
    "intervene", "units", "train",
    # palette and look (house)
    "SEQUENTIAL", "DIVERGING", "GRADIENT", "MODEL_COLORS", "GATE_COLORS", "LAYER_DASHES", "color_scale",
    "INK", "FAINT", "GRID", "FONT",
    # labels
    "LN2", "MAX_CELLS", "MAX_COLUMNS", "bin_columns", "char_label", "full_resolution_steps", "quantity_name",
    # states
    "state_heatmap", "colored_text_html", "topk_figure", "loss_strip", "cell_flow_figure", "equation_latex",
    "saturation_figure", "saturation_html",
    # gradients
    "SALIENCY_DECADES", "log_curves_figure", "log_heatmap", "spectrum_figure", "saliency_html", "clipping_figure",
]
