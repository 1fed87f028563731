"""The encoder-decoder's checkpoints: the same two files as every zoo model (NAME.safetensors and
NAME.json, next to the others), written and checked by explorer.zoo's own helpers; the sidecar
adds kind "seq2seq" and the target vocabulary.
"""
from __future__ import annotations

from pathlib import Path

from explorer import zoo
from explorer.engine.vocab import Vocab
from explorer.i18n import _
from explorer.seq2seq.model import Seq2Seq, Seq2SeqConfig

KIND = "seq2seq"  # the sidecar's "kind": how explorer.zoo tells these files from an RNNModel's


def sidecar(model: Seq2Seq, meta: dict) -> dict:
    """The JSON sidecar as written: the caller's metadata, the kind, then the config and both
    vocabularies taken from the model."""
    return zoo.sidecar(dict(meta, kind=KIND), config=model.config.to_dict(), vocab=model.vocab.to_json(),
                       target_vocab=model.target.to_json())


def save(model: Seq2Seq, name: str, meta: dict, directory: Path | None = None) -> tuple[Path, Path]:
    """NAME.safetensors (raw tensors, nothing executable) and NAME.json, next to the other models."""
    return zoo.save_state_dict(model, name, sidecar(model, meta), directory)


def read_meta(raw: bytes, label: str | None = None) -> dict:
    """A sidecar's JSON, checked to describe an encoder-decoder."""
    label = label or _("metadata")
    meta = zoo.read_meta(raw, label)
    if meta.get("kind") != KIND:
        raise ValueError(_("{label} does not describe an encoder-decoder (kind {kind})").format(
            label=label, kind=repr(meta.get("kind"))))
    return meta


def load_checkpoint(weights: bytes, meta: bytes | dict, label: str | None = None) -> Seq2Seq:
    """A ready model (eval mode, no gradients) from safetensors bytes and JSON metadata, every
    part checked; never unpickles anything."""
    label = label or _("checkpoint")
    meta = read_meta(meta, _("{label} metadata").format(label=label)) if isinstance(meta, (bytes, bytearray)) else meta
    try:
        config = Seq2SeqConfig(**meta["config"])
        model = Seq2Seq(config, Vocab.from_json(meta.get("vocab")), Vocab.from_json(meta.get("target_vocab")))
    except (TypeError, ValueError, RuntimeError, OSError) as err:
        raise ValueError(_("{label} metadata or weights are unusable: {error}").format(label=label,
                                                                                      error=err)) from None
    zoo.load_weights(model, weights, label)
    model.meta = meta
    return model
