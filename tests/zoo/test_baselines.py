"""`python -m explorer.zoo baselines`: a model's stored baselines are recomputed from its task's data, and
nothing else in its metadata or weights changes."""
import json
import shutil

import pytest

from explorer.zoo import store
from explorer.zoo.checkpoint import paths
from explorer.zoo.rebuild import refresh_baselines

NAME = "poetry-lstm"  # the smallest text with n-gram baselines: counting it takes a few seconds


@pytest.fixture
def copy(tmp_path):
    if NAME not in store.available():
        pytest.skip("the pretrained zoo is not built")
    for path in paths(NAME):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def test_refreshing_restores_the_baselines_and_leaves_the_rest(copy):
    weights, meta_path = paths(NAME, copy)
    original = json.loads(meta_path.read_text(encoding="utf-8"))
    damaged = json.loads(json.dumps(original))
    for split in damaged["metrics"].values():
        split["baseline"]["value"] = 99.0
        split.pop("baselines", None)
    meta_path.write_text(json.dumps(damaged), encoding="utf-8")
    before = weights.read_bytes()

    test = refresh_baselines(NAME, copy)

    refreshed = json.loads(meta_path.read_text(encoding="utf-8"))
    for split in ("test", "val"):
        want, got = original["metrics"][split], refreshed["metrics"][split]
        assert got["baseline"]["value"] == pytest.approx(want["baseline"]["value"], abs=1e-9)
        assert [b["name"] for b in got["baselines"]] == [b["name"] for b in want["baselines"]]
        for b_want, b_got in zip(want["baselines"], got["baselines"]):
            assert b_got["value"] == pytest.approx(b_want["value"], abs=1e-9)
        assert got["value"] == want["value"]  # the model's own figure is untouched
    assert test == refreshed["metrics"]["test"]
    assert weights.read_bytes() == before
    assert store.load(NAME, copy).meta["metrics"]["test"]["baselines"][-1]["name"] == "5-gram (Kneser-Ney)"


def test_an_unknown_name_is_refused(copy):
    with pytest.raises(ValueError, match="no recipe named"):
        refresh_baselines("no-such-model", copy)
