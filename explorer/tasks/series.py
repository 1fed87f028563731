"""Time-series forecasting with sliding windows: read `seq_len` past values, predict the next `horizon`.

Two sources: a synthetic process whose formula is known (so a forecast can be judged against the
truth), and the classic airline passengers series (Box & Jenkins Series G, 144 months, 1949-1960),
read from pretrained/data/airline_passengers.csv.

Two encodings. By default every value is normalised with the train split's mean and std. With
`relative=True` each window is read in log units relative to its own last value (a growing series:
the airline test months lie far above anything in training, but their month-to-month ratios do
not); `encode_window` and `decode_forecast` turn raw windows into model inputs and outputs back
into the series' units, for either encoding.

Two seasonal baselines stand beside the naive one (the last value repeated): `seasonal_naive`
(the value one season earlier) and, for a positive series, `seasonal_naive_with_growth` (that
value times the growth over the last season). Like any forecaster at the forecast origin they read
the series' history up to it, not only the window a model reads.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import torch

from explorer.i18n import N_, _
from explorer.tasks.base import Batch, Task, check_split, mse, split_name

AIRLINE_CSV = Path(__file__).resolve().parents[2] / "pretrained" / "data" / "airline_passengers.csv"
SPLIT_FRACTIONS = {"train": (0.0, 0.70), "val": (0.70, 0.85), "test": (0.85, 1.0)}
SEASONS = {"synthetic": 12, "airline": 12}  # steps per season: the synthetic formula's 12-step cycle; months a year
# the forecasts a model must beat, as figures and sentences name them (keys of StretchForecast's scores)
BASELINE_NAMES = {"naive": N_("naive (last value)"), "seasonal": N_("seasonal naive"),
                  "seasonal_growth": N_("seasonal naive with growth")}


def airline_passengers() -> tuple[list[str], torch.Tensor]:
    """Months ("1949-01", ...) and monthly passengers in thousands, (144,) float64."""
    months, values = [], []
    for line in AIRLINE_CSV.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or line.startswith("month") or not line.strip():
            continue  # source comment and header
        month, value = line.split(",")
        months.append(month)
        values.append(float(value))
    return months, torch.tensor(values, dtype=torch.float64)


def synthetic_series(length: int, seed: int) -> torch.Tensor:
    """x_t = 0.002 t + sin(2 pi t / 12) + 0.5 sin(2 pi t / 40) + e_t, e_t = 0.8 e_{t-1} + 0.2 n_t, n_t ~ N(0, 1).

    A slow trend, a 12-step season, a slower 40-step cycle and autocorrelated noise: enough
    structure that a good forecaster clearly beats the last-value baseline, not so much that
    the test split (after the trend has moved on) leaves the range seen in training. (length,) float64.
    """
    g = torch.Generator().manual_seed(seed)
    shocks = torch.randn(length, generator=g, dtype=torch.float64)  # (N,)
    noise, e = torch.empty(length, dtype=torch.float64), 0.0
    for t in range(length):  # AR(1) is a recurrence; a thousand steps of Python is instant
        e = 0.8 * e + 0.2 * float(shocks[t])
        noise[t] = e
    t = torch.arange(length, dtype=torch.float64)
    return 0.002 * t + torch.sin(2 * math.pi * t / 12) + 0.5 * torch.sin(2 * math.pi * t / 40) + noise


def seasonal_naive(history: torch.Tensor, season: int, horizon: int) -> torch.Tensor:
    """The value one season before each step forecast: y_hat(T+h) = y(T + h - s(k+1)), k = (h-1) // s, the
    seasonal naive method of Hyndman & Athanasopoulos (Forecasting: Principles and Practice, 5.2); past one
    season the last season repeats. history (..., N), N >= season, ends at the forecast origin y(T);
    returns (..., horizon)."""
    if history.shape[-1] < season:
        raise ValueError(_("seasonal naive needs a season ({season} values) before the forecast; there are only "
                           "{points}.").format(season=season, points=history.shape[-1]))
    return history[..., [h % season - season for h in range(horizon)]]


def seasonal_naive_with_growth(history: torch.Tensor, season: int, horizon: int) -> torch.Tensor:
    """Seasonal naive times the growth over the last season: y_hat(T+h) = y(T + h - s(k+1)) * (y(T) / y(T-s))^(k+1),
    k = (h-1) // s. On logarithms it is the seasonal random walk with drift (FPP 5.2 and 9.9) with the drift
    taken from the last seasonal change alone: last year's month times this year's growth, for a series that
    grows by a share each year (the airline passengers). history (..., N), N >= season + 1, positive, ends at
    y(T); returns (..., horizon)."""
    if history.shape[-1] < season + 1:
        raise ValueError(_("seasonal naive with growth needs a season and one more value ({needed}) before the "
                           "forecast; there are only {points}.").format(needed=season + 1, points=history.shape[-1]))
    if not bool((history > 0).all()):
        raise ValueError(_("seasonal naive with growth takes ratios, so it needs a positive series."))
    seasons_ahead = torch.arange(horizon) // season + 1  # (H,) k + 1
    growth = history[..., -1:] / history[..., -1 - season:-season]  # (..., 1): y(T) / y(T-s)
    return seasonal_naive(history, season, horizon) * growth ** seasons_ahead


@dataclass
class SeriesTask(Task):
    """Forecast the next `horizon` values from the last seq_len values (seq_len defaults to `window`).

    A sample, airline, window 12, horizon 1: x = twelve months of passengers, normalised with the
    train split's mean and std, shape (12, 1); y = the thirteenth month, normalised, shape (1,).
    Splits are by time (first 70% train, next 15% val, last 15% test) and a window, targets
    included, lies entirely inside its split. `denormalise` maps values back to original units.
    """

    source: str = "synthetic"  # "synthetic" or "airline"
    window: int = 12  # default input length: a year of months; the synthetic season is 12 steps too
    horizon: int = 1  # how many future values each sample predicts
    length: int = 1000  # synthetic only: number of steps generated
    seed: int = 0  # synthetic only: the series is fixed per seed, batches are drawn from it
    relative: bool = False  # read each window as log(value / the window's last value), scaled; positive series only

    name = "series"
    input_kind = "real"
    input_size = 1
    output_kind = "real"
    head = "last_step"
    metric_name = "MSE"
    higher_is_better = False

    def __post_init__(self):
        if self.source == "airline":
            self.time_labels, self.values = airline_passengers()
            self.title = N_("Forecast monthly airline passengers, 1949-1960 (Box & Jenkins Series G)")
        elif self.source == "synthetic":
            self.values = synthetic_series(self.length, self.seed)
            self.time_labels = [str(t) for t in range(self.length)]
            self.title = N_("Forecast a synthetic series: trend + two cycles + AR(1) noise")
        else:
            raise ValueError(_("unknown series source {source}; choose 'synthetic' or 'airline'.").format(
                source=repr(self.source)))
        n = len(self.values)
        self.bounds = {s: (int(n * lo), int(n * hi)) for s, (lo, hi) in SPLIT_FRACTIONS.items()}
        shortest = min(end - start for start, end in self.bounds.values())
        self.max_seq_len = shortest - self.horizon  # at least one whole window in every split
        if self.horizon < 1 or not 1 <= self.window <= self.max_seq_len:
            raise ValueError(
                _("the {source} series needs horizon >= 1 and 1 <= window <= {longest} (its shortest split has "
                  "{points} points); got window={window}, horizon={horizon}.").format(
                    source=self.source, longest=self.max_seq_len, points=shortest, window=self.window,
                    horizon=self.horizon))
        self.default_seq_len = self.window
        self.output_size = self.horizon
        self.season = SEASONS[self.source]
        train = self.values[slice(*self.bounds["train"])]
        # train statistics only: normalising with the whole series would leak the future into training
        self.mean, self.std = float(train.mean()), float(train.std())
        self.normalised = ((self.values - self.mean) / self.std).to(torch.float32)  # (N,)
        if self.relative:
            if not bool((self.values > 0).all()):
                raise ValueError(_("relative windows take logarithms, so they need a positive series; the "
                                   "{source} series has values at or below 0.").format(source=self.source))
            # one unit = a typical month-to-month log change in the train split (train only: no leak)
            self.log_step = float(train.log().diff().std())

    def denormalise(self, values):
        """Model-scale values (tensor, array or float) back to original units; for relative windows,
        to ratios to the window's last value (the units themselves need that value: decode_forecast)."""
        if self.relative:
            return torch.exp(torch.as_tensor(values, dtype=torch.float64) * self.log_step)
        return values * self.std + self.mean

    def encode_window(self, window: torch.Tensor) -> torch.Tensor:
        """Raw values (..., W) in the series' units -> what the model reads (..., W) float32."""
        if not self.relative:
            return ((window - self.mean) / self.std).to(torch.float32)
        return ((window.log() - window[..., -1:].log()) / self.log_step).to(torch.float32)

    def decode_forecast(self, output: torch.Tensor, window: torch.Tensor) -> torch.Tensor:
        """Model output (..., O) for the raw window (..., W) it read -> forecasts (..., O) in the series' units."""
        if not self.relative:
            return output.double() * self.std + self.mean
        return window[..., -1:] * torch.exp(output.double() * self.log_step)

    def _windows(self, starts: torch.Tensor, seq_len: int) -> Batch:
        if not self.relative:
            segments = self.normalised[starts[:, None] + torch.arange(seq_len + self.horizon)]  # (B, T+H)
            return Batch(x=segments[:, :seq_len, None], y=segments[:, seq_len:])  # (B, T, 1), (B, H)
        raw = self.values[starts[:, None] + torch.arange(seq_len + self.horizon)]  # (B, T+H)
        logs = (raw.log() - raw[:, seq_len - 1 : seq_len].log()) / self.log_step  # 0 at the last value read
        return Batch(x=logs[:, :seq_len, None].to(torch.float32), y=logs[:, seq_len:].to(torch.float32))

    def _starts(self, split: str, seq_len: int) -> tuple[int, int]:
        start, end = self.bounds[split]
        return start, end - seq_len - self.horizon + 1  # [first, last + 1) start of a window inside the split

    def batch(self, split: str, batch_size: int, seq_len: int, generator: torch.Generator) -> Batch:
        self.check_request(split, batch_size, seq_len)
        low, high = self._starts(split, seq_len)
        return self._windows(torch.randint(low, high, (batch_size,), generator=generator), seq_len)

    def all_windows(self, split: str, seq_len: int | None = None) -> Batch:
        """Every window of the split in time order: for evaluation and for plotting a forecast."""
        seq_len = self.default_seq_len if seq_len is None else seq_len
        self.check_request(split, 1, seq_len)
        return self._windows(torch.arange(*self._starts(split, seq_len)), seq_len)

    def naive_forecast(self, batch: Batch) -> torch.Tensor:
        """The last input value repeated over the horizon: (B, H) (0 for relative windows)."""
        return batch.x[:, -1, :].expand(-1, self.horizon)

    def baseline(self, split: str = "val") -> tuple[float, str]:
        check_split(split)
        windows = self.all_windows(split)
        value = float(mse(self.naive_forecast(windows), windows.y))
        said = (_("Repeating the last seen value (the naive forecast) has MSE {value} on the relative (log units of "
                  "the window's last value) {split} windows of length {length}.") if self.relative else
                _("Repeating the last seen value (the naive forecast) has MSE {value} on the normalised {split} "
                  "windows of length {length}."))
        return value, said.format(value=f"{value:.4f}", split=split_name(split), length=self.default_seq_len)

    def seasonal_forecasts(self, origins, horizon: int) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
        """The seasonal baselines from each forecast origin (the index of the last value read): (B, horizon)
        forecasts in the series' units by name ("seasonal"; "seasonal_growth" for a positive series), and for
        each one the history before the earliest origin is too short for, the sentence saying why."""
        origins = torch.as_tensor(origins, dtype=torch.long)  # (B,)
        span = min(self.season + 1, int(origins.min()) + 1)  # the last season and one more, where the series has it
        history = self.values[origins[:, None] + torch.arange(1 - span, 1)]  # (B, span), ending at y(T)
        rules = {"seasonal": seasonal_naive}
        if bool((self.values > 0).all()):  # growth is a ratio: only for a series that stays above 0
            rules["seasonal_growth"] = seasonal_naive_with_growth
        made, missing = {}, {}
        for name, rule in rules.items():
            try:
                made[name] = rule(history, self.season, horizon)
            except ValueError as err:
                missing[name] = str(err)
        return made, missing

    def scaled_error(self, forecast: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
        """Forecast minus truth, both in the series' units, on the scale the model's MSE is measured on:
        normalised, or for relative windows log units of a typical step (the window's last value cancels)."""
        if self.relative:
            return (forecast.log() - truth.log()) / self.log_step
        return (forecast - truth) / self.std

    def extra_baselines(self, split: str = "test") -> list[tuple[str, float, str]]:
        """The seasonal baselines as (name, MSE on every window of `split` on the model's scale, sentence)."""
        check_split(split)
        starts = torch.arange(*self._starts(split, self.default_seq_len))  # (B,)
        origins = starts + self.default_seq_len - 1
        truth = self.values[origins[:, None] + 1 + torch.arange(self.horizon)]  # (B, H)
        made, _missing = self.seasonal_forecasts(origins, self.horizon)
        said = {"seasonal": (_("Repeating the value one season ({season} steps) earlier (seasonal naive) has MSE "
                               "{value} on the relative (log units of the window's last value) {split} windows of "
                               "length {length}.") if self.relative else
                             _("Repeating the value one season ({season} steps) earlier (seasonal naive) has MSE "
                               "{value} on the normalised {split} windows of length {length}.")),
                "seasonal_growth": (_("The value one season ({season} steps) earlier times the growth over the last "
                                      "season (seasonal naive with growth) has MSE {value} on the relative (log units "
                                      "of the window's last value) {split} windows of length {length}.")
                                    if self.relative else
                                    _("The value one season ({season} steps) earlier times the growth over the last "
                                      "season (seasonal naive with growth) has MSE {value} on the normalised {split} "
                                      "windows of length {length}."))}
        rows = []
        for name, forecast in made.items():
            value = float((self.scaled_error(forecast, truth) ** 2).mean())
            rows.append((BASELINE_NAMES[name], value, said[name].format(
                season=self.season, value=f"{value:.4f}", split=split_name(split), length=self.default_seq_len)))
        return rows

    def mae_original_units(self, output: torch.Tensor, batch: Batch) -> float:
        """Mean absolute error in the series' own units (thousands of passengers for airline)."""
        self._check_output(output, batch)
        if self.relative:
            raise ValueError(_("relative windows do not carry their last value; score forecasts from "
                               "decode_forecast against the raw series instead."))
        return float((output.detach() - batch.y).abs().mean() * self.std)

    def describe(self, batch: Batch, index: int = 0) -> dict:
        described = {
            "input": [round(float(v), 3) for v in self.denormalise(batch.x[index, :, 0])],
            "target": [round(float(v), 3) for v in self.denormalise(batch.y[index])],
        }
        return dict(described, units="ratio to the last value read") if self.relative else described
