"""Models for a task: a config whose input and output fit it, seeded initial weights, a trainable clone.

    task = explorer.tasks.get("brackets")
    model = build_model(config_for(task, cell="lstm", hidden_size=32), task.vocab, seed=0)
    check_model_fits(task, model)   # ValueError with one sentence when the model reads or writes something else
"""
from __future__ import annotations

import copy

import torch
from torch import nn

from explorer.engine.models import ModelConfig, RNNModel
from explorer.engine.vocab import Vocab
from explorer.i18n import _
from explorer.tasks.base import Task


def config_for(task: Task, cell: str = "lstm", hidden_size: int = 128, num_layers: int = 1,
               bidirectional: bool = False, input_mode: str | None = None, embedding_size: int = 32,
               **extra) -> ModelConfig:
    """A ModelConfig whose input, output and head fit `task`. `extra` goes to ModelConfig as is
    (nonlinearity, jordan_feedback). Bad values raise ValueError with one sentence."""
    if task.input_kind == "real":
        if input_mode not in (None, "real"):
            raise ValueError(_("The {task} task reads real values, so the input mode must be real; got {value!r}.")
                             .format(task=task.name, value=input_mode))
        input_mode = "real"
    else:
        input_mode = "embedding" if input_mode is None else input_mode
        if input_mode not in ("embedding", "onehot"):
            raise ValueError(_("The {task} task reads tokens, so the input mode must be embedding or onehot; "
                               "got {value!r}.").format(task=task.name, value=input_mode))
    return ModelConfig(cell=cell, input_mode=input_mode, input_size=task.input_size, embedding_size=embedding_size,
                       hidden_size=hidden_size, num_layers=num_layers, bidirectional=bidirectional, head=task.head,
                       output_size=task.output_size, output_kind=task.output_kind, **extra)


def build_model(config: ModelConfig, vocab: Vocab | None = None, seed: int = 0) -> RNNModel:
    """A freshly initialised model whose weights depend on `seed` only; the global RNG is left as it was."""
    with torch.random.fork_rng(devices=[]):  # devices=[]: CPU only, and no warning about CUDA
        torch.manual_seed(seed)
        return RNNModel(config, vocab).train()


def clone_for_training(model: RNNModel) -> RNNModel:
    """A deep copy (weights, config, vocab, meta) in train mode with every gradient on: train it,
    and the original (say a cached pretrained model) keeps its weights bit for bit."""
    clone = copy.deepcopy(model)
    clone.train()
    clone.requires_grad_(True)
    return clone


def check_model_fits(task: Task, model: nn.Module) -> None:
    """Refuse, with one sentence, a model whose input or output does not match the task."""
    config = model.config
    wants = {"input_size": task.input_size, "output_size": task.output_size, "head": task.head,
             "output_kind": task.output_kind}
    for name, value in wants.items():
        if getattr(config, name) != value:
            raise ValueError(_("This model's {field} is {value!r} but the {task} task needs {wanted!r}; build it "
                               "with config_for(task).").format(field=name, value=getattr(config, name),
                                                                 task=task.name, wanted=value))
    if (config.input_mode == "real") != (task.input_kind == "real"):
        raise ValueError(_("This model's input mode is {mode} but the {task} task gives {kind}; build it with "
                           "config_for(task).").format(mode=config.input_mode, task=task.name, kind=task.input_kind))
    vocab = getattr(model, "vocab", None)
    if vocab is not None and task.vocab is not None and vocab.itos != task.vocab.itos:
        raise ValueError(_("This model was built for another vocabulary than the {task} task's; build it with "
                           "config_for(task) and task.vocab.").format(task=task.name))
