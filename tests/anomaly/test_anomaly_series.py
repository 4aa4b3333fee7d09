"""Regularising real-world timestamps, and the calendar candidates of a grid step."""

from __future__ import annotations

import numpy as np
import pytest

from models_ml.anomaly import RegularSeries, calendar_candidates, regularise
from models_ml.anomaly.series import MONTH_SECONDS, fill_missing


def times(*texts: str) -> np.ndarray:
    return np.array(texts, dtype="datetime64[ns]")


def test_unsorted_duplicates_and_gap() -> None:
    # Distinct times 00, 01, 02, 04 (01 twice: (2 + 4) / 2 = 3); spacings 1 h, 1 h, 2 h ->
    # median 1 h; grid 00..04, 03 missing.
    series = regularise(
        times("2024-01-01T02", "2024-01-01T00", "2024-01-01T01", "2024-01-01T01", "2024-01-01T04"),
        [3.0, 1.0, 2.0, 4.0, 5.0],
    )
    assert series.step_seconds == 3600
    assert list(series.timestamps) == list(
        times("2024-01-01T00", "2024-01-01T01", "2024-01-01T02", "2024-01-01T03", "2024-01-01T04")
    )
    np.testing.assert_array_equal(series.values, [1.0, 3.0, 3.0, np.nan, 5.0])
    assert series.duplicates_merged == 1


def test_missing_values_and_missing_times_are_skipped() -> None:
    # 01 holds NaN and 4: the mean of the values present is 4. The NaT row is dropped.
    series = regularise(
        np.array(["2024-01-01T00", "2024-01-01T01", "2024-01-01T01", "NaT", "2024-01-01T02"],
                 dtype="datetime64[ns]"),
        [1.0, np.nan, 4.0, 9.0, 2.0],
    )  # fmt: skip
    np.testing.assert_array_equal(series.values, [1.0, 4.0, 2.0])


def test_jittered_timestamps_snap_to_the_median_spacing() -> None:
    # Offsets 0, 59, 121, 180 min; spacings 59, 62, 59 -> median 59 min; nearest grid points
    # 0, 1, round(121 / 59) = 2, round(180 / 59) = 3.
    series = regularise(
        times("2024-01-01T00:00", "2024-01-01T00:59", "2024-01-01T02:01", "2024-01-01T03:00"),
        [1.0, 2.0, 3.0, 4.0],
    )
    assert series.step_seconds == 59 * 60
    np.testing.assert_array_equal(series.values, [1.0, 2.0, 3.0, 4.0])


def test_month_ends_make_a_calendar_month_grid() -> None:
    series = regularise(times("2024-01-31", "2024-02-29", "2024-03-31", "2024-05-31"), [1, 2, 3, 5])
    assert series.step_seconds == MONTH_SECONDS
    assert list(series.timestamps) == list(
        times("2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01", "2024-05-01")
    )
    np.testing.assert_array_equal(series.values, [1.0, 2.0, 3.0, np.nan, 5.0])


def test_gaps_dwarfing_the_data_are_refused() -> None:
    stamps = np.concatenate(
        [times("2024-01-01T00:00", "2024-01-01T00:01", "2024-01-01T00:02"), times("2025-01-01")]
    )
    with pytest.raises(ValueError, match="gaps too large"):
        regularise(stamps, [1.0, 2.0, 3.0, 4.0])


def test_fill_missing_interpolates_and_extends_the_ends() -> None:
    np.testing.assert_array_equal(
        fill_missing(np.array([np.nan, 1.0, np.nan, 3.0, np.nan])), [1.0, 1.0, 2.0, 3.0, 3.0]
    )


@pytest.mark.parametrize(
    ("step_seconds", "expected"),
    [
        (3600, (24, 168)),
        (300, (288, 2016)),
        (900, (96, 672)),
        (86_400, (7, 365)),
        (7 * 86_400, (52,)),
        (MONTH_SECONDS, (12,)),
        (420, ()),  # 7 minutes: 205.7 per day, no calendar period
        (3 * 86_400, ()),
    ],
)
def test_calendar_candidates(step_seconds: float, expected: tuple[int, ...]) -> None:
    assert calendar_candidates(step_seconds) == expected


def test_from_values_builds_a_regular_grid() -> None:
    series = RegularSeries.from_values([1, 2, 3], start="2024-01-01", step_seconds=300)
    assert list(series.timestamps) == list(
        times("2024-01-01T00:00", "2024-01-01T00:05", "2024-01-01T00:10")
    )
