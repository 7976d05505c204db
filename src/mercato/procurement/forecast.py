"""Daily sales forecasts for purchase suggestions, many series at once (issue 14 part 2).

Each series is one SKU in one warehouse: units sold per day, oldest first, the last column
yesterday. The method is chosen per series by rule:

- **holt_winters** — at least HW_MIN_DAYS days since the first sale and at least
  HW_MIN_MEAN units a day on average: additive Holt-Winters with a weekly season (no
  trend). statsmodels' ExponentialSmoothing estimates the smoothing parameters (α, γ) of
  the FIT_EACH largest such series one by one (on their last FIT_DAYS days); the other
  seasonal series take the median of those parameters (fitting tens of thousands of
  models one by one takes minutes). The level and season recursion then runs for all of
  them at once over numpy arrays; for the same parameters and starting values its
  one-step-ahead values are statsmodels' (test_forecast.py).
- **ses** — at least SES_MIN_DAYS days of history: simple exponential smoothing, α chosen
  per series from SES_ALPHAS by the smallest one-step-ahead error, all series at once.
- **moving_average** — shorter history: the mean of the days since the first sale (at most
  MA_DAYS).
- **none** — never sold: forecast 0.

σ (for the safety stock) is the root mean square of the one-step-ahead errors of the
series' own method (the standard deviation of its days for the moving average).
"""

import warnings
from dataclasses import dataclass

import numpy as np
from django.utils.translation import gettext_lazy as _

SEASON = 7
HW_MIN_DAYS = 8 * SEASON
HW_MIN_MEAN = 0.5
SES_MIN_DAYS = 14
MA_DAYS = 28
SES_ALPHAS = (0.05, 0.1, 0.2, 0.3, 0.5)
FIT_EACH = 24
FIT_DAYS = 26 * SEASON  # statsmodels estimates from the last half year
DEFAULT_ALPHA, DEFAULT_GAMMA = 0.2, 0.1
CHUNK = 4_000  # series per step: bounds the memory of the batched recursions

HOLT_WINTERS, SES, MOVING_AVERAGE, NONE = "holt_winters", "ses", "moving_average", "none"
METHOD_LABELS = {
    HOLT_WINTERS: _("Holt-Winters, weekly season"),
    SES: _("Simple exponential smoothing"),
    MOVING_AVERAGE: _("Moving average"),
    NONE: _("No sales"),
}


@dataclass
class Forecasts:
    """One row per series: its method, forecast units per future day [n, horizon], σ of
    one day's demand, and the one-step-ahead fitted values [n, T] (NaN before the model
    starts) for the chart."""

    method: np.ndarray
    daily: np.ndarray
    sigma: np.ndarray
    fitted: np.ndarray


def first_sale(history: np.ndarray) -> np.ndarray:
    """Index of each series' first day with a sale (T for a series without one)."""
    sold = history > 0
    return np.where(sold.any(axis=1), sold.argmax(axis=1), history.shape[1])


def choose_methods(history: np.ndarray) -> np.ndarray:
    days = history.shape[1]
    start = first_sale(history)
    length = days - start
    mean = history.sum(axis=1) / np.maximum(length, 1)
    method = np.full(len(history), NONE, dtype=object)
    method[length > 0] = MOVING_AVERAGE
    method[length >= SES_MIN_DAYS] = SES
    method[(length >= HW_MIN_DAYS) & (mean >= HW_MIN_MEAN)] = HOLT_WINTERS
    return method


def forecast(history, horizon: int, *, with_fitted=False, progress=None, chunk=CHUNK) -> Forecasts:
    """Forecasts for every row of `history` (units per day, [n, T]) over `horizon` days,
    `chunk` series at a time (memory stays small; `progress(done, total)` after each).
    The Holt-Winters parameters are estimated once, over all the seasonal series.
    `with_fitted`: keep the one-step-ahead values (the chart), else Forecasts.fitted is
    None."""
    history = np.asarray(history, dtype=float)
    if history.ndim != 2:
        raise ValueError("history must be a 2-d array: series × days")
    n, days = history.shape
    method = choose_methods(history)
    start = first_sale(history)
    daily = np.zeros((n, horizon))
    sigma = np.zeros(n)
    fitted = np.full((n, days), np.nan) if with_fitted else None
    seasonal = method == HOLT_WINTERS
    alpha, gamma = np.full(n, np.nan), np.full(n, np.nan)
    if seasonal.any():
        alpha[seasonal], gamma[seasonal] = holt_winters_parameters(
            history[seasonal], start[seasonal]
        )
    for begin in range(0, n, chunk):
        part = slice(begin, min(begin + chunk, n))
        for name in (MOVING_AVERAGE, SES, HOLT_WINTERS):
            rows = begin + np.nonzero(method[part] == name)[0]
            if not len(rows):
                continue
            if name == MOVING_AVERAGE:
                daily[rows], sigma[rows] = _moving_average(history[rows], start[rows], horizon)
                continue
            if name == SES:
                ahead, sig, fit = _ses(history[rows], start[rows], horizon, with_fitted)
            else:
                ahead, sig, fit = holt_winters(
                    history[rows], start[rows], alpha[rows], gamma[rows], horizon
                )
            daily[rows], sigma[rows] = ahead, sig
            if with_fitted:
                fitted[rows] = fit
        if progress:
            progress(part.stop, n)
    return Forecasts(method=method, daily=np.maximum(daily, 0), sigma=sigma, fitted=fitted)


