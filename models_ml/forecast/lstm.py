"""A small Keras LSTM forecaster (the ``ml`` extra: ``pip install -e '.[ml]'``).

TensorFlow is imported only when the model is fitted, so the rest of the package works without
it. Design, kept small so that it fits in seconds on a CPU: the series (variance-stabilised,
standardised) is cut into windows of ``lookback`` intervals; each step carries the value and the
time of day and of week as sine/cosine pairs; one LSTM layer reads the window and a dense layer
outputs the next ``horizon`` values at once (direct multi-step, no recursion). It forecasts as
many steps as it was trained for (``horizon``, one day by default); intervals are empirical, from
the errors of its own in-sample forecasts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from models_ml.forecast.base import (
    FloatArray,
    ForecastArrays,
    Forecaster,
    Transform,
    empirical_bounds,
    fill_gaps,
    forward,
    from_transformed,
)


def _calendar(index: pd.DatetimeIndex) -> FloatArray:
    day = (index.hour * 60 + index.minute).to_numpy(np.float64) / 1440.0
    week = (np.asarray(index.day_of_week, np.float64) + day) / 7.0
    return np.column_stack(
        [
            np.sin(2 * np.pi * day),
            np.cos(2 * np.pi * day),
            np.sin(2 * np.pi * week),
            np.cos(2 * np.pi * week),
        ]
    )


class LstmForecaster(Forecaster):
    name = "lstm"

    def __init__(
        self,
        *,
        lookback: int | None = None,
        horizon: int | None = None,
        units: int = 16,
        epochs: int = 30,
        seed: int = 7,
        transform: Transform = "sqrt",
        special_days: Mapping[date, float] | None = None,
    ) -> None:
        super().__init__(transform=transform, special_days=special_days)
        self.lookback = lookback
        self.horizon = horizon
        self.units = units
        self.epochs = epochs
        self.seed = seed

    def _fit(self, values: FloatArray, index: pd.DatetimeIndex, exog: FloatArray | None) -> None:
        import tensorflow as tf  # the `ml` extra; imported here so the package works without it

        self._lookback = self.lookback or self.per_day
        self._horizon = self.horizon or self.per_day
        z = fill_gaps(forward(values, self.transform), self.per_week)
        self._center, self._spread = float(z.mean()), float(z.std() or 1.0)
        scaled = (z - self._center) / self._spread
        step = index[1] - index[0]
        self._step = step
        features = np.column_stack([scaled, _calendar(index)])
        count = len(z) - self._lookback - self._horizon + 1
        if count < 10:
            raise ValueError(f"{self.name}: history too short for lookback + horizon")
        windows = np.stack([features[i : i + self._lookback] for i in range(count)])
        targets = np.stack(
            [scaled[i + self._lookback : i + self._lookback + self._horizon] for i in range(count)]
        )
        tf.keras.utils.set_random_seed(self.seed)
        model = tf.keras.Sequential(
            [
                tf.keras.layers.Input((self._lookback, features.shape[1])),
                tf.keras.layers.LSTM(self.units),
                tf.keras.layers.Dense(self._horizon),
            ]
        )
        model.compile(optimizer=tf.keras.optimizers.Adam(0.01), loss="mse")
        model.fit(windows, targets, epochs=self.epochs, batch_size=64, verbose=0, shuffle=True)
        self._model = model
        fitted = model.predict(windows, verbose=0)
        self._residuals = ((targets - fitted) * self._spread).ravel()
        self._last_window = features[-self._lookback :]

    def _predict(
        self, horizon: int, future: pd.DatetimeIndex, exog: FloatArray | None
    ) -> ForecastArrays:
        if horizon > self._horizon:
            raise ValueError(f"{self.name}: trained for {self._horizon} steps, asked {horizon}")
        output = self._model.predict(self._last_window[None, ...], verbose=0)[0][:horizon]
        center = output * self._spread + self._center
        variance = float(np.var(self._residuals))
        return from_transformed(
            center, empirical_bounds(center, self._residuals), variance, self.transform
        )
