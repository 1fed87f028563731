"""The encoder-decoder itself: a date written in words goes in, the same date in digits comes out.

source characters -> embedding -> encoder (stock nn.GRU or nn.LSTM) -> its final state, handed
over whole -> decoder (the same stock cell, started from that state, reading the character it
wrote last) -> linear head -> next character, until the end token. No attention: everything the
decoder knows about the source passes through the handed-over state, the bottleneck the view shows.

`trace_seq2seq` runs explorer.trace on the encoder and then on the decoder (given the encoder's
final state as `state=`), so every state and gate drawn is the real network's. This file never
imports the training code (training.py) or the zoo (checkpoint.py).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from explorer.engine.trace import Trace, trace
from explorer.engine.vocab import Vocab
from explorer.i18n import _
from explorer.tasks.dates import END, START

MAX_ANSWER = 16  # greedy decoding stops here if the end token never comes (a right answer has 10)

# ---------------------------------------------------------------------------------------------
# the model


@dataclass(frozen=True)
class Seq2SeqConfig:
    cell: str = "lstm"  # gru or lstm, the stock modules; the LSTM hands over two vectors (h and c)
    source_size: int = 32  # source vocabulary (letters, space, hyphen, comma, unknown)
    target_size: int = 14  # digits, '-', end, start, unknown
    embedding_size: int = 16  # characters carry little; the state does the work
    hidden_size: int = 128  # the whole date must pass through this state (h and c for an LSTM)
    num_layers: int = 1

    def __post_init__(self):
        if self.cell not in ("gru", "lstm"):
            raise ValueError(_("cell must be gru or lstm; got {cell}").format(cell=repr(self.cell)))
        for name in ("source_size", "target_size", "embedding_size", "hidden_size", "num_layers"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 4096:
                raise ValueError(_("{name} must be a whole number from 1 to 4096; got {value}").format(
                    name=name, value=repr(value)))

    def to_dict(self) -> dict:
        return asdict(self)


class Seq2Seq(nn.Module):
    """Embedding -> encoder -> handed-over state -> decoder -> head. Parameter names are torch's
    own inside `encoder.` and `decoder.` (weight_ih_l0, ...)."""

    def __init__(self, config: Seq2SeqConfig, vocab: Vocab, target: Vocab):
        super().__init__()
        if (len(vocab), len(target)) != (config.source_size, config.target_size):
            raise ValueError(_("the vocabularies do not match source_size and target_size"))
        self.config, self.vocab, self.target = config, vocab, target
        cell = nn.GRU if config.cell == "gru" else nn.LSTM
        size = dict(hidden_size=config.hidden_size, num_layers=config.num_layers, batch_first=True)
        self.source_embedding = nn.Embedding(config.source_size, config.embedding_size)
        self.encoder = cell(config.embedding_size, **size)
        self.target_embedding = nn.Embedding(config.target_size, config.embedding_size)
        self.decoder = cell(config.embedding_size, **size)
        self.head = nn.Linear(config.hidden_size, config.target_size)
        self.meta: dict = {}

    def encode(self, source: torch.Tensor, lengths: torch.Tensor):
        """source (B, S) ids padded at the end -> the encoder's state after each sequence's last real character."""
        embedded = self.source_embedding(source)  # (B, S, E)
        if int(lengths.min()) != source.shape[1]:  # padding must never reach the state
            embedded = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False)
        _out, state = self.encoder(embedded)  # (L, B, H), or (h, c) for an LSTM
        return state

    def forward(self, source: torch.Tensor, lengths: torch.Tensor, decoder_input: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: the decoder reads the true previous character. -> logits (B, T, C)."""
        out, _state = self.decoder(self.target_embedding(decoder_input), self.encode(source, lengths))  # (B, T, H)
        return self.head(out)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


