"""How long the Inspect page takes to redraw after the text changes, and how many bytes it sends.

    python bench/bench_inspect.py

Drives the real page headless (streamlit's AppTest): type a 200-character and a 2,000-character
text, time each rerun (trace + every figure + serialisation), and print the bytes of each
figure's JSON. The bare `explorer.trace()` on the same text is printed as the reference.
Uses pretrained/english-lstm when it exists, else a random model of the same size.
"""
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

torch.set_num_threads(int(os.environ.get("RNN_EXPLORER_THREADS", 1)))

import explorer  # noqa: E402
from explorer import ModelConfig, RNNModel, zoo  # noqa: E402
from explorer.app.catalog import ZOO_ENV  # noqa: E402
from explorer.tasks import get as get_task  # noqa: E402

SENTENCE = 'And he said, "Behold (the) everlasting covenant" unto them, and (they) went out. '


def model_folder() -> tuple[str, str]:
    if "english-lstm" in zoo.available():
        return str(zoo.ZOO_DIR), "pretrained english-lstm"
    folder = tempfile.mkdtemp(prefix="bench-zoo-")
    vocab = get_task("english").vocab
    torch.manual_seed(0)
    model = RNNModel(ModelConfig(cell="lstm", input_size=len(vocab), output_size=len(vocab), hidden_size=128), vocab)
    zoo.save(model, "english-lstm", {"task": "english", "cell": "lstm", "parameters": model.num_parameters()}, folder)
    return folder, "random english-lstm-sized model (the zoo is not built yet)"


def main():
    folder, what = model_folder()
    os.environ[ZOO_ENV] = folder
    from streamlit.testing.v1 import AppTest

    print(f"model: {what}; torch threads {torch.get_num_threads()}")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/inspect.py").run()
    model = zoo.load("english-lstm", folder)
    for chars in (200, 2000):
        base = (SENTENCE * (chars // len(SENTENCE) + 1))[:chars]
        runs = []
        for k in range(4):  # a new text each time, so nothing comes from the cache
            text = base[:-1] + "abcd"[k]
            start = time.perf_counter()
            at.text_area(key="text").input(text).run()
            runs.append(time.perf_counter() - start)
            assert not at.exception, at.exception
        traces = []
        for _ in range(5):
            start = time.perf_counter()
            explorer.trace(model, base, k=5)
            traces.append(time.perf_counter() - start)
        rerun, bare = statistics.median(runs[1:]), statistics.median(traces)
        print(f"inspect rerun {chars} chars: {rerun:.3f} s (target < 0.5 s); bare trace() {bare * 1000:.1f} ms "
              f"= {100 * bare / rerun:.0f}% of the rerun")
        sizes = []
        for chart in at.get("plotly_chart"):
            spec = json.loads(chart.proto.spec)
            sizes.append((len(chart.proto.spec.encode()), spec["layout"]["title"]["text"]))
        biggest = max(sizes)
        print(f"  figures: {len(sizes)}, {sum(s for s, _ in sizes) / 1e6:.2f} MB in all; largest "
              f"{biggest[0] / 1e6:.3f} MB (target < 2 MB): {biggest[1]}")
        for size, title in sizes:
            print(f"    {size / 1e3:8.1f} kB  {title}")


if __name__ == "__main__":
    main()
