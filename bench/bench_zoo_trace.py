"""A 200-character trace of each English zoo model, against the same model's fused torch.nn forward.

    python bench/bench_zoo_trace.py

Inspect's default model must trace 200 characters well under 0.1 s; the showpiece (english-lstm-512) is
four times wider. One thread, as the app's server runs; best of 7 runs, the two sides interleaved.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402

from explorer import trace, zoo  # noqa: E402

TEXT = ("And it came to pass, when the king heard the words of the book of the law, that he rent his clothes. "
        "And the king commanded Hilkiah the priest, and Ahikam the son of Shaphan, and Achbor the son of M")
MODELS = ("english-lstm", "english-gru-matched", "english-lstm-512")


def best_of(fn, repeats=7):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def main():
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, 1 thread, {len(TEXT)} characters, best of 7")
    print(f"{'model':22s} {'params':>9s} {'fused ms':>9s} {'trace ms':>9s} {'ratio':>6s}")
    for name in MODELS:
        if name not in zoo.available():
            print(f"{name:22s} not built")
            continue
        model = zoo.load(name)
        ids = model.encode(TEXT).ids  # (T,)
        trace(model, TEXT)  # warm both paths once

        def fused():
            with torch.no_grad():
                model(ids)

        fused_ms = best_of(fused)
        traced_ms = best_of(lambda: trace(model, TEXT))
        params = sum(p.numel() for p in model.parameters())
        print(f"{name:22s} {params:9,d} {fused_ms:9.1f} {traced_ms:9.1f} {traced_ms / fused_ms:5.2f}x")


if __name__ == "__main__":
    main()
