"""How long the Gradients-through-time page takes to draw, against the bare explorer.bptt it is built on.

    python bench/bench_gradients.py            # 200 and 1,000 characters, the pretrained english-rnn/gru/lstm
    python bench/bench_gradients.py matched    # the parameter-matched set (english-rnn-matched has 256 units)

A page run is the whole Gradients page in AppTest (the same script the server runs), with every cache
cleared first: bptt with the Jacobian over the last 300 characters, saliency at one step, the spectra,
every figure built and serialised, the clipping lab not pressed. The reference is bare `bptt(model, text)`
for the same three models, one after the other. Median of a few runs, torch on one thread.
"""
import os
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
torch.set_num_threads(1)

import streamlit as st  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from explorer import bptt, zoo  # noqa: E402

SETS = {"same": ("english-rnn", "english-gru", "english-lstm"),
        "matched": ("english-rnn-matched", "english-gru-matched", "english-lstm")}
TARGETS = {200: 1.0, 1000: 3.0}  # seconds
SENTENCES = ("And he said unto them, Behold, the everlasting covenant is with you; fear not. "
             "In the beginning God created the heaven and the earth (and the earth was without form). "
             "Then Peter said, Lord, how oft shall my brother sin against me, and I forgive him? ")


def sample_text(length: int) -> str:
    return (SENTENCES * (length // len(SENTENCES) + 1))[:length]


def page_seconds(text: str, model_set: str, repeats: int = 3) -> float:
    os.environ.pop("RNN_EXPLORER_ZOO_DIR", None)
    times = []
    for _ in range(repeats):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.query_params.update(set=model_set, text=text)
        at.run()
        st.cache_data.clear()  # bptt results are cached per (model, text): time the uncached work
        start = time.perf_counter()
        at.switch_page("pages/gradients.py").run()
        times.append(time.perf_counter() - start)
        assert not at.exception, at.exception
        assert not at.error, [e.value for e in at.error]
    return statistics.median(times)


def bare_bptt_seconds(models, text: str, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for model in models:
            bptt(model, text, loss="last")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    model_set = sys.argv[1] if len(sys.argv) > 1 else "same"
    missing = [n for n in SETS[model_set] if n not in zoo.available()]
    if missing:
        print(f"missing pretrained models {missing}; build them with python -m explorer.zoo build NAME")
        return
    models = [zoo.load(n) for n in SETS[model_set]]
    page_seconds(sample_text(50), model_set, repeats=1)  # warm-up: imports, model loading (cached resources)
    for length, target in TARGETS.items():
        text = sample_text(length)
        page = page_seconds(text, model_set)
        bare = bare_bptt_seconds(models, text)
        verdict = "ok" if page < target else "OVER"
        print(f"gradients page {length:>5,} chars x {len(models)} models ({model_set}): {page:.2f} s "
              f"(target < {target:g} s, {verdict}); bare bptt {bare:.3f} s")


if __name__ == "__main__":
    main()
