"""Forecasts for purchase suggestions (procurement.forecast) on synthetic series."""

import numpy as np
from statsmodels.tsa.holtwinters import ExponentialSmoothing

from mercato.procurement import forecast

WEEK = np.array([0.7, 0.8, 0.9, 1.0, 1.1, 1.5, 1.6])  # quieter early week, busy weekend


def seasonal_series(days, *, level=30.0, noise=2.0, seed=0):
    rng = np.random.default_rng(seed)
    truth = level * WEEK[np.arange(days) % 7]
    return np.maximum(truth + rng.normal(0, noise, days), 0).round(), truth


def mape(actual, predicted) -> float:
    return float(np.mean(np.abs(actual - predicted) / actual))


def test_a_year_of_weekly_seasonal_sales_is_forecast_within_15_percent():
    """365 days of a weekly pattern with noise: Holt-Winters is chosen and the next 28
    days (held out) come within a mean absolute percentage error of 15 %."""
    series, _truth = seasonal_series(365 + 28)
    history, actual = series[:365], series[365:]

    result = forecast.forecast(history[None], 28)

    assert result.method[0] == forecast.HOLT_WINTERS
    assert mape(actual, result.daily[0]) < 0.15
    # The weekly shape is kept: the forecast weekend is well above the forecast Monday.
    assert result.daily[0][(5 - 365) % 7] > 1.5 * result.daily[0][(0 - 365) % 7]


def test_many_seasonal_series_at_once_each_within_15_percent():
    """Forty series of different sizes forecast together (most borrow the fitted
    parameters of the largest): every one within 15 % MAPE."""
    rows = [
        seasonal_series(365 + 28, level=10 + 3 * k, noise=1 + k / 20, seed=k)[0] for k in range(40)
    ]
    data = np.array(rows)

    result = forecast.forecast(data[:, :365], 28)

    assert (result.method == forecast.HOLT_WINTERS).all()
    errors = [mape(data[k, 365:], result.daily[k]) for k in range(40)]
    assert max(errors) < 0.15


def test_the_batched_recursion_is_statsmodels_holt_winters():
    """For the same parameters and starting values, the one-step-ahead values equal
    statsmodels' fitted values, and the forecast its forecast for the next six days."""
    series, _truth = seasonal_series(200, seed=3)
    level0, season0 = 25.0, np.array([1.0, -2.0, 3.0, 0.0, -1.0, 2.0, -3.0])
    model = ExponentialSmoothing(
        series, trend=None, seasonal="add", seasonal_periods=7,
        initialization_method="known", initial_level=level0, initial_seasonal=season0,
    ).fit(smoothing_level=0.3, smoothing_seasonal=0.1, optimized=False)  # fmt: skip

    ahead, _sigma, fitted = forecast.holt_winters(
        series[None], np.array([0]), 0.3, 0.1, 6,
        level=np.array([level0]), season=season0[None].copy(),
    )  # fmt: skip

    assert np.allclose(fitted[0], model.fittedvalues)
    assert np.allclose(ahead[0], model.forecast(6))


def test_short_history_falls_back_to_simpler_methods_named_as_such():
    """Ten days of sales: a moving average of them; thirty days: simple exponential
    smoothing; none: no sales and a zero forecast; sparse long history: not seasonal."""
    days = 365
    short = np.zeros(days)
    short[-10:] = [3, 5, 4, 6, 2, 4, 5, 3, 4, 4]
    month = np.zeros(days)
    month[-30:] = 8
    sparse = np.zeros(days)
    sparse[::20] = 1  # one unit every 20 days for a year: no weekly pattern to fit
    history = np.array([short, month, np.zeros(days), sparse])

    result = forecast.forecast(history, 14)

    assert list(result.method) == [
        forecast.MOVING_AVERAGE, forecast.SES, forecast.NONE, forecast.SES,
    ]  # fmt: skip
    assert np.allclose(result.daily[0], 4.0)  # mean of the ten days
    assert np.allclose(result.daily[1], 8.0)  # a flat month stays flat
    assert np.allclose(result.daily[2], 0.0)
    assert result.sigma[1] == 0.0
    assert np.isclose(result.sigma[0], np.std(short[-10:]))


def test_a_forecast_is_never_negative():
    """A series falling to nothing is forecast at zero, not below."""
    falling = np.concatenate([np.full(300, 40.0), np.zeros(65)])

    result = forecast.forecast(falling[None], 14)

    assert (result.daily >= 0).all()
