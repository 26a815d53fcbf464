"""Session tables cached on disk between processes (issue 12): what is read back is what
exchange_calendars builds, a damaged entry is rebuilt, and the cache can be turned off."""

import warnings

import numpy as np
import pandas as pd
import pytest

from eventstudy import calendars


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    monkeypatch.setenv("EVENTSTUDY_CALENDAR_CACHE", str(tmp_path))
    calendars.exchange_sessions.cache_clear()
    yield tmp_path
    calendars.exchange_sessions.cache_clear()


def reference(name: str) -> pd.DataFrame:
    import exchange_calendars as xcals

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return xcals.get_calendar(name, start=calendars.CALENDAR_START).schedule


@pytest.mark.parametrize("name", ["XNYS", "XKRX"])
def test_a_cached_table_is_the_calendar_exchange_calendars_builds(fresh, name):
    built = calendars.exchange_sessions(name)
    assert [p.name.split("__")[0] for p in fresh.glob("*.npz")] == [name]
    calendars.exchange_sessions.cache_clear()
    read = calendars.exchange_sessions(name)  # from disk this time
    sched = reference(name)
    assert read.calendar == built.calendar == name and read.tz == built.tz
    assert np.array_equal(read.sessions.asi8, pd.DatetimeIndex(sched.index).tz_localize(None).asi8)
    assert np.array_equal(read.opens.asi8, pd.DatetimeIndex(sched["open"]).asi8)
    assert np.array_equal(read.closes.asi8, pd.DatetimeIndex(sched["close"]).asi8)
    assert str(read.closes.tz) == "UTC" and read.sessions.dtype == built.sessions.dtype


def test_a_damaged_entry_is_rebuilt_and_the_cache_can_be_off(fresh, monkeypatch):
    calendars.exchange_sessions("XTKS")
    (entry,) = fresh.glob("*.npz")
    entry.write_bytes(entry.read_bytes()[:100])
    calendars.exchange_sessions.cache_clear()
    table = calendars.exchange_sessions("XTKS")
    assert table.sessions[0] == pd.Timestamp("2019-01-04")  # Tokyo's first session of 2019
    assert np.load(entry)["sessions"].size == len(table)  # rewritten whole
    monkeypatch.setenv("EVENTSTUDY_CALENDAR_CACHE", "")
    calendars.exchange_sessions.cache_clear()
    assert calendars.calendar_cache_dir() is None and len(calendars.exchange_sessions("XHKG")) > 1000
    assert len(list(fresh.glob("*.npz"))) == 1
