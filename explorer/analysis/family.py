"""What the family pages compute: Jordan against Elman, stacked and bidirectional nets, one-hot
against embedding inputs. Numbers only (numpy out); figures are in figures.family.py and
diagram.py, widgets in pages/jordan.py, pages/deep.py and pages/embedding.py.
"""
from __future__ import annotations

import numpy as np
import torch

from explorer.engine import cells
from explorer.engine.models import RNNModel
from explorer.engine.trace import Trace
from explorer.i18n import N_, _

CHAR_CLASSES = ("vowel", "consonant", "upper", "digit", "space", "punctuation")
CLASS_NAMES = {"vowel": N_("vowel"), "consonant": N_("consonant"), "upper": N_("upper"), "digit": N_("digit"),
               "space": N_("space"), "punctuation": N_("punctuation")}  # shown: translate with class_name
LABEL_WORDS = {"negative": N_("negative"), "positive": N_("positive")}  # class names that are words, not characters
BRACKETS = "()a"  # what the brackets task reads: open, close, a filler that keeps the depth


def char_class(ch: str) -> str:
    """The class a character is coloured by: capitals first (a capital vowel is 'upper'),
    then vowel / consonant for lower-case letters, digits, whitespace, and everything else."""
    if ch.isspace():
        return "space"
    if ch.isupper():
        return "upper"
    if ch.isdigit():
        return "digit"
    if ch.isalpha():
        return "vowel" if ch in "aeiou" else "consonant"
    return "punctuation"


def class_name(cls: str) -> str:
    """A class of CHAR_CLASSES as the user reads it, in the current language."""
    return _(CLASS_NAMES[cls])


# ---------------------------------------------------------------------------------------------
# one-hot against embedding


def input_vectors(model: RNNModel, what: str = "encoding") -> tuple[list[str], np.ndarray]:
    """One vector per character of the vocabulary (the unknown token left out): (chars, [V-1, D]).

    what="encoding": what the input stage turns a character into before the recurrence:
    embedding.weight's row for an embedding model; for a one-hot model the one-hot vector
    reaches the recurrence only through W_ih, so its "embedding" is column c of weight_ih_l0.
    what="first_layer": W_ih applied to that encoding, the vector every character adds to the
    first layer's pre-activation; the same size (hidden) for both kinds of model, so comparable."""
    if model.vocab is None or model.config.input_mode == "real":
        raise ValueError(_("this model reads real values, so it has no vector per character"))
    if what not in ("encoding", "first_layer"):
        raise ValueError(_("what must be 'encoding' or 'first_layer'; got {what}").format(what=repr(what)))
    w_ih = model.rnn.weight_ih_l0.detach()  # (H, I)
    if model.config.input_mode == "onehot":
        vectors = w_ih.T  # (V, H): W_ih @ onehot(c) is column c
    elif what == "encoding":
        vectors = model.embedding.weight.detach()  # (V, E)
    else:
        vectors = model.embedding.weight.detach() @ w_ih.T  # (V, H)
    return list(model.vocab.itos[1:]), vectors[1:].double().cpu().numpy()


def pca_2d(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Principal components by SVD of the centred rows: (coordinates [N, 2], share of the
    variance each component explains [2]). Signs follow the largest loading, so a rebuild
    does not flip the picture."""
    centred = np.asarray(vectors, dtype=np.float64) - np.mean(vectors, axis=0)  # (N, D)
    if centred.shape[0] < 3:
        raise ValueError(_("a 2-D projection needs at least three vectors"))
    singular, components = np.linalg.svd(centred, full_matrices=False)[1:]  # components (k, D)
    components = components[:2]
    signs = np.sign(components[np.arange(2), np.abs(components).argmax(axis=1)])
    components = components * signs[:, None]
    variance = singular ** 2
    total = variance.sum()
    explained = variance[:2] / total if total > 0 else np.zeros(2)
    return centred @ components.T, explained  # (N, 2), (2,)


def nearest(chars: list[str], vectors: np.ndarray, char: str, k: int = 8) -> list[tuple[str, float]]:
    """The k characters whose vectors point most nearly the same way as `char`'s (cosine similarity)."""
    if char not in chars:
        raise ValueError(_("{char} is not in this model's vocabulary").format(char=repr(char)))
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)  # (N, D)
    similarity = unit @ unit[chars.index(char)]  # (N,)
    order = [i for i in np.argsort(-similarity, kind="stable") if chars[i] != char][:k]
    return [(chars[i], float(similarity[i])) for i in order]


# ---------------------------------------------------------------------------------------------
# stacked and bidirectional


def direction_contributions(model: RNNModel, tr: Trace) -> dict:
    """How a bidirectional net's two directions meet in the head, which reads [h→; h←]:
    logits = W[:, :H] h→ + W[:, H:] h← + b. Returns forward [T, O] and backward [T, O] (each
    direction's share of the logits if the head read step t), bias [O], and `read`, the
    (forward step, backward step) the head reads: (T-1, 0) for a many-to-one head, None when it
    reads every step. `final` is what the head makes of what it reads ([O] or [T, O])."""
    config = model.config
    if not config.bidirectional:
        raise ValueError(_("this model reads forward only; pick a bidirectional one"))
    hidden = config.hidden_size
    weight = model.head.weight.detach().double().cpu().numpy()  # (O, 2H)
    bias = model.head.bias.detach().double().cpu().numpy()  # (O,)
    top = tr.hidden[-1].astype(np.float64)  # (2, T, H): the last layer, both directions
    forward = top[0] @ weight[:, :hidden].T  # (T, O)
    backward = top[1] @ weight[:, hidden:].T  # (T, O)
    if config.head == "last_step":
        read = (tr.steps - 1, 0)
        final = forward[read[0]] + backward[read[1]] + bias
    else:
        read = None
        final = forward + backward + bias
    return {"forward": forward, "backward": backward, "bias": bias, "read": read, "final": final}


