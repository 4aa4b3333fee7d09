"""The Keras LSTM forecaster (the ``ml`` extra): runs only where TensorFlow is installed."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

from models_ml.forecast import LstmForecaster

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None,
    reason="TensorFlow not installed (pip install -e '.[ml]')",
)


def test_lstm_learns_a_daily_signal() -> None:
    """λ = 20·(1 − 0.8·cos(2π·slot/48)) with Poisson noise, three weeks of history: amplitude
    32 calls (4 at midnight, 36 at noon). The small LSTM's next-day mean is within 15 % of the
    amplitude (4.8 calls) of λ on average and follows its shape (correlation > 0.9)."""
    index = pd.date_range("2025-03-03", periods=22 * 48, freq="30min")
    slot = (index.hour * 2 + index.minute // 30).to_numpy()
    rate = 20 * (1 - 0.8 * np.cos(2 * np.pi * slot / 48))
    counts = pd.Series(np.random.default_rng(1).poisson(rate).astype(float), index=index)
    model = LstmForecaster(epochs=15).fit(counts.iloc[: 21 * 48])
    forecast = model.predict(48)
    truth = rate[21 * 48 :]
    assert np.abs(forecast["mean"].to_numpy() - truth).mean() < 0.15 * 32
    assert np.corrcoef(forecast["mean"], truth)[0, 1] > 0.9
    assert (forecast["lo95"] <= forecast["hi95"]).all()
