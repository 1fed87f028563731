"""The library on a GPU: same numbers as on the CPU. Skipped where there is no CUDA device."""
import numpy as np
import pytest
import torch
from torch import nn

from explorer import ModelConfig, RNNModel, Vocab, bptt, trace

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")


@pytest.mark.parametrize("cls", [nn.RNN, nn.GRU, nn.LSTM])
def test_trace_and_bptt_on_cuda_equal_cpu(cls):
    torch.manual_seed(0)
    cpu = cls(6, 16, num_layers=2, bidirectional=True).double().eval()  # eval: cuDNN refuses RNN backward here,
    gpu = cls(6, 16, num_layers=2, bidirectional=True).double().cuda().eval()  # which bptt never asks it for
    gpu.load_state_dict(cpu.state_dict())
    x = torch.randn(50, 6, dtype=torch.float64)

    def loss(out):
        return (out ** 2).sum()

    a, b = trace(cpu, x), trace(gpu, x.cuda())
    np.testing.assert_allclose(a.hidden, b.hidden, atol=1e-10)
    for name in a.gates:
        np.testing.assert_allclose(a.gates[name], b.gates[name], atol=1e-10)
    ga, gb = bptt(cpu, x, loss, jacobian=True), bptt(gpu, x.cuda(), loss, jacobian=True)
    np.testing.assert_allclose(ga.dh, gb.dh, atol=1e-9)
    np.testing.assert_allclose(ga.jacobian, gb.jacobian, atol=1e-9)


def test_model_on_cuda_text_trace_and_gradients():
    vocab = Vocab.from_chars("abc ")
    model = RNNModel(ModelConfig(input_size=len(vocab), output_size=len(vocab), hidden_size=8), vocab).eval()
    gpu = RNNModel(model.config, vocab).cuda().eval()
    gpu.load_state_dict(model.state_dict())
    a, b = bptt(model, "abc cba", loss="sum"), bptt(gpu, "abc cba", loss="sum")
    np.testing.assert_allclose(a.dh, b.dh, atol=1e-5)
    np.testing.assert_allclose(a.trace.probs, b.trace.probs, atol=1e-5)