def meeting_states(tr: Trace) -> np.ndarray:
    """[T, 2H]: the last layer's forward and backward states side by side at every step, the
    concatenation a per-step head reads (h→_t has read x_0..x_t, h←_t has read x_t..x_{T-1})."""
    if tr.num_directions != 2:
        raise ValueError(_("this model reads forward only; pick a bidirectional one"))
    return np.concatenate([tr.hidden[-1, 0], tr.hidden[-1, 1]], axis=-1)


# ---------------------------------------------------------------------------------------------
# Jordan against Elman


def bracket_depths(text: str, max_depth: int, filler: bool = False) -> list[int]:
    """The nesting depth after each character, refusing (with one sentence) what the brackets
    models were never shown: other characters (the filler "a" only if they trained with it),
    a close with nothing open, depth past max_depth."""
    allowed = BRACKETS if filler else "()"
    odd = sorted(set(text) - set(allowed))
    if odd:
        shown = ", ".join(repr(c) for c in odd[:6])
        message = (_("Type only “(”, “)” and the filler “a”: these models were trained on nothing else; the text "
                     "also has {chars}.") if filler else
                   _("Type only “(” and “)”: these models were trained on nothing else; the text also has {chars}."))
        raise ValueError(message.format(chars=shown))
    depths, depth = [], 0
    for t, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            raise ValueError(_("The “)” at step {t} closes a bracket that was never opened.").format(t=t))
        if depth > max_depth:
            raise ValueError(_("Step {t} reaches depth {depth}; these models count only to {max_depth}.").format(
                t=t, depth=depth, max_depth=max_depth))
        depths.append(depth)
    return depths


def fed_back(model: RNNModel, tr: Trace) -> tuple[np.ndarray, str]:
    """What each step reads back from the step before, [T, width], and its short name: φ(y_t-1),
    the previous output squashed (φ is config.jordan_feedback), for a Jordan net; h_t-1 for an
    Elman net (and GRU, LSTM)."""
    if model.config.cell == "jordan":
        previous = np.concatenate([np.zeros_like(tr.feedback[:1]), tr.feedback[:-1]], axis=0)  # y_{t-1}, y_{-1} = 0
        squashed = cells.feedback_activation(torch.from_numpy(previous), model.config.jordan_feedback)
        return squashed.numpy(), "φ(y_t-1)"
    return tr.previous("hidden", 0, 0), "h_t-1"


def accuracy(predicted: np.ndarray, targets) -> float:
    """Fraction of steps where the predicted class is the target."""
    targets = np.asarray(targets)
    return float(np.mean(np.asarray(predicted) == targets)) if targets.size else float("nan")


def score_shares(contributions: dict, labels: tuple[str, ...] | None = None) -> dict:
    """One score per step from direction_contributions, for a line chart: with two classes the
    margin logit[1] - logit[0] (positive: the model leans to class 1), otherwise the logit of
    the class the model finally chose. Returns forward [T], backward [T], bias, name."""
    final = np.asarray(contributions["final"])
    weights = np.zeros(final.shape[-1])  # score = logits @ weights
    if final.shape[-1] == 2:
        weights[:] = (-1.0, 1.0)
        names = labels or (_("class {k}").format(k=0), _("class {k}").format(k=1))
        name = _("score ({positive} − {negative} logit)").format(positive=names[1], negative=names[0])
    else:
        chosen = int(np.argmax(final if final.ndim == 1 else final[-1]))
        weights[chosen] = 1.0
        name = _("logit of {label}").format(label=labels[chosen] if labels else _("class {k}").format(k=chosen))
    return {"forward": contributions["forward"] @ weights, "backward": contributions["backward"] @ weights,
            "bias": float(contributions["bias"] @ weights), "name": name}


def predicted(tr: Trace) -> np.ndarray:
    """The class the head picks at every step [T] (argmax of the logits)."""
    return np.asarray(tr.logits).argmax(axis=-1)


def class_labels(task: str | None) -> tuple[str, ...] | None:
    """A task's class names where its class says them without building it (sentiment: negative, positive),
    the words among them in the current language."""
    from explorer.tasks import TASKS
    labels = getattr(TASKS.get(task), "output_labels", None)
    return None if labels is None else tuple(_(LABEL_WORDS[k]) if k in LABEL_WORDS else k for k in labels)


def verdict(tr: Trace, labels: tuple[str, ...] | None = None) -> tuple[str, float]:
    """A many-to-one model's answer: the chosen class and its probability (softmax of the final output)."""
    final = np.asarray(tr.final_output, dtype=np.float64).reshape(-1)
    probs = np.exp(final - final.max())
    probs /= probs.sum()
    chosen = int(probs.argmax())
    name = labels[chosen] if labels and chosen < len(labels) else _("class {k}").format(k=chosen)
    return name, float(probs[chosen])


def vowel_gap(names: list[str], vectors) -> tuple[float, float]:
    """Mean cosine between two vowels, and between a vowel and any other character (nearest's cosines)."""
    vowels = [c for c in names if char_class(c) == "vowel"]
    within, between = [], []
    for v in vowels:
        for other, cosine in nearest(names, vectors, v, k=len(names)):
            (within if other in vowels else between).append(cosine)
    return sum(within) / max(len(within), 1), sum(between) / max(len(between), 1)
