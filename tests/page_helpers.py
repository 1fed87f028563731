"""What the AppTest page tests share: the app's path, tiny random models saved as a zoo,
opening a page, and reading back the figures a page drew."""
import base64
import json
from pathlib import Path

import numpy as np
import torch

from explorer import ModelConfig, RNNModel, zoo

APP = str(Path(__file__).resolve().parent.parent / "app.py")
CORPUS = ('And he said, "Behold (the) everlasting covenant" unto them.\n'
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:!?'-()[]{}=_+*#<>")


def save_tiny_model(folder, name, *, cell, vocab, hidden_size, task="english", seed=0, value=6.3, extra_test=None):
    """A random character model saved as pretrained NAME in `folder`, with just enough metadata
    for the pages' tables (a bits/char figure `value` against a 6.4 baseline)."""
    torch.manual_seed(seed)
    model = RNNModel(ModelConfig(cell=cell, input_size=len(vocab), output_size=len(vocab), hidden_size=hidden_size),
                     vocab)
    test = {"metric": "bits/char", "value": value, "baseline": {"value": 6.4, "description": "uniform"},
            **(extra_test or {})}
    zoo.save(model, name, {"name": name, "task": task, "cell": cell, "parameters": model.num_parameters(),
                           "metrics": {"test": test}}, folder)
    return model


def open_page(at, page, **params):
    """Run the app once (with `params` in the URL), switch to `page`, and insist on no exception."""
    at.query_params.update(params)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def chart_specs(at):
    """Every plotly figure the page drew, as the JSON spec the browser receives."""
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def chart_titles(at) -> list[str]:
    """The title of every figure the page drew and of every panel in a stacked one (explorer.panels)."""
    titles = []
    for spec in chart_specs(at):
        titles.append((spec["layout"].get("title") or {}).get("text") or "")
        titles += [a["text"] for a in spec["layout"].get("annotations", []) if a.get("name") == "panel title"]
    return titles


def figures_and_panels(at) -> list[dict]:
    """Every figure the page drew, and every panel of a combined one (explorer.panels) as a spec of its
    own ({"data": its traces, "layout": {"title": {"text": its title}, "yaxis": its y axis, "shapes": its lines}})."""
    out = []
    for spec in chart_specs(at):
        spec["layout"].setdefault("title", {}).setdefault("text", "")
        out.append(spec)
        notes = [a for a in spec["layout"].get("annotations", []) if a.get("name") == "panel title"]
        for index, note in enumerate(notes, start=1):
            axis = "y" if index == 1 else f"y{index}"
            out.append({"data": [t for t in spec["data"] if t.get("yaxis", "y") == axis],
                        "layout": {"title": {"text": note["text"]},
                                   "yaxis": spec["layout"]["yaxis" if index == 1 else f"yaxis{index}"],
                                   "shapes": [s for s in spec["layout"].get("shapes", [])
                                              if s.get("yref", "y").split(" ")[0] == axis]}})
    return out


def panel_traces(spec: dict, title_part: str) -> list[dict]:
    """The traces of the panel of a stacked figure whose title contains `title_part`."""
    notes = [a for a in spec["layout"].get("annotations", []) if a.get("name") == "panel title"]
    index = next(i for i, a in enumerate(notes, start=1) if title_part in a["text"])
    axis = "y" if index == 1 else f"y{index}"
    return [t for t in spec["data"] if t.get("yaxis", "y") == axis]


def coloured_texts(at) -> list[str]:
    """The coloured texts on the page (draw.markup: st.html elements), as HTML; not the script that shows a
    page switched to from its top (frame.scroll_to_top)."""
    return [element.proto.body for element in at.get("html") if "<script>" not in element.proto.body]


def as_array(values) -> np.ndarray:
    """A figure's array as the browser gets it: plotly sends numpy arrays as typed arrays (base64
    bytes), lists as lists (None for a gap, read as NaN)."""
    if isinstance(values, dict):
        flat = np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"]))
        shape = [int(n) for n in str(values.get("shape", len(flat))).split(",")]
        return flat.reshape(shape).astype(np.float64)
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


KEY_SENTENCE = ":material/visibility: "  # how draw.look_at starts its sentence


def key_figure(at):
    """The page's key picture (draw.key_figure): the one container whose key is key_figure, on the page
    or one container down (a page may put it in a column)."""
    found = [b for c in at.main.children.values() for b in [c, *getattr(c, "children", {}).values()]
             if getattr(b.proto, "id", "").endswith("-key_figure")]
    assert len(found) == 1, "exactly one key picture"
    return found[0]


def look_at(at) -> str:
    """The sentence on what to look at in the key picture (draw.look_at), without its icon."""
    found = [m.value for m in at.markdown if m.value.startswith(KEY_SENTENCE)]
    assert len(found) == 1, found
    return found[0].removeprefix(KEY_SENTENCE)



def view_params(at) -> dict:
    """The page's own URL parameters: the language and notation every page carries left out."""
    return {k: v for k, v in dict(at.query_params).items() if k not in ("lang", "notation")}
