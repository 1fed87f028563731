"""char-RNN sampling: warm up on a prompt, then write one character at a time.

    from explorer.engine.generate import sample
    out = sample(model, "And God said", length=200, temperature=0.8, seed=0)
    out.text, out.generated, out.topk_labels[0], out.topk_probs[0]

The prompt is read in one fused forward pass (the state is kept); each new character is drawn
from softmax(logits / temperature) with a seeded torch.Generator, so a seed gives the same text
every time. The unknown token is never emitted.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from explorer.engine.models import RNNModel
from explorer.i18n import _

MAX_LENGTH = 2000  # characters per call; a page of text, traced in well under a second


@dataclass(frozen=True)
class Generated:
    prompt: str
    generated: str  # the new characters only
    topk_labels: list[list[str]]  # [N][k]: the model's k likeliest characters before each new one (temperature 1)
    topk_probs: np.ndarray  # [N, k]
    chosen_probs: np.ndarray  # [N]: the probability (temperature 1) of the character that was drawn
    unknown: tuple[str, ...]  # prompt characters the vocabulary lacks (read as the unknown token)

    @property
    def text(self) -> str:
        return self.prompt + self.generated


def sample(model: RNNModel, prompt: str, *, length: int = 200, temperature: float = 1.0, seed: int = 0,
           k: int = 5) -> Generated:
    """Continue `prompt` by `length` characters. temperature -> 0 approaches greedy decoding."""
    config = model.config
    if model.vocab is None or config.input_mode == "real" or config.head != "per_step" \
            or config.output_size != len(model.vocab):
        raise ValueError(_("only a character language model can write text; pick an English or Python model"))
    if config.bidirectional:
        raise ValueError(_("a bidirectional model reads the future, so it cannot write one character at a time"))
    if not prompt:
        raise ValueError(_("the prompt is empty: type at least one character to start from"))
    if not isinstance(length, int) or not 1 <= length <= MAX_LENGTH:
        raise ValueError(_("length must be a whole number from 1 to {high}; got {value}")
                         .format(high=MAX_LENGTH, value=repr(length)))
    if not (temperature > 0 and np.isfinite(temperature)):
        raise ValueError(_("temperature must be a positive number; got {value}").format(value=repr(temperature)))
    generator = torch.Generator().manual_seed(int(seed))
    encoded = model.encode(prompt)
    device = model.rnn.weight_ih_l0.device
    chosen, top_labels, top_probs, chosen_probs = [], [], [], []
    k = min(k, len(model.vocab))
    with torch.no_grad():
        logits, state = model(encoded.ids.to(device))  # (T, V): one fused pass over the prompt
        last = logits[-1]  # (V,)
        for _step in range(length):
            last = last.double().cpu()
            probs = torch.softmax(last, -1)  # (V,) the model's own distribution, as a trace shows it
            top = probs.topk(k)
            allowed = last.clone()
            if model.vocab.has_unknown_token:  # a vocabulary without one reads the unknown as a real token
                allowed[model.vocab.unknown_id] = -torch.inf  # never write the unknown token
            drawn = torch.multinomial(torch.softmax(allowed / temperature, -1), 1, generator=generator).item()
            chosen.append(drawn)
            top_labels.append([model.vocab.itos[i] for i in top.indices.tolist()])
            top_probs.append(top.values.numpy())
            chosen_probs.append(float(probs[drawn]))
            logits, state = model(torch.tensor([drawn], device=device), state)  # (1, V)
            last = logits[-1]
    return Generated(prompt=prompt, generated=model.vocab.decode(chosen), topk_labels=top_labels,
                     topk_probs=np.stack(top_probs), chosen_probs=np.array(chosen_probs), unknown=encoded.unknown)
