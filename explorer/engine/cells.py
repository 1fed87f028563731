"""The step equations of every cell, written as a textbook writes them.

These functions are the reference: one time step, plain tensors in, plain tensors out, with
PyTorch's parameter layout (`weight_ih` is (gates*H, I), `weight_hh` is (gates*H, H), gate
order LSTM i f g o, GRU r z n). They are slow on purpose: `explorer.trace` computes the same
numbers for all steps at once, and the tests check it against these, step by step.

Shapes: x (..., I), h (..., H); every function broadcasts over leading batch dimensions.
"""
from __future__ import annotations

import inspect
import re
from dataclasses import dataclass

import torch
from torch import Tensor

from explorer.i18n import N_


def _affine(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    out = x @ weight.T  # (..., rows of weight)
    return out if bias is None else out + bias


def elman_step(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None, nonlinearity="tanh"):
    r"""Elman (SimpleRNN) step.

    .. math::  a_t = W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}, \qquad h_t = \tanh(a_t)
               \;(\text{or } \max(0, a_t))

    Returns `(h_t, {"pre": a_t})`.
    """
    pre = _affine(x, weight_ih, bias_ih) + _affine(h, weight_hh, bias_hh)  # (..., H)
    if nonlinearity == "tanh":
        h_new = torch.tanh(pre)
    elif nonlinearity == "relu":
        h_new = torch.relu(pre)
    else:
        raise ValueError(f"unknown nonlinearity {nonlinearity!r}; use 'tanh' or 'relu'")
    return h_new, {"pre": pre}


def jordan_step(x, y_prev, weight_ih, weight_hh, weight_ho, bias_ih=None, bias_hh=None, bias_ho=None,
                nonlinearity="tanh", feedback="tanh"):
    r"""Jordan step: the previous *output*, not the previous hidden state, is fed back.

    .. math::  a_t = W_{ih} x_t + b_{ih} + W_{hh}\, \phi(y_{t-1}) + b_{hh}, \quad
               h_t = \tanh(a_t), \quad y_t = W_{ho} h_t + b_{ho}

    `weight_hh` is (H, O): it reads the O output units of the last step through the feedback
    squashing `phi` (tanh, softmax or identity). Returns `(h_t, y_t, {"pre": a_t})`.
    """
    fed_back = feedback_activation(y_prev, feedback)  # (..., O)
    pre = _affine(x, weight_ih, bias_ih) + _affine(fed_back, weight_hh, bias_hh)  # (..., H)
    h_new = torch.tanh(pre) if nonlinearity == "tanh" else torch.relu(pre)
    y_new = _affine(h_new, weight_ho, bias_ho)  # (..., O)
    return h_new, y_new, {"pre": pre}


def feedback_activation(y: Tensor, feedback: str) -> Tensor:
    """The squashing applied to a Jordan network's output before it is fed back."""
    if feedback == "tanh":
        return torch.tanh(y)
    if feedback == "softmax":
        return torch.softmax(y, dim=-1)
    if feedback == "identity":
        return y
    raise ValueError(f"unknown Jordan feedback {feedback!r}; use 'tanh', 'softmax' or 'identity'")


def gru_step(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    r"""GRU step in PyTorch's form (the reset gate multiplies *after* the recurrent matmul).

    .. math::
        r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
        z_t &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
        n_t &= \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})) \\
        h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}

    Returns `(h_t, {"r": r_t, "z": z_t, "n": n_t})`.
    """
    ih_r, ih_z, ih_n = _affine(x, weight_ih, bias_ih).chunk(3, dim=-1)  # each (..., H)
    hh_r, hh_z, hh_n = _affine(h, weight_hh, bias_hh).chunk(3, dim=-1)  # each (..., H)
    r = torch.sigmoid(ih_r + hh_r)
    z = torch.sigmoid(ih_z + hh_z)
    n = torch.tanh(ih_n + r * hh_n)  # the paper writes W(r*h); PyTorch (and cuDNN) use r*(W h + b)
    h_new = (1 - z) * n + z * h
    return h_new, {"r": r, "z": z, "n": n}


def lstm_step(x, h, c, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    r"""LSTM step (no peepholes), gate order i f g o as in `torch.nn.LSTM`.

    .. math::
        i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) \\
        f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) \\
        g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) \\
        o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) \\
        c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
        h_t &= o_t \odot \tanh(c_t)

    Returns `(h_t, c_t, {"i": i_t, "f": f_t, "g": g_t, "o": o_t})`.
    """
    pre = _affine(x, weight_ih, bias_ih) + _affine(h, weight_hh, bias_hh)  # (..., 4H)
    pre_i, pre_f, pre_g, pre_o = pre.chunk(4, dim=-1)
    i, f, g, o = torch.sigmoid(pre_i), torch.sigmoid(pre_f), torch.tanh(pre_g), torch.sigmoid(pre_o)
    c_new = f * c + i * g  # keep part of the old memory, write part of the candidate
    h_new = o * torch.tanh(c_new)  # expose part of the squashed memory
    return h_new, c_new, {"i": i, "f": f, "g": g, "o": o}


@dataclass(frozen=True)
class Notation:
    """How the equations name the weights."""

    label: str
    head: str  # the output layer, y_t from h_t


# The course's notes write h_t = f(U x_t + W h_{t-1} + b), y_t = softmax(V h_t + c). The two notations map
# exactly: U = W_ih, W = W_hh, b = b_ih + b_hh (PyTorch keeps two biases where one would do), V and c the
# output layer. Only the GRU's candidate keeps both biases apart: r_t multiplies the recurrent one alone.
NOTATIONS = {
    "course": Notation(N_("Course: U, W, V"), r"y_t = \mathrm{softmax}(V h_t + c)"),
    "pytorch": Notation(N_("PyTorch: W_ih, W_hh"),
                        r"y_t = \mathrm{softmax}(W_{\mathrm{head}} h_t + b_{\mathrm{head}})"),
}

_COURSE_RULES = (
    # the two biases of one affine map merge into one: b = b_ih + b_hh
    (re.compile(r"b_\{i(\w+)\} \+ W_\{h\1\}(\\,)? ?(h_\{t-1\}|\\phi\(y_\{t-1\}\)) \+ b_\{h\1\}"),
     lambda m: rf"W_{{{m[1]}}}{m[2] or ''} {m[3]} + b_{{{m[1]}}}"),
    (re.compile(r"W_\{ho\} h_t \+ b_\{ho\}"), lambda m: "V h_t + c"),
    (re.compile(r"W_\{i(\w+)\}"), lambda m: rf"U_{{{m[1]}}}"),
    (re.compile(r"W_\{h(\w+)\}"), lambda m: rf"W_{{{m[1]}}}"),
    # one weight per cell needs no subscript: U, W, b
    (re.compile(r"([UWb])_\{h\}"), lambda m: m[1]),
)


def in_notation(latex: str, notation: str = "pytorch") -> str:
    """PyTorch-named LaTeX (as the docstrings write it) in the course's notation, or unchanged."""
    if notation not in NOTATIONS:
        raise ValueError(f"unknown notation {notation!r}; use one of {', '.join(NOTATIONS)}")
    if notation == "pytorch":
        return latex
    for pattern, write in _COURSE_RULES:
        latex = pattern.sub(write, latex)
    return latex


def equations(step, notation: str = "pytorch") -> str:
    """The LaTeX of a step function's equations, the `.. math::` block of its docstring, so that
    the pages show exactly the equations this file states (aligned when they have several lines),
    in either notation."""
    doc = inspect.getdoc(step) or ""
    _, found, block = doc.partition(".. math::")
    if not found:
        raise ValueError(f"{step.__name__} states no equations")
    lines = []
    for line in block.splitlines()[0 if block.strip() else 1:]:
        if lines and not line.strip():
            break
        if line.strip():
            lines.append(line.strip())
    latex = in_notation(" ".join(lines).replace("\\\\ ", "\\\\\n"), notation)
    return f"\\begin{{aligned}}\n{latex}\n\\end{{aligned}}" if "&" in latex else latex
