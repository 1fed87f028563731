"""RNN Explorer's library: exact internals of recurrent nets, gradients through time, training."""
from .grads import Gradients, bptt, jacobian_norms
from .models import JordanRNN, ModelConfig, RNNModel
from .trace import Trace, trace
from .vocab import Vocab

__all__ = ["Gradients", "bptt", "jacobian_norms", "JordanRNN", "ModelConfig", "RNNModel", "Trace", "Vocab", "trace"]
