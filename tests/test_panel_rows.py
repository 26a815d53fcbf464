"""The panel's rows read from the flat return frame: against their definitions written out cell by cell."""

import numpy as np
import pandas as pd
import pytest

from eventstudy.eventtime import NO_OFFSET, PanelRows, day_numbers, event_offsets, offsets_from, row_windows


@pytest.mark.parametrize("n_flat", [0, 1, 3, 10, 50])
@pytest.mark.parametrize("width", [1, 4, 12])
def test_row_windows_equal_the_cells_written_out(n_flat, width):
    rng = np.random.default_rng(n_flat * 100 + width)
    flat = rng.normal(size=n_flat)
    start = rng.integers(-width - 2, n_flat + 2, 40)
    got = row_windows(flat, start, width, np.nan)
    ref = np.array([[flat[p] if 0 <= p < n_flat else np.nan for p in range(s, s + width)]
                    for s in start]).reshape(40, width)
    assert np.array_equal(got, ref, equal_nan=True)


def test_take_blanks_cells_outside_the_members_asset():
    """Two tickers of 6 rows each; member rows that start before their asset's first row or run past
    its last row get the fill there, never the neighbouring ticker's value."""
    flat = np.arange(12.0)
    rows = PanelRows(np.zeros(12, dtype="datetime64[ns]"), np.repeat([0, 1], 6), pd.Index(["A", "B"]),
                     start=np.array([-2, 4, 9]), lo=np.array([0, 0, 6]), hi=np.array([6, 6, 12]), memo={})
    got = rows.take(flat, slice(0, 4), np.nan)
    want = np.array([[np.nan, np.nan, 0, 1], [4, 5, np.nan, np.nan], [9, 10, 11, np.nan]])
    assert np.array_equal(got, want, equal_nan=True)
    assert np.array_equal(rows.take(flat, np.array([1, 3]), -1.0), np.array([[-1, 1], [5, -1], [10, -1]]))


def test_flat_in_is_set_membership_of_asset_and_day():
    dates = pd.to_datetime(["2025-01-02", "2025-01-03", "2025-01-06", "2025-01-02", "2025-01-06"]).to_numpy()
    rows = PanelRows(dates, np.array([0, 0, 0, 1, 1]), pd.Index(["A", "B"]), np.zeros(1, np.int64),
                     np.zeros(1, np.int64), np.full(1, 5), {})
    asked = pd.to_datetime(["2025-01-06 15:00", "2025-01-03 00:00", "2025-01-03 00:00", "2025-01-03 00:00"])
    got = rows.flat_in(np.array(["B", "A", "C", "B"], dtype=object), asked.to_numpy())
    assert got.tolist() == [False, True, False, False, True]


def test_offsets_from_day_numbers_equal_busday_count():
    """Business-day offsets of every date in a month from weekday and weekend anchors: numpy's
    busday_count (negative before the anchor), whatever the anchor's weekday."""
    days = pd.bdate_range("2025-03-03", "2025-04-30").to_numpy().astype("datetime64[D]")
    anchors = pd.date_range("2025-03-20", "2025-03-30").to_numpy().astype("datetime64[D]")  # Sat and Sun too
    grid = np.broadcast_to(days, (len(anchors), len(days))).copy()
    grid[0, :3] = np.datetime64("NaT")
    got = offsets_from(day_numbers(grid), anchors)
    for i, a in enumerate(anchors):
        for j, d in enumerate(days):
            want = NO_OFFSET if np.isnat(grid[i, j]) else (
                -int(np.busday_count(d, a)) if d <= a else int(np.busday_count(a + 1, d + 1)))
            assert got[i, j] == want, (a, d)
    assert np.array_equal(event_offsets(grid, anchors), got)


def test_offsets_from_a_missing_anchor_are_missing():
    dates = np.array([["2024-01-08", "NaT"], ["2024-01-09", "2024-01-10"]], "M8[D]")
    anchors = np.array(["NaT", "2024-01-10"], "M8[D]")
    for calendar in (False, True):
        got = event_offsets(dates, anchors, calendar)
        assert got[0].tolist() == [NO_OFFSET, NO_OFFSET] and got[1].tolist() == [-1, 0]


def test_dates_at_reads_columns_as_numpy_indexes_them():
    from eventstudy.eventtime import EventTimePanel

    dates = np.stack([pd.bdate_range("2024-01-01", periods=6).to_numpy(),
                      pd.bdate_range("2024-03-01", periods=6).to_numpy()])
    members = pd.DataFrame({"event_id": ["a", "b"], "asset": ["X", "Y"], "day0": dates[:, 3]})
    panel = EventTimePanel(members, np.arange(-3, 3), np.zeros((2, 6)), np.zeros((2, 6)),
                           PanelRows.of_dates(dates, members["asset"]))
    mask = np.array([True, False, False, False, False, True])
    for cols in (np.array([-1, -2]), mask, np.array([0, 5]), slice(1, None)):
        assert np.array_equal(panel.dates_at(cols), dates[:, cols])
    with pytest.raises(IndexError):
        panel.dates_at(np.array([6]))


def test_member_rows_take_equals_a_search_of_those_members():
    """The preparation searches each member's rows once and takes the kept members' from it: the
    same arrays as searching the kept members anew (assets renumbered in order of appearance)."""
    from eventstudy.eventtime import member_rows, return_rows

    dates = pd.bdate_range("2025-01-01", periods=30)
    rets = pd.DataFrame({"ticker": np.repeat(["A", "B", "C"], 30), "date": np.tile(dates, 3), "ret": 0.0})
    rr = return_rows(rets)
    members = pd.DataFrame({"asset": ["C", "A", "B", "C", "Z", "A", "B"],
                            "day0": pd.to_datetime(["2025-01-06", "2025-01-07", "2025-01-08", "2025-02-04",
                                                    "2025-01-06", "2025-03-31", pd.NaT])})
    found = member_rows(rr, members)
    for idx in ([0, 1, 2, 3, 4, 5, 6], [1, 2, 5], [2, 3, 6], [4], []):
        want = member_rows(rr, members.iloc[idx].reset_index(drop=True))
        got = found.take(np.array(idx, dtype=np.int64))
        for name in want._fields:
            a, b = getattr(got, name), getattr(want, name)
            assert a.dtype == b.dtype and np.array_equal(a.view(np.int64), b.view(np.int64)), (idx, name)
