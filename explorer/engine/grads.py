"""Gradient flow through time: dL/dh_t, dL/dc_t, Jacobian norms and input saliency.

`bptt` runs the traced forward pass (fused, see trace.py), then a hand-written backward pass
through time over the stored gates, layer by layer from the top. Given the forward values,
backpropagation is linear in the incoming gradient, so each step is one matvec and a few
elementwise products with factors computed for all steps at once. The same loop, started
from an identity matrix instead of a vector, gives the exact Jacobian dh_T/dh_t.

dh[l, d, t] is the *total* gradient reaching h_t of layer l, direction d: through the output
at t, through every later step of its own layer and through every upper layer. The tests
check it against autograd on an unrolled graph and against finite differences.

minGRU and minLSTM have no W_hh: their gates read x_t alone, so dh_{t-1} gets dh_t times the gate that keeps
the state (1 - z_t, or f'_t) and nothing else, and dh_last/dh_t is diagonal.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from explorer.engine import mincells
from explorer.engine.models import RNNModel, last_step_features
from explorer.engine.trace import Trace, default_targets, forward_internals, model_inputs, to_trace, trace_with_head
from explorer.i18n import N_, _


@dataclass
class Gradients:
    dh: np.ndarray  # [L, D, T, H], dL/dh_t through every path
    dc: np.ndarray | None  # [L, D, T, H], dL/dc_t (LSTM only)
    dx: np.ndarray  # [T, I], dL/dx_t at the first layer's input (one-hot row, embedding or values)
    saliency: np.ndarray  # [T], ||dL/dx_t||_2
    loss: float
    loss_said: tuple[str, dict]  # the loss in words: an English message and its values (see loss_description)
    trace: Trace  # the forward pass the gradients belong to
    jacobian: np.ndarray | None = None  # [L, D, T], ||dh_last/dh_t||_F within each layer (see jacobian_norms)

    @property
    def grad_norm_per_step(self) -> np.ndarray:
        """[L, D, T]: ||dL/dh_t||_2 for every layer, direction and step."""
        return np.linalg.norm(self.dh, axis=-1)

    @property
    def loss_description(self) -> str:
        """The loss in words ("cross-entropy at step 46 (the last with a target)"), in the current language:
        translated when read, because one cached Gradients serves readers of every language."""
        message, values = self.loss_said
        return _(message).format(**values)


# ---------------------------------------------------------------------------------------------
# one layer, one direction, backwards through time


def _step_factors(kind: str, found: dict, rnn: nn.Module) -> dict:
    """Everything the backward loop multiplies by, for all steps at once, sequence order."""
    g = found["gates"]
    if kind == "lstm":
        i, f, gg, o = g["i"], g["f"], g["g"], g["o"]
        tanh_c = torch.tanh(found["c"])
        return {
            "h_to_c": o * (1 - tanh_c ** 2),  # dh_t -> dc_t, through h = o * tanh(c)
            # d(pre-activation) = [dc*i', dc*f', dc*g', dh*o'] with each derivative written out
            "pre": torch.cat([gg * i * (1 - i), found["c_prev"] * f * (1 - f), i * (1 - gg ** 2),
                              tanh_c * o * (1 - o)], -1),
            "keep": f,  # dc_t -> dc_{t-1}: the constant error carousel
        }
    if kind == "gru":
        r, z, n = g["r"], g["z"], g["n"]
        through_n = (1 - z) * (1 - n ** 2)  # dh_t -> d(pre_n)
        through_z = (found["h_prev"] - n) * z * (1 - z)  # dh_t -> d(pre_z)
        through_r = through_n * found["hh_n"] * r * (1 - r)  # dh_t -> d(pre_r), via r * (W_hn h + b_hn)
        return {
            "pre_ih": torch.cat([through_r, through_z, through_n], -1),
            "pre_hh": torch.cat([through_r, through_z, through_n * r], -1),  # r scales the W_hn path
            "direct": z,  # dh_t -> dh_{t-1} without a matmul: h_t = ... + z * h_{t-1}
        }
    if kind == "mingru":  # h_t = (1 - z) h_{t-1} + z h~, z = σ(pre_z), h~ = g(pre_h)
        z, cand = g["z"], g["cand"]
        pre_h = found["pre"].chunk(2, -1)[1]
        return {"pre": torch.cat([(cand - found["h_prev"]) * z * (1 - z), z * mincells.g_slope(pre_h)], -1),
                "keep": 1 - z}
    if kind == "minlstm":  # h_t = f' h_{t-1} + i' h~ with f' = σ(pf) / (σ(pf) + σ(pi)), i' = 1 - f'
        f_norm, i_norm, cand = g["f"], g["i"], g["cand"]
        pre_f, pre_i, pre_h = found["pre"].chunk(3, -1)
        both = f_norm * i_norm * (cand - found["h_prev"])  # df'/dpf = (1 - σ(pf)) f' i' = -di'/dpf; pi mirrors it
        return {"pre": torch.cat([-both * torch.sigmoid(-pre_f), both * torch.sigmoid(-pre_i),
                                  i_norm * mincells.g_slope(pre_h)], -1),
                "keep": f_norm}
    if kind == "jordan":
        factors = {"pre": _activation_slope(kind, found, rnn)}
        if rnn.feedback == "tanh":
            factors["feedback_slope"] = 1 - torch.tanh(found["y_prev"]) ** 2
        elif rnn.feedback == "softmax":
            factors["feedback_probs"] = torch.softmax(found["y_prev"], -1)
        return factors
    return {"pre": _activation_slope(kind, found, rnn)}


def _activation_slope(kind, found, rnn):
    nonlinearity = rnn.nonlinearity  # nn.RNN and JordanRNN both name theirs
    if nonlinearity == "tanh":
        return 1 - found["h"] ** 2  # tanh' expressed through its output
    return (found["gates"]["pre"] > 0).to(found["h"].dtype)  # relu'


def _backward_direction(kind, found, factors, weights, direct, seed, reverse, norms_only=False):
    """Run the adjoint recurrence of one layer and direction.

    direct: (T, K, H) gradient arriving from outside the recurrence (None = zeros); seed: (K, H)
    gradient placed on the last processed state (None = zeros). Returns (dh, dc, delta_ih) with
    shapes (T, K, H), (T, K, H) or None, (T, K, G*H); with norms_only, ||dh_t||_F per step."""
    flip = (lambda t: t.flip(0)) if reverse else (lambda t: t)
    steps = found["h"].shape[0]
    per_step = {name: flip(value).unbind(0) for name, value in factors.items()}
    k = seed.shape[0] if seed is not None else direct.shape[1]
    zeros = found["h"].new_zeros(k, found["h"].shape[-1])
    direct_steps = flip(direct).unbind(0) if direct is not None else [zeros] * steps
    w_hh = weights.get("weight_hh")  # None for minGRU and minLSTM
    carry_h = seed if seed is not None else zeros
    carry_c = zeros
    dh_list, dc_list = [None] * steps, [None] * steps
    for t in range(steps - 1, -1, -1):  # processing order: the last step processed comes first
        dh = direct_steps[t] + carry_h  # everything that reaches h_t
        if kind == "lstm":
            dc = dh * per_step["h_to_c"][t] + carry_c  # through tanh(c_t), plus from c_{t+1}
            delta = torch.cat([dc, dc, dc, dh], -1) * per_step["pre"][t]  # d(i, f, g, o pre-activations)
            carry_h = delta @ w_hh  # into h_{t-1} through W_hh
            carry_c = dc * per_step["keep"][t]  # into c_{t-1} through the forget gate
            dc_list[t] = dc
        elif kind == "gru":
            delta = dh.repeat(1, 3) * per_step["pre_hh"][t]  # d(r, z, n recurrent pre-activations)
            carry_h = delta @ w_hh + dh * per_step["direct"][t]
        elif kind in ("mingru", "minlstm"):
            carry_h = dh * per_step["keep"][t]  # h_t = keep_t * h_{t-1} + (a term of x_t alone)
        elif kind == "jordan":
            fed = (dh * per_step["pre"][t]) @ w_hh  # into the fed-back outputs phi(y_{t-1})
            if "feedback_slope" in per_step:
                fed = fed * per_step["feedback_slope"][t]  # back through tanh
            elif "feedback_probs" in per_step:
                p = per_step["feedback_probs"][t]
                fed = p * (fed - (fed * p).sum(-1, keepdim=True))  # back through softmax
            carry_h = fed @ weights["weight_ho"]  # y_{t-1} = W_ho h_{t-1} + b_ho
        else:
            carry_h = (dh * per_step["pre"][t]) @ w_hh  # back through the nonlinearity, then W_hh
        dh_list[t] = torch.linalg.vector_norm(dh) if norms_only else dh
    if norms_only:
        return flip(torch.stack(dh_list)), None, None
    dh_all = flip(torch.stack(dh_list))  # (T, K, H), sequence order again
    dc_all = flip(torch.stack(dc_list)) if kind == "lstm" else None
    # gradient at the gate pre-activations, all steps at once, for the input weights
    if kind == "lstm":
        delta_ih = torch.cat([dc_all, dc_all, dc_all, dh_all], -1) * factors["pre"][:, None]
    elif kind == "gru":
        delta_ih = dh_all.repeat(1, 1, 3) * factors["pre_ih"][:, None]
    elif kind in ("mingru", "minlstm"):
        blocks = factors["pre"].shape[-1] // dh_all.shape[-1]
        delta_ih = dh_all.repeat(1, 1, blocks) * factors["pre"][:, None]
    else:
        delta_ih = dh_all * factors["pre"][:, None]
    return dh_all, dc_all, delta_ih


def _weights(rnn, layer, direction):
    sfx = "_reverse" if direction else ""
    names = ("weight_ih", "weight_hh", "weight_ho")  # a min cell has weight_ih only
    return {n: getattr(rnn, f"{n}_l{layer}{sfx}") for n in names if hasattr(rnn, f"{n}_l{layer}{sfx}")}


def _backward_all(rnn, internals, top_grad):
    """Backward through every layer, top to bottom. top_grad: (T, D*H) for the last layer output."""
    kind = internals["kind"]
    layers = internals["layers"]
    size = rnn.hidden_size
    dh = torch.zeros_like(internals["hidden"])  # [L, D, T, H]
    dc = torch.zeros_like(internals["cell"]) if kind == "lstm" else None
    incoming = top_grad  # (T, D*H) gradient on this layer's output
    with torch.no_grad():
        for layer in range(len(layers) - 1, -1, -1):
            below = None
            for d, found in enumerate(layers[layer]):
                weights = _weights(rnn, layer, d)
                factors = _step_factors(kind, found, rnn)
                direct = incoming[:, None, d * size:(d + 1) * size]  # (T, 1, H)
                dh_ld, dc_ld, delta_ih = _backward_direction(kind, found, factors, weights, direct, None, d == 1)
                dh[layer, d] = dh_ld[:, 0]
                if dc is not None:
                    dc[layer, d] = dc_ld[:, 0]
                into_input = delta_ih[:, 0] @ weights["weight_ih"]  # (T, I_layer)
                below = into_input if below is None else below + into_input  # both directions read the same input
            incoming = below
    return dh, dc, incoming  # incoming is now dL/dx: (T, I)


def jacobian_norms(rnn: nn.Module, internals: dict) -> np.ndarray:
    """[L, D, T]: the Frobenius norm of dh_last/dh_t within each layer and direction, where
    h_last is the state the direction ends on (t = T-1 forward, t = 0 backward).

    Exact: the adjoint recurrence is run with an identity matrix as its seed, so the cost is
    H times a gradient pass (fine for a few hundred steps of a few hundred units)."""
    kind = internals["kind"]
    layers = internals["layers"]
    rows = []
    with torch.no_grad():
        for layer, per_direction in enumerate(layers):
            row = []
            for d, found in enumerate(per_direction):
                eye = torch.eye(rnn.hidden_size, dtype=found["h"].dtype, device=found["h"].device)
                norms = _backward_direction(kind, found, _step_factors(kind, found, rnn),
                                            _weights(rnn, layer, d), None, eye, d == 1, norms_only=True)[0]
                row.append(norms)
            rows.append(torch.stack(row))
    return torch.stack(rows).cpu().numpy()


def jacobian(rnn: nn.Module, x, *, state=None) -> np.ndarray:
    """[L, D, T]: ||dh_last/dh_t||_F (see `jacobian_norms`) of an RNNModel on text, ids or values, or of
    a stock module on x (T, input_size), from `state`; the same numbers as bptt(..., jacobian=True)
    without its gradient pass."""
    if isinstance(rnn, RNNModel):
        feats, core = model_inputs(rnn, x)[0], rnn.rnn
    else:
        feats, core = x, rnn
    return jacobian_norms(core, forward_internals(core, feats, state))


# ---------------------------------------------------------------------------------------------
# the public call


def bptt(rnn: nn.Module, x, loss_fn=None, *, loss="last", targets=None, jacobian: bool = False,
         state=None) -> Gradients:
    """Gradients through time, exact to autograd.

    Stock module (torch.nn.RNN / GRU / LSTM or JordanRNN): `loss_fn` maps the output sequence
    (T, D*H) to a scalar; x is (T, input_size).
    RNNModel: x may be text, ids or values; the loss is the model's own (cross-entropy or MSE)
    against `targets` (default for text: the next character; for a classifier: its own
    prediction; for a regressor without targets: the output itself), taken at the `loss`:
    "last" (the last step with a target), "sum" or "mean" over steps, or a step index.
    `loss_fn`, if given, overrides and receives the model's per-step outputs (T, O).
    jacobian=True adds ||dh_last/dh_t||_F per layer (see `jacobian_norms`).
    """
    model = rnn if isinstance(rnn, RNNModel) else None
    if model is not None:
        feats, ids, chars, unknown = model_inputs(model, x)
        core = model.rnn
    else:
        if loss_fn is None:
            raise ValueError(_("bptt on a bare recurrent module needs loss_fn: output (T, D*H) -> scalar"))
        feats, core = x, rnn
    internals = forward_internals(core, feats, state)
    out = internals["output"].detach().requires_grad_(True)
    with torch.enable_grad():
        if model is not None:
            objective, description = _model_loss(model, out, ids, targets, loss, loss_fn)
        else:
            objective, description = loss_fn(out), (GIVEN_LOSS, {})
        if not isinstance(objective, torch.Tensor) or objective.numel() != 1:
            raise ValueError(_("the loss must be a scalar tensor"))
        if not torch.isfinite(objective):
            raise ValueError(_("the loss is not finite (NaN or infinity); check the input and targets"))
        (top_grad,) = torch.autograd.grad(objective.reshape(()), out, allow_unused=True)
    if top_grad is None:
        top_grad = torch.zeros_like(out)
    dh, dc, dx = _backward_all(core, internals, top_grad)
    if model is not None:
        result_trace = trace_with_head(model, internals, ids, chars, unknown, targets=targets)
    else:
        result_trace = to_trace(internals)
    return Gradients(
        dh=dh.cpu().numpy(),
        dc=dc.cpu().numpy() if dc is not None else None,
        dx=dx.cpu().numpy(),
        saliency=torch.linalg.vector_norm(dx, dim=-1).cpu().numpy(),
        loss=float(objective.detach()),
        loss_said=description,
        trace=result_trace,
        jacobian=jacobian_norms(core, internals) if jacobian else None,
    )


# The loss in words, one whole sentence per case (so that every language can order its words), with the
# values that fill it: Gradients.loss_description translates it when read.
GIVEN_LOSS = N_("the given loss_fn")
_AT_THE_END = {  # a many-to-one head, at its last step or at a chosen one
    "classes": (N_("cross-entropy of class {label} at the end"), N_("cross-entropy of class {label} at step {step}")),
    "predicted value": (N_("the predicted value at the end"), N_("the predicted value at step {step}")),
    "squared error": (N_("squared error at the end"), N_("squared error at step {step}")),
}
_PER_STEP = {  # a per-step head, reduced over steps or taken at one
    "cross-entropy": {"sum": N_("cross-entropy summed over {n} steps"),
                      "mean": N_("cross-entropy averaged over {n} steps"),
                      "last": N_("cross-entropy at step {step} (the last with a target)"),
                      "step": N_("cross-entropy at step {step}")},
    "predicted value": {"sum": N_("predicted value summed over {n} steps"),
                        "mean": N_("predicted value averaged over {n} steps"),
                        "last": N_("predicted value at step {step} (the last with a target)"),
                        "step": N_("predicted value at step {step}")},
    "squared error": {"sum": N_("squared error summed over {n} steps"),
                      "mean": N_("squared error averaged over {n} steps"),
                      "last": N_("squared error at step {step} (the last with a target)"),
                      "step": N_("squared error at step {step}")},
}


def _model_loss(model: RNNModel, out, ids, targets, where, loss_fn):
    """The scalar whose gradient `bptt` follows, and the sentence naming it (message, values)."""
    config = model.config
    steps = out.shape[0]
    per_step = model.step_outputs(out)  # (T, O)
    if loss_fn is not None:
        return loss_fn(per_step), (GIVEN_LOSS, {})
    if config.head == "last_step":
        final = model.step_outputs(last_step_features(out, config.hidden_size, config.bidirectional))
        output = per_step[_step_index(where, steps)] if isinstance(where, int) else final
        at = {"step": where} if isinstance(where, int) else {}

        def said(kind, **values):
            return _AT_THE_END[kind][bool(at)], {**values, **at}

        if config.output_kind == "classes":
            label = int(torch.as_tensor(targets).reshape(-1)[0]) if targets is not None else int(final.argmax())
            return F.cross_entropy(output[None], torch.tensor([label], device=out.device)), \
                said("classes", label=label)
        if targets is None:
            return output.sum(), said("predicted value")
        target = torch.as_tensor(targets, dtype=out.dtype, device=out.device).reshape(output.shape)
        return F.mse_loss(output, target), said("squared error")
    # per-step head
    if config.output_kind == "classes":
        tgt = default_targets(model, ids, targets, steps)
        if tgt is None:
            tgt = per_step.argmax(-1)  # follow the model's own guesses
        tgt = tgt.to(out.device)
        nll = F.cross_entropy(per_step, tgt.clamp_min(0), reduction="none")  # (T,) nats
        valid = tgt >= 0
        if not valid.any():
            raise ValueError(_("the text needs at least two characters: one to read and one to predict"))
        return _reduce(nll, valid, where, "cross-entropy")
    if targets is None:
        values = per_step.sum(-1)
        return _reduce(values, torch.ones_like(values, dtype=torch.bool), where, "predicted value")
    target = torch.as_tensor(targets, dtype=out.dtype, device=out.device).reshape(per_step.shape)
    squared = ((per_step - target) ** 2).mean(-1)
    return _reduce(squared, torch.ones_like(squared, dtype=torch.bool), where, "squared error")


def _step_index(where: int, steps: int) -> int:
    if not -steps <= where < steps:
        raise ValueError(_("step {step} is outside the sequence of {steps} steps").format(step=where, steps=steps))
    return where % steps


def _reduce(values, valid, where, name):
    said = _PER_STEP[name]
    if where == "sum":
        return values[valid].sum(), (said["sum"], {"n": int(valid.sum())})
    if where == "mean":
        return values[valid].mean(), (said["mean"], {"n": int(valid.sum())})
    if where == "last":
        last = int(valid.nonzero()[-1])
        return values[last], (said["last"], {"step": last})
    if isinstance(where, int) and not isinstance(where, bool):
        step = _step_index(where, values.shape[0])
        if not valid[step]:
            raise ValueError(_("step {step} has nothing to predict; choose an earlier step").format(step=step))
        return values[step], (said["step"], {"step": step})
    raise ValueError(_("loss must be 'last', 'sum', 'mean' or a step index; got {value}").format(value=repr(where)))


# ---------------------------------------------------------------------------------------------
# why gradients vanish or explode: the recurrent matrices


# Pascanu, Mikolov & Bengio (2013), "On the difficulty of training recurrent neural networks":
# if the largest singular value of W_hh is below 1/gamma, where gamma bounds the derivative of
# the nonlinearity (1 for tanh and relu), the gradient through time must vanish.
DERIVATIVE_BOUND = {"tanh": 1.0, "relu": 1.0}


def recurrent_spectrum(rnn: nn.Module) -> list[dict]:
    """Singular values of every recurrent matrix, one row per (layer, direction, block).

    Elman: W_hh. GRU: the r, z, n blocks of W_hh. LSTM: the i, f, g, o blocks. minGRU, minLSTM: none. Jordan: the
    map from h_{t-1} back to h_t through the output, W_hh W_ho (before the feedback squashing).
    Each row: layer, direction, block, singular_values (descending), largest, and for Elman and
    Jordan nets the vanishing bound 1/gamma with gamma the nonlinearity's derivative bound."""
    from explorer.engine.trace import GATE_NAMES, cell_type

    kind = cell_type(rnn)
    if kind in ("mingru", "minlstm"):
        return []  # no recurrent matrix: the state enters only through the gate that keeps it
    rows = []
    dirs = 2 if rnn.bidirectional else 1
    with torch.no_grad():
        for layer in range(rnn.num_layers):
            for d in range(dirs):
                sfx = "_reverse" if d else ""
                w_hh = getattr(rnn, f"weight_hh_l{layer}{sfx}").detach().double().cpu()
                if kind == "jordan":
                    blocks = {"W_hh W_ho": w_hh @ rnn.weight_ho_l0.detach().double().cpu()}
                elif kind in ("lstm", "gru"):
                    blocks = dict(zip(GATE_NAMES[kind], w_hh.chunk(len(GATE_NAMES[kind]), 0)))
                else:
                    blocks = {"W_hh": w_hh}
                for block, matrix in blocks.items():
                    values = torch.linalg.svdvals(matrix).numpy()
                    row = {"layer": layer, "direction": d, "block": block, "singular_values": values,
                           "largest": float(values[0])}
                    if kind in ("rnn", "jordan"):
                        row["vanishing_bound"] = 1.0 / DERIVATIVE_BOUND[rnn.nonlinearity]
                        row["must_vanish"] = row["largest"] < row["vanishing_bound"]
                    rows.append(row)
    return rows
