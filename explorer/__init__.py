"""RNN Explorer's library: exact internals of recurrent nets, gradients through time, training.

    import explorer
    tr = explorer.trace(torch.nn.LSTM(8, 32), torch.randn(100, 8))   # every h_t, c_t and gate
    g = explorer.bptt(model, "some text")                             # dL/dh_t through every path
    model = explorer.zoo.load("english-lstm")                         # a pretrained model

The layers, lowest first. A module imports its own layer and the ones before it, never one after
(tests/test_architecture.py walks every import, those inside functions too):

    engine/     cells (the readable reference), models, vocab, trace, grads, sampling: exact maths, torch only
    tasks/      one file per data set: batches, loss, metric, the baseline to beat
    training/   the trainer, the Train page's playground, the server's share of training time, the clipping lab
    zoo/        checkpoints (one gate for every file), recipes, rebuilding, importing your own model
    seq2seq/    the encoder-decoder: its own model kind, which it registers with zoo
    analysis/   what the views derive: unit orderings, probes and units, interventions, the course views
    figures/    pure Plotly builders; the house look and palette stated once
    app/        the only code that imports streamlit: model catalogue, caches, URL state, pickers, widgets

This file re-exports the public API that notebooks call; docs/architecture.md has the rest.
"""
from explorer import seq2seq, tasks, zoo  # seq2seq registers its checkpoint kind with zoo (explorer/zoo/kinds.py)
from explorer.engine.grads import Gradients, bptt, jacobian_norms
from explorer.engine.models import JordanRNN, ModelConfig, RNNModel
from explorer.engine.trace import Trace, trace
from explorer.engine.vocab import Vocab
from explorer.training import train

__all__ = ["Gradients", "JordanRNN", "ModelConfig", "RNNModel", "Trace", "Vocab", "bptt", "jacobian_norms",
           "seq2seq", "tasks", "train", "trace", "zoo"]