def _moving_average(history, start, horizon):
    days = history.shape[1]
    first = np.maximum(start, days - MA_DAYS)
    mask = np.arange(days)[None, :] >= first[:, None]
    count = mask.sum(axis=1)
    mean = (history * mask).sum(axis=1) / count
    var = (((history - mean[:, None]) ** 2) * mask).sum(axis=1) / count
    return np.repeat(mean[:, None], horizon, axis=1), np.sqrt(var)


def _ses(history, start, horizon, with_fitted=True):
    """All alphas of SES_ALPHAS at once ([a, n] states); each series keeps its best."""
    n, days = history.shape
    alphas = np.array(SES_ALPHAS)[:, None]
    rows = np.arange(n)
    level = np.repeat(
        history[rows[:, None], start[:, None] + np.arange(SEASON)].mean(axis=1)[None],
        len(alphas),
        axis=0,
    )
    warm = start + SEASON
    sse = np.zeros((len(alphas), n))
    count = np.zeros(n)
    fitted = np.full((len(alphas), n, days), np.nan) if with_fitted else None
    for t in range(int(warm.min()), days):
        active = t >= warm
        y = history[:, t]
        error = np.where(active, y - level, 0.0)
        if with_fitted:
            fitted[:, :, t] = np.where(active, level, np.nan)
        sse += error**2
        count += active
        level = level + alphas * error
    best = sse.argmin(axis=0)
    sigma = np.sqrt(sse[best, rows] / np.maximum(count, 1))
    kept = fitted[best, rows] if with_fitted else None
    return np.repeat(level[best, rows][:, None], horizon, axis=1), sigma, kept


def initial_states(history, start):
    """Starting level (mean of the first two weeks) and season (each weekday's mean over
    those weeks minus the level), the season indexed by day number mod SEASON."""
    n = len(history)
    rows = np.arange(n)[:, None]
    first = history[rows, start[:, None] + np.arange(2 * SEASON)]
    level = first.mean(axis=1)
    by_day = (first[:, :SEASON] + first[:, SEASON:]) / 2 - level[:, None]
    season = np.zeros((n, SEASON))
    slots = (start[:, None] + np.arange(SEASON)) % SEASON
    season[rows, slots] = by_day
    return level, season


def holt_winters(history, start, alpha, gamma, horizon, level=None, season=None):
    """The additive Holt-Winters recursion (weekly season, no trend) for many series at
    once; each series from its own start (its first 2 weeks give the starting states
    unless `level`/`season` are given). Returns the forecast [n, horizon], σ of the
    one-step-ahead errors and the one-step-ahead fitted values [n, T]."""
    n, days = history.shape
    if level is None:
        level, season = initial_states(history, start)
        warm = start + 2 * SEASON
    else:
        warm = np.asarray(start)
    level, season = level.astype(float).copy(), season.astype(float).copy()
    alpha, gamma = np.broadcast_to(alpha, (n,)), np.broadcast_to(gamma, (n,))
    sse, count = np.zeros(n), np.zeros(n)
    fitted = np.full((n, days), np.nan)
    for t in range(int(warm.min()) if n else days, days):
        active = t >= warm
        y, s = history[:, t], season[:, t % SEASON]
        prediction = level + s
        error = np.where(active, y - prediction, 0.0)
        fitted[:, t] = np.where(active, prediction, np.nan)
        sse += error**2
        count += active
        new_level = alpha * (y - s) + (1 - alpha) * level
        new_season = gamma * (y - level) + (1 - gamma) * s
        level = np.where(active, new_level, level)
        season[:, t % SEASON] = np.where(active, new_season, s)
    ahead = season[:, (days + np.arange(horizon)) % SEASON] + level[:, None]
    return ahead, np.sqrt(sse / np.maximum(count, 1)), fitted


def holt_winters_parameters(history, start):
    """(α, γ) per series: statsmodels' estimate for the FIT_EACH largest series, the
    median of those for the rest."""
    n = len(history)
    alpha, gamma = np.full(n, np.nan), np.full(n, np.nan)
    largest = np.argsort(-history.sum(axis=1), kind="stable")[:FIT_EACH]
    for r in largest:
        alpha[r], gamma[r] = _fit_one(history[r, max(start[r], history.shape[1] - FIT_DAYS) :])
    fitted = ~np.isnan(alpha)
    alpha[~fitted] = np.median(alpha[fitted]) if fitted.any() else DEFAULT_ALPHA
    gamma[~fitted] = np.median(gamma[fitted]) if fitted.any() else DEFAULT_GAMMA
    return alpha, gamma


def _fit_one(series) -> tuple[float, float]:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    with warnings.catch_warnings():
        # Least squares without the brute-force start: the same estimates as the default
        # L-BFGS-B on weekly sales series, about six times faster.
        warnings.simplefilter("ignore")  # convergence notes on flat or sparse series
        try:
            result = ExponentialSmoothing(
                series, trend=None, seasonal="add", seasonal_periods=SEASON,
                initialization_method="estimated",
            ).fit(method="least_squares", use_brute=False)  # fmt: skip
        except (ValueError, np.linalg.LinAlgError):
            return DEFAULT_ALPHA, DEFAULT_GAMMA
    alpha = float(result.params["smoothing_level"])
    gamma = float(result.params["smoothing_seasonal"])
    if not (np.isfinite(alpha) and np.isfinite(gamma)):
        return DEFAULT_ALPHA, DEFAULT_GAMMA
    return alpha, gamma
