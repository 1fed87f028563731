"""Reading back every string a page shows, to catch one left in English on a page drawn in Chinese."""
from __future__ import annotations

import json
import re

from google.protobuf.json_format import MessageToDict

from explorer import zoo

# Text a page marks as another language on purpose (<span lang="en">...</span>, the glossary's English column)
# is taken out with the code and the mathematics.
# People, journals and named objects keep their Latin names in a Chinese course (cited as written).
NAMES = {"karpathy", "johnson", "fei", "pascanu", "mikolov", "bengio", "hochreiter", "schmidhuber", "distill",
         "box", "jenkins", "dyck", "elman", "jordan", "graves", "cho", "sutskever", "vinyals", "frobenius"}
# Fields of Streamlit's element protos that a user reads (not values the user typed or data the page shows).
SHOWN_FIELDS = {"body", "label", "help", "options", "placeholder", "message", "caption", "title", "text"}
# Names and terms that stay as they are in the Chinese course: cells, libraries, functions, file types.
KEPT = {
    "rnn", "rnns", "simplernn", "gru", "grus", "lstm", "lstms", "elman", "jordan", "pytorch", "torch", "keras", "tanh",
    "sigmoid", "softmax", "relu", "adam", "sgd", "mse", "mae", "bptt", "explorer", "nn", "safetensors", "json",
    "state_dict", "csv", "png", "svg", "html", "url", "minGRU", "mingru", "minlstm", "python", "bigru", "onehot",
    "cuda", "cpu", "max", "min", "log", "exp", "abs", "std", "mean", "sum", "argmax", "kjv", "pca", "ngram",
    "logistic", "npz", "nan",
}
_CODE = re.compile(r"<(\w+) lang=\"[^\"]*\">.*?</\1>|`[^`]*`|"
                   r"\$\$.*?\$\$|\$[^$]*\$|\\\(.*?\\\)|https?://\S+|:material/\w+:|<[^>]+>", re.S)
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"|‘[^’]*’|「[^」]*」|«[^»]*»")
_IDENTIFIER = re.compile(r"\w*_\w*|\w+\.\w+(?:\.\w+)*")  # h_t, W_ih, weight_ih_l0, torch.nn: symbols and code
_WORD = re.compile(r"[A-Za-z][A-Za-z_']{2,}")


def _walk(node):
    proto = getattr(node, "proto", None)
    if proto is not None:
        yield node, proto
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def _strings(value, key=None):
    if isinstance(value, str):
        if key in SHOWN_FIELDS:
            yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            if k in ("spec", "arrowData", "data", "default", "value", "formattedValue", "rawValue", "queryString"):
                continue
            yield from _strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, key)


def figure_strings(spec: dict):
    """What a plotly figure says in words: titles, axis titles, legend names, hover templates, annotations."""
    layout = spec.get("layout", {})
    for key, value in layout.items():
        if isinstance(value, dict) and isinstance(value.get("title"), dict):
            yield value["title"].get("text") or ""
    yield (layout.get("title") or {}).get("text") or ""
    for note in layout.get("annotations", []):
        text = note.get("text") or ""
        if len(text) > 3:  # one or two characters are the text's own characters, drawn on a cell
            yield text
    for trace in spec.get("data", []):
        if trace.get("showlegend", True) is not False and isinstance(trace.get("name"), str):
            yield trace["name"]
        for key in ("hovertemplate", "legendgrouptitle"):
            value = trace.get(key)
            if isinstance(value, str):
                yield re.sub(r"%\{[^}]*\}", " ", value)
        colorbar = (trace.get("colorbar") or {}).get("title")
        if isinstance(colorbar, dict):
            yield colorbar.get("text") or ""


def visible_strings(at) -> list[str]:
    """Every string the page shows in words, from every element (main area and sidebar) and every figure."""
    found = []
    for node, proto in _walk(at._tree):
        as_dict = MessageToDict(proto)
        if "spec" in as_dict and "plotly" in type(node).__name__.lower() + str(proto.DESCRIPTOR.name).lower():
            found += list(figure_strings(json.loads(as_dict["spec"])))
        body = as_dict.get("body", "")
        if isinstance(body, str) and (body.count("<span") > 5 or "<script" in body
                                      or body.lstrip().startswith("<style")):
            continue  # a coloured text (explorer.app.draw.markup): the user's own text, one span per character
        found += list(_strings(as_dict))
    for frame in getattr(at, "dataframe", []):
        try:
            found += [str(c) for c in frame.value.columns]
        except Exception:  # noqa: BLE001 - a frame AppTest cannot decode says nothing in words
            pass
    return [s for s in found if s and s.strip()]


def english_words(text: str, names: set[str] = frozenset()) -> list[str]:
    """The English words left in `text` once code, mathematics, addresses, quoted text, the given names
    (models, files) and the kept terms are taken out."""
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!<>|~])", r"\1", text)  # Markdown's escapes read as the character
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    text = _QUOTED.sub(" ", _CODE.sub(" ", text))
    text = _IDENTIFIER.sub(" ", text)
    words = (w.lower().strip("'").removesuffix("'s") for w in _WORD.findall(text))
    return [w for w in words if w not in KEPT and w not in NAMES]


def model_names() -> set[str]:
    """The pretrained models' names (english-lstm, python-lstm, ...) and their sets: names stay as they are."""
    return set(zoo.store.available())


def untranslated(at, names: set[str] = frozenset()) -> list[str]:
    """The strings on the page that still hold English words."""
    names = set(names) | model_names()
    return sorted({s for s in visible_strings(at) if english_words(s, names)})
