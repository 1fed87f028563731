"""The models: a frozen `ModelConfig` and the network built from it.

    input (one-hot | embedding | real values) -> recurrent core -> head (per step | last step)

The core is the stock `torch.nn.RNN / GRU / LSTM`, so the state_dict is the one a PyTorch user
knows (`rnn.weight_ih_l0`, `rnn.weight_hh_l0_reverse`, ...). torch.nn has no Jordan network;
`JordanRNN` is ours, with the same interface and parameter names, plus the output layer whose
values it feeds back (`weight_ho_l0`, `bias_ho_l0`). minGRU and minLSTM (Feng et al. 2024) are
`mincells.MinRNN`, again with torch's call and names, but only `weight_ih_l{k}`: their gates never read h.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from explorer.engine import cells
from explorer.engine.mincells import MinRNN
from explorer.engine.vocab import Vocab
from explorer.i18n import _

CELLS = ("rnn", "gru", "lstm", "jordan", "mingru", "minlstm")
MIN_CELLS = ("mingru", "minlstm")  # gates from x_t alone, trained by a parallel scan
INPUT_MODES = ("onehot", "embedding", "real")
HEADS = ("per_step", "last_step")
OUTPUT_KINDS = ("classes", "real")
MAX_HIDDEN = 2048  # past this a trace of a page of text no longer fits a browser heatmap
MAX_LAYERS = 8


@dataclass(frozen=True)
class ModelConfig:
    cell: str = "lstm"  # rnn (Elman), gru, lstm, jordan: what the course compares; mingru, minlstm: its sequel
    input_mode: str = "embedding"  # onehot keeps every input weight readable; embedding is what real models use
    input_size: int = 64  # vocabulary size for token input, feature width for real input
    embedding_size: int = 32  # only for input_mode="embedding"; small, since characters carry little
    hidden_size: int = 128  # big enough to learn English spelling, small enough to trace in a blink
    num_layers: int = 1
    bidirectional: bool = False
    head: str = "per_step"  # per_step: a prediction at every step (char-RNN); last_step: one at the end
    output_size: int = 64  # classes (vocabulary size for a language model) or real outputs
    output_kind: str = "classes"  # classes -> cross-entropy; real -> mean squared error
    nonlinearity: str = "tanh"  # rnn and jordan only; relu is the other choice torch.nn.RNN offers
    jordan_feedback: str = "tanh"  # jordan only: how the previous output is squashed before it is fed back
    # the share of the core's inputs and outputs (and, stacked, of what passes between layers) zeroed while
    # training, never through time (Zaremba et al. 2014): a model that has read its corpus many times learns
    # less by rote; eval mode, the tracer and every page read the model without it
    dropout: float = 0.0

    def __post_init__(self):
        def choose(name, value, allowed):
            if value not in allowed:
                raise ValueError(_("{name} must be one of {allowed}; got {value}")
                                 .format(name=name, allowed=", ".join(allowed), value=repr(value)))

        choose("cell", self.cell, CELLS)
        choose("input_mode", self.input_mode, INPUT_MODES)
        choose("head", self.head, HEADS)
        choose("output_kind", self.output_kind, OUTPUT_KINDS)
        choose("nonlinearity", self.nonlinearity, ("tanh", "relu"))
        choose("jordan_feedback", self.jordan_feedback, ("tanh", "softmax", "identity"))
        for name, low, high in (("input_size", 1, 100_000), ("hidden_size", 1, MAX_HIDDEN),
                                ("num_layers", 1, MAX_LAYERS), ("output_size", 1, 100_000),
                                ("embedding_size", 1, 4096)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise ValueError(_("{name} must be a whole number from {low} to {high}; got {value}")
                                 .format(name=name, low=low, high=high, value=repr(value)))
        if (not isinstance(self.dropout, (int, float)) or isinstance(self.dropout, bool)
                or not 0 <= self.dropout < 1):
            raise ValueError(_("dropout must be a number from 0 up to, but not including, 1; got {value}")
                             .format(value=repr(self.dropout)))
        if self.cell == "jordan" and (self.num_layers != 1 or self.bidirectional):
            raise ValueError(_("a Jordan network here has one layer and one direction, as in Jordan (1986)"))
        if self.cell in MIN_CELLS and self.bidirectional:
            raise ValueError(_("minGRU and minLSTM run in one direction here, as in Feng et al. (2024); "
                               "set bidirectional to False"))
        if self.cell in ("gru", "lstm", *MIN_CELLS) and self.nonlinearity != "tanh":
            raise ValueError(_("only rnn and jordan cells take a relu nonlinearity"))

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def core_input_size(self) -> int:
        return self.embedding_size if self.input_mode == "embedding" else self.input_size

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "ModelConfig":
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(_("unknown config fields: {fields}").format(fields=", ".join(sorted(unknown))))
        return cls(**data)


class JordanRNN(nn.Module):
    r"""A Jordan network: the previous step's *output* is fed back, not its hidden state.

    h_t = tanh(W_ih x_t + b_ih + W_hh phi(y_{t-1}) + b_hh),   y_t = W_ho h_t + b_ho

    Same call as `nn.RNN` (one layer, one direction): `forward(x, y0=None) -> (h, y_n)`, where
    `h` holds every hidden state and `y_n` (1, [B,] O) is the last output, the state to continue
    from. `readout(h)` gives the outputs y_t. Parameters keep torch.nn's names.
    """

    mode = "JORDAN"
    num_layers = 1
    bidirectional = False
    proj_size = 0

    def __init__(self, input_size, hidden_size, output_size, nonlinearity="tanh", feedback="tanh",
                 bias=True, batch_first=False):
        super().__init__()
        self.input_size, self.hidden_size, self.output_size = input_size, hidden_size, output_size
        self.nonlinearity, self.feedback, self.bias, self.batch_first = nonlinearity, feedback, bias, batch_first
        self.weight_ih_l0 = nn.Parameter(torch.empty(hidden_size, input_size))
        self.weight_hh_l0 = nn.Parameter(torch.empty(hidden_size, output_size))  # reads the outputs, not h
        self.weight_ho_l0 = nn.Parameter(torch.empty(output_size, hidden_size))
        if bias:
            self.bias_ih_l0 = nn.Parameter(torch.empty(hidden_size))
            self.bias_hh_l0 = nn.Parameter(torch.empty(hidden_size))
            self.bias_ho_l0 = nn.Parameter(torch.empty(output_size))
        else:
            self.bias_ih_l0 = self.bias_hh_l0 = self.bias_ho_l0 = None
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1.0 / math.sqrt(self.hidden_size)  # torch.nn.RNN's initialisation
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def readout(self, h: torch.Tensor) -> torch.Tensor:
        return F.linear(h, self.weight_ho_l0, self.bias_ho_l0)  # (..., O)

    def forward(self, x: torch.Tensor, y0: torch.Tensor | None = None):
        unbatched = x.dim() == 2
        if unbatched:
            x = x.unsqueeze(1)  # (T, 1, I)
        elif self.batch_first:
            x = x.transpose(0, 1)  # (T, B, I)
        batch = x.shape[1]
        y = x.new_zeros(batch, self.output_size) if y0 is None else y0.reshape(batch, self.output_size)
        input_part = F.linear(x, self.weight_ih_l0, self.bias_ih_l0)  # (T, B, H), all steps at once
        act = torch.tanh if self.nonlinearity == "tanh" else torch.relu
        hs = []
        for x_t in input_part.unbind(0):  # unbind, not x[t]: keeps backward O(T)
            fed_back = cells.feedback_activation(y, self.feedback)  # (B, O)
            h = act(x_t + F.linear(fed_back, self.weight_hh_l0, self.bias_hh_l0))  # (B, H)
            y = self.readout(h)  # (B, O)
            hs.append(h)
        out = torch.stack(hs, 0)  # (T, B, H)
        if unbatched:
            return out.squeeze(1), y.unsqueeze(0).squeeze(1)  # (T, H), (1, O)
        if self.batch_first:
            out = out.transpose(0, 1)
        return out, y.unsqueeze(0)  # (.., H), (1, B, O)


class RNNModel(nn.Module):
    """input -> recurrent core -> head, built from a ModelConfig.

    `forward(x, state=None) -> (output, state)`: x is (B, T) token ids or (B, T, I) real values;
    output is (B, T, O) for a per-step head, (B, O) for a last-step head.
    """

    def __init__(self, config: ModelConfig, vocab: Vocab | None = None):
        super().__init__()
        self.config = config
        self.vocab = vocab
        self.meta: dict = {}  # task, training settings and held-out metrics, filled by the zoo
        if vocab is not None and len(vocab) != config.input_size:
            raise ValueError(_("the vocabulary has {n} entries but input_size is {size}")
                             .format(n=len(vocab), size=config.input_size))
        if config.input_mode == "embedding":
            self.embedding = nn.Embedding(config.input_size, config.embedding_size)
        self.rnn = make_core(config)
        self.dropout = nn.Dropout(config.dropout)  # no weights: checkpoints are the same with or without it
        if config.cell != "jordan":
            self.head = nn.Linear(config.directions * config.hidden_size, config.output_size)

    # -- the three stages, usable one at a time (the tracer needs them apart) --
    def features(self, x: torch.Tensor) -> torch.Tensor:
        """What the recurrent core reads: (..., T) ids -> (..., T, core_input_size) floats."""
        mode = self.config.input_mode
        if mode == "real":
            if not x.is_floating_point():
                raise ValueError(_("this model reads real values; give a float tensor (T, input_size)"))
            return x
        if x.is_floating_point():
            raise ValueError(_("this model reads token ids; give an integer tensor or text"))
        if mode == "embedding":
            return self.embedding(x)  # (..., T, E)
        return F.one_hot(x, self.config.input_size).to(self.param_dtype)  # (..., T, V)

    @property
    def param_dtype(self) -> torch.dtype:
        return self.rnn.weight_ih_l0.dtype

    def step_outputs(self, rnn_out: torch.Tensor) -> torch.Tensor:
        """The head applied at every step: (..., T, D*H) -> (..., T, O); the running prediction."""
        if self.config.cell == "jordan":
            return self.rnn.readout(rnn_out)
        return self.head(rnn_out)

    def final_output(self, rnn_out: torch.Tensor) -> torch.Tensor:
        """The model's output from the core's output sequence (..., T, D*H)."""
        if self.config.head == "per_step":
            return self.step_outputs(rnn_out)  # (..., T, O)
        return self.step_outputs(last_step_features(rnn_out, self.config.hidden_size, self.config.bidirectional))

    def forward(self, x: torch.Tensor, state=None):
        feats = self.dropout(self.features(x))  # identity in eval mode, as the tracer reads the stages
        if feats.dim() == 2:
            feats = feats.unsqueeze(0)  # a lone sequence becomes a batch of one
            out, state = self.rnn(feats, state)
            return self.final_output(self.dropout(out))[0], state
        out, state = self.rnn(feats, state)  # (B, T, D*H)
        return self.final_output(self.dropout(out)), state

    def encode(self, text: str):
        if self.vocab is None:
            raise ValueError(_("this model reads real values, not text"))
        return self.vocab.encode(text)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


def last_step_features(rnn_out: torch.Tensor, hidden_size: int, bidirectional: bool) -> torch.Tensor:
    """What a many-to-one head reads: the forward direction's last state and, for a
    bidirectional core, the backward direction's last state (which sits at position 0)."""
    if not bidirectional:
        return rnn_out[..., -1, :]  # (..., H)
    return torch.cat([rnn_out[..., -1, :hidden_size], rnn_out[..., 0, hidden_size:]], dim=-1)  # (..., 2H)


def make_core(config: ModelConfig) -> nn.Module:
    common = dict(input_size=config.core_input_size, hidden_size=config.hidden_size, batch_first=True)
    if config.cell == "jordan":
        return JordanRNN(output_size=config.output_size, nonlinearity=config.nonlinearity,
                         feedback=config.jordan_feedback, **common)
    if config.cell in MIN_CELLS:
        return MinRNN(config.cell, num_layers=config.num_layers, **common)
    stacked = dict(num_layers=config.num_layers, bidirectional=config.bidirectional,
                   dropout=config.dropout if config.num_layers > 1 else 0.0, **common)  # one layer: nothing between
    if config.cell == "rnn":
        return nn.RNN(nonlinearity=config.nonlinearity, **stacked)
    if config.cell == "gru":
        return nn.GRU(**stacked)
    return nn.LSTM(**stacked)
