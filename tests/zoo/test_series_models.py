"""The shipped forecasters against the seasonal baselines, re-scored from their weights and data: what the
metadata stores and what the docs claim (series-lstm beats seasonal naive at every step ahead; airline-lstm
beats seasonal naive but loses to seasonal naive with growth)."""
import json
import shutil

import pytest
import torch

from explorer.zoo import RECIPES, load, make_task, store
from explorer.zoo.checkpoint import paths
from explorer.zoo.rebuild import refresh_baselines

SERIES = ["series-lstm", "airline-lstm"]


def needs(name):
    if name not in store.available():
        pytest.skip("the pretrained zoo is not built")


def split_forecasts(name: str, split: str) -> dict[str, torch.Tensor]:
    """Every window of the recipe's task on `split`: the model's forecasts, the baselines' and the truth,
    (B, horizon) each in the series' units."""
    model, task = load(name), make_task(RECIPES[name])
    windows = task.all_windows(split)
    origins = torch.arange(*task._starts(split, task.window)) + task.window - 1  # (B,) the last value read
    read = task.values[origins[:, None] + torch.arange(1 - task.window, 1)]  # (B, W)
    with torch.no_grad():
        out, _ = model(windows.x)
    made, missing = task.seasonal_forecasts(origins, task.horizon)
    assert not missing
    return {"model": task.decode_forecast(out, read), "naive": read[:, -1:].expand(-1, task.horizon), **made,
            "truth": task.values[origins[:, None] + 1 + torch.arange(task.horizon)]}


@pytest.mark.parametrize("split", ["test", "val"])
def test_series_lstm_beats_seasonal_naive_at_every_step_ahead(split):
    needs("series-lstm")
    got = split_forecasts("series-lstm", split)
    task = make_task(RECIPES["series-lstm"])
    mse = {k: (task.scaled_error(got[k], got["truth"]) ** 2).mean(0) for k in ("model", "naive", "seasonal")}
    assert (mse["model"] < mse["seasonal"]).all() and (mse["model"] < mse["naive"]).all(), mse
    if split == "test":  # by a clear margin where the forecast is hardest
        assert mse["model"][-1] < 0.75 * mse["seasonal"][-1], mse


def test_airline_lstm_beats_seasonal_naive_and_loses_to_it_with_growth():
    needs("airline-lstm")
    for split, growth_mae in (("test", 19.32), ("val", 11.43)):
        got = split_forecasts("airline-lstm", split)
        mae = {k: float((v - got["truth"]).abs().mean()) for k, v in got.items() if k != "truth"}
        assert mae["model"] < 0.5 * mae["naive"] and mae["seasonal_growth"] == pytest.approx(growth_mae, abs=0.01)
        assert mae["seasonal_growth"] < mae["model"], (split, mae)  # thousand passengers a month
    assert mae["seasonal"] < mae["model"]  # on the validation months plain seasonal naive wins too


@pytest.fixture(params=SERIES)
def copy(request, tmp_path):
    needs(request.param)
    for path in paths(request.param):
        shutil.copy(path, tmp_path / path.name)
    return request.param, tmp_path


def test_refreshing_restores_the_seasonal_baselines_and_leaves_the_rest(copy):
    name, folder = copy
    weights, meta_path = paths(name, folder)
    original = json.loads(meta_path.read_text(encoding="utf-8"))
    damaged = json.loads(json.dumps(original))
    for split in damaged["metrics"].values():
        split["baseline"]["value"] = 99.0
        split.pop("baselines")
    meta_path.write_text(json.dumps(damaged), encoding="utf-8")
    before = weights.read_bytes()

    test = refresh_baselines(name, folder)

    refreshed = json.loads(meta_path.read_text(encoding="utf-8"))
    assert refreshed == original  # the shipped file holds what its data gives today, and nothing else moved
    assert weights.read_bytes() == before
    names = [b["name"] for b in test["baselines"]]
    assert names == (["seasonal naive", "seasonal naive with growth"] if name == "airline-lstm" else
                     ["seasonal naive"])
    assert "test windows" in test["baseline"]["description"]  # the naive forecast on the split it stands beside
    if name == "series-lstm":  # the stored figures say what the re-scoring above says
        assert test["value"] < 0.5 * test["baselines"][0]["value"] < test["baseline"]["value"]
