"""The seasonal baselines of the series task against numbers worked out by hand on tiny series."""
import pytest
import torch

from explorer.tasks.base import mse
from explorer.tasks.series import SeriesTask, seasonal_naive, seasonal_naive_with_growth

# two seasons of four and one more value: 10 20 30 40 | 12 24 36 48 | 15, forecast origin y(T) = 15
HISTORY = torch.tensor([10.0, 20, 30, 40, 12, 24, 36, 48, 15], dtype=torch.float64)


def test_seasonal_naive_by_hand():
    # h = 1..4 read y(T+h-4) = 24 36 48 15; h = 5..6 repeat the last season again
    assert seasonal_naive(HISTORY, 4, 6).tolist() == [24, 36, 48, 15, 24, 36]
    assert seasonal_naive(HISTORY[-4:], 4, 1).tolist() == [24]  # one season is enough
    rows = torch.stack([HISTORY[:5], HISTORY[4:]])  # (2, 5): any leading shape
    assert seasonal_naive(rows, 4, 2).tolist() == [[20, 30], [24, 36]]


def test_seasonal_naive_with_growth_by_hand():
    # growth over the last season y(T) / y(T-4) = 15 / 12 = 1.25; once per season ahead
    assert seasonal_naive_with_growth(HISTORY, 4, 6).tolist() == pytest.approx(
        [24 * 1.25, 36 * 1.25, 48 * 1.25, 15 * 1.25, 24 * 1.25 ** 2, 36 * 1.25 ** 2])
    assert seasonal_naive_with_growth(HISTORY[-5:], 4, 1).tolist() == pytest.approx([30.0])


def test_too_little_history_or_a_non_positive_series_is_one_sentence():
    with pytest.raises(ValueError, match=r"needs a season \(4 values\) before the forecast; there are only 3"):
        seasonal_naive(HISTORY[-3:], 4, 1)
    with pytest.raises(ValueError, match=r"needs a season and one more value \(5\) before the forecast; there are "
                                         r"only 4"):
        seasonal_naive_with_growth(HISTORY[-4:], 4, 1)
    with pytest.raises(ValueError, match="needs a positive series"):
        seasonal_naive_with_growth(HISTORY - 20, 4, 1)


def test_the_task_reads_the_series_up_to_each_origin():
    task = SeriesTask(source="airline", window=6, horizon=3)  # a window shorter than the season
    made, missing = task.seasonal_forecasts([50, 100], 3)
    y = task.values
    assert not missing and set(made) == {"seasonal", "seasonal_growth"}
    torch.testing.assert_close(made["seasonal"], torch.stack([y[39:42], y[89:92]]))
    torch.testing.assert_close(made["seasonal_growth"][1], y[89:92] * y[100] / y[88])
    made, missing = task.seasonal_forecasts([11], 1)  # 12 months up to the origin: no year before the first
    assert list(made) == ["seasonal"] and made["seasonal"].tolist() == [[float(y[0])]]
    assert "one more value (13)" in missing["seasonal_growth"]
    synthetic = SeriesTask(source="synthetic")  # below 0 at times: no growth ratio
    assert list(synthetic.seasonal_forecasts([500], 2)[0]) == ["seasonal"] and synthetic.season == 12


def test_extra_baselines_score_every_window_of_the_split_on_the_models_scale():
    for relative in (False, True):
        task = SeriesTask(source="airline", window=12, horizon=2, relative=relative)
        rows = {name: value for name, value, _sentence in task.extra_baselines("test")}
        assert list(rows) == ["seasonal naive", "seasonal naive with growth"]
        windows = task.all_windows("test")
        y = task.values
        starts = torch.arange(task.bounds["test"][0], task.bounds["test"][1] - 12 - 2 + 1)  # (B,)
        origins = starts + 11
        growth = (y[origins] / y[origins - 12])[:, None]
        by_hand = {"seasonal naive": torch.stack([y[origins - 11], y[origins - 10]], 1)}
        by_hand["seasonal naive with growth"] = by_hand["seasonal naive"] * growth
        for name, forecast in by_hand.items():
            # into what the model reads and writes: normalised values, or log ratios to the window's last value
            encoded = (forecast.log() - y[origins, None].log()) / task.log_step if relative else (
                (forecast - task.mean) / task.std)
            assert rows[name] == pytest.approx(float(mse(encoded.float(), windows.y)), rel=1e-5), (relative, name)
    assert "(seasonal naive) has MSE" in task.extra_baselines("val")[0][2] and "val windows" in \
        task.extra_baselines("val")[0][2]
    with pytest.raises(ValueError, match="split must be one of"):
        task.extra_baselines("holdout")