def encode_sources(model: Seq2Seq, sources: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Padded ids (B, S) and lengths (B,); padding uses id 0, which packing skips."""
    lengths = torch.tensor([len(s) for s in sources])
    ids = torch.zeros(len(sources), int(lengths.max()), dtype=torch.long)
    for row, text in enumerate(sources):
        ids[row, :len(text)] = model.vocab.encode(text).ids
    return ids, lengths


def decoder_inputs(model: Seq2Seq, targets: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Teacher forcing for equal-length targets: inputs START+y (B, T) and outputs y+END (B, T)."""
    stoi = model.target.stoi
    written = torch.tensor([[stoi[c] for c in t + END] for t in targets])  # (B, T)
    start = torch.full((len(targets), 1), stoi[START])
    return torch.cat([start, written[:, :-1]], 1), written


@torch.no_grad()
def greedy_decode(model: Seq2Seq, sources: list[str], max_len: int = MAX_ANSWER) -> list[str]:
    """Free running: each step reads the most likely character of the step before; stops at END."""
    ids, lengths = encode_sources(model, sources)
    state = model.encode(ids, lengths)
    token = torch.full((len(sources), 1), model.target.stoi[START])
    end, rows = model.target.stoi[END], []
    for _step in range(max_len):
        out, state = model.decoder(model.target_embedding(token), state)  # (B, 1, H)
        token = model.head(out).argmax(-1)  # (B, 1)
        rows.append(token[:, 0])
        if bool((torch.stack(rows, 1) == end).any(1).all()):  # every row has ended
            break
    written = [model.target.decode(row) for row in torch.stack(rows, 1).tolist()]
    return [text.split(END)[0] for text in written]


# ---------------------------------------------------------------------------------------------
# tracing: the encoder, the handed-over state, the decoder


@dataclass
class Seq2SeqTrace:
    """explorer.trace of the encoder over the source and of the decoder as it writes."""

    source: tuple[str, ...]  # the characters read
    encoder: Trace  # [layer, direction, t, unit], t = source position
    handed_hidden: np.ndarray  # [L, H]: the encoder's last hidden state, the decoder's h_{-1}
    handed_cell: np.ndarray | None  # [L, H], LSTM only: the encoder's last cell state, the decoder's c_{-1}
    decoder: Trace  # [layer, direction, t, unit], t = written position
    read: tuple[str, ...]  # what the decoder read at each step: START, then the previous character
    written: tuple[str, ...]  # its most likely character at each step (END included)
    probs: np.ndarray  # [T, C]
    topk_labels: list[list[str]]  # [T][k]
    topk_probs: np.ndarray  # [T, k]
    teacher_forced: bool
    unknown: tuple[str, ...] = ()

    @property
    def answer(self) -> str:
        """What it wrote, up to (not including) the end token."""
        text = "".join(self.written)
        return text.split(END)[0]


def trace_seq2seq(model: Seq2Seq, source: str, *, target: str | None = None, k: int = 3,
                  max_len: int = MAX_ANSWER) -> Seq2SeqTrace:
    """Trace one source. Without `target` the decoder runs free (reads its own greedy output);
    with it, teacher forcing (reads the true previous character)."""
    if not source:
        raise ValueError(_("the source is empty: type a date in words"))
    encoded = model.vocab.encode(source)
    with torch.no_grad():
        encoder = trace(model.encoder, model.source_embedding(encoded.ids))  # (S, E) in
    handed_h = torch.as_tensor(encoder.hidden[:, 0, -1])  # [L, H]: after the last source character
    handed_c = torch.as_tensor(encoder.cell[:, 0, -1]) if encoder.cell is not None else None
    state = (handed_h, handed_c) if handed_c is not None else handed_h
    if target is None:
        answer = greedy_decode(model, [source], max_len)[0]  # each step then reads the one before it
        read_chars = START + (answer if len(answer) < max_len else answer[:-1])  # ended, or cut at max_len
    else:
        unknown = [c for c in target if c not in model.target.stoi]
        if unknown:
            raise ValueError(_("the target holds {char}, which the decoder cannot write").format(char=repr(unknown[0])))
        read_chars = START + target
    read_ids = torch.tensor([model.target.stoi[c] for c in read_chars])
    with torch.no_grad():
        decoder = trace(model.decoder, model.target_embedding(read_ids), state=state)
        logits = model.head(torch.as_tensor(decoder.output))  # (T, C)
        probs = torch.softmax(logits.double(), -1)
        top = probs.topk(min(k, probs.shape[-1]), -1)
    written = tuple(model.target.itos[i] for i in probs.argmax(-1).tolist())
    return Seq2SeqTrace(
        source=tuple(source), encoder=encoder, handed_hidden=handed_h.numpy(),
        handed_cell=handed_c.numpy() if handed_c is not None else None, decoder=decoder, read=tuple(read_chars),
        written=written, probs=probs.numpy(), topk_probs=top.values.numpy(),
        topk_labels=[[model.target.itos[i] for i in row] for row in top.indices.tolist()],
        teacher_forced=target is not None, unknown=encoded.unknown)
