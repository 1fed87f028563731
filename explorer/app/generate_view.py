"""What the Generate page draws first: the text the model wrote, each written character on the
probability the model gave it before drawing it (the prompt it read in plain ink before them).

An HTML string of spans, as the coloured texts of explorer/figures are: the browser lays out a few
hundred spans far faster than it draws a chart, and the text wraps like text. The colours are the
house's scale for probabilities (house.SEQUENTIAL, fixed at [0, 1]).
"""
from __future__ import annotations

import numpy as np
from plotly.colors import sample_colorscale

from explorer.engine.generate import Generated
from explorer.figures import house, labels
from explorer.i18n import _

PALETTE = sample_colorscale(house.SEQUENTIAL, list(np.linspace(0, 1, 64)), colortype="tuple")


def _rgb(p: float) -> tuple[float, float, float]:
    r, g, b = PALETTE[int(np.clip(round(p * 63), 0, 63))]
    return tuple(float(c) / 255 if c > 1 else float(c) for c in (r, g, b))


def written_html(out: Generated) -> str:
    """The prompt in faint ink, then every written character on the colour of its probability (at
    temperature 1, before it was drawn); every character HTML-escaped, and the hover names the
    character, its probability and the model's first guess there."""
    spans = [f'<span title="{labels.escape_all(_("your prompt"))}" style="color:{house.FAINT}">'
             + "".join("↵<br>" if ch == "\n" else labels.entity(ch) for ch in out.prompt) + "</span>"]
    said = _("character {n} written, '{char}': p = {p}; first guess '{guess}' ({guess_p})")
    for n, (ch, p, guesses, probs) in enumerate(zip(out.generated, out.chosen_probs, out.topk_labels,
                                                    out.topk_probs)):
        r, g, b = _rgb(float(p))
        ink = "#000" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "#fff"
        tip = "".join(labels.entity(c) for c in said.format(n=n + 1, char=ch, p=f"{float(p):.3f}", guess=guesses[0],
                                                            guess_p=f"{float(probs[0]):.3f}"))
        shown = "↵<br>" if ch == "\n" else labels.entity(ch)
        spans.append(f'<span title="{tip}" style="background:rgb({r * 255:.0f},{g * 255:.0f},{b * 255:.0f});'
                     f'color:{ink}">{shown}</span>')
    return ('<div style="font-family:monospace;font-size:1.05rem;line-height:1.9;white-space:pre-wrap;'
            'overflow-wrap:anywhere">' + "".join(spans) + "</div>")


def legend_html() -> str:
    """The scale under the text: five swatches from p = 0 to p = 1."""
    swatches = []
    for p in (0.0, 0.25, 0.5, 0.75, 1.0):
        r, g, b = _rgb(p)
        ink = "#000" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "#fff"
        swatches.append(f'<span style="background:rgb({r * 255:.0f},{g * 255:.0f},{b * 255:.0f});color:{ink};'
                        f'padding:0 0.5em">p = {p:g}</span>')
    return (f'<div style="font-size:0.85rem;color:{house.FAINT}">'
            + labels.escape_all(_("the probability the model gave each written character:")) + " "
            + "".join(swatches) + "</div>")
