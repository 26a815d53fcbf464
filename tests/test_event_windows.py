"""The events' own windows (issue 14, part 5; Stata eventstudy2's per-event windows): the columns
window_start and window_end give each event its window, pooled as the window 'event'. A member's
numbers there are its numbers in the ordinary window of the same offsets, and the battery pools
members of different lengths; every engine agrees."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy.cli import main
from eventstudy.windows import EventWindows, Window

DATES = pd.bdate_range("2021-01-04", periods=700)
AT = [320, 350, 380, 410, 440, 470, 500, 530, 560, 590]


def synthetic(seed: int = 5):
    rng = np.random.default_rng(seed)
    tickers = ["MKT"] + [f"A{i}" for i in range(6)]
    mkt = rng.normal(0.0003, 0.01, len(DATES))
    ret = np.column_stack([mkt] + [0.8 * mkt + rng.normal(0, 0.012, len(DATES)) for _ in range(6)])
    prices = pd.DataFrame({"ticker": np.repeat(tickers, len(DATES)), "date": np.tile(DATES, len(tickers)),
                           "close": (100 * np.exp(np.cumsum(ret, axis=0))).T.ravel()})
    prices["adj_close"] = prices["close"]
    own = [(-1, 1), (0, 3), (-2, 0), (0, 0), (-1, 1), (0, 3), (-2, 0), (0, 0), (0, 1), (-1, 1)]
    events = pd.DataFrame({"event_id": [f"e{i}" for i in range(len(AT))], "date": DATES[AT].strftime("%Y-%m-%d"),
                           "window_start": [str(a) for a, _ in own], "window_end": [str(b) for _, b in own]})
    return es.load_events(frame=events), prices, own


KW = dict(model="market", market="MKT", estimation=(-250, -11), n_boot=200)
FIXED = ((-1, 1), (0, 3), (-2, 0), (0, 0))


def test_a_members_numbers_in_its_own_window_are_those_of_the_same_fixed_window():
    events, prices, own = synthetic()
    res = es.EventStudy(events, prices, windows=FIXED, **KW).fit()
    assert EventWindows(-2, 3) in res.plan.windows and "event" in set(res.car["window"])
    car = res.car.set_index(["event_id", "asset", "window"])
    for i, (a, b) in enumerate(own):
        for asset in ("A0", "A3"):
            got = car.loc[(f"e{i}", asset, "event")]
            if (a, b) not in FIXED:  # (0, 1): the events' own window need not be one of the study's
                continue
            want = car.loc[(f"e{i}", asset, Window(a, b).label)]
            for col in ("car", "se", "t", "pvalue", "bhar"):
                assert got[col] == pytest.approx(want[col], rel=1e-12), (i, col)


def test_the_pooled_battery_mixes_the_lengths():
    """t_cs of the 'event' window is the cross-sectional t of the members' own CARs, by hand; its
    Patell-type CAR statistics standardize each CAR by its own length."""
    events, prices, _ = synthetic()
    res = es.EventStudy(events, prices, windows=FIXED, **KW).fit()
    cars = res.car[res.car["window"] == "event"]["car"].dropna().to_numpy()
    t = res.tests
    row = t[(t["group"] == "all") & (t["window"] == "event") & t["tau"].isna() & (t["test"] == "t_cs")].iloc[0]
    assert row["n"] == len(cars) == 10 * 6
    assert row["statistic"] == pytest.approx(cars.mean() / (cars.std(ddof=1) / np.sqrt(len(cars))), rel=1e-9)


def test_when_every_event_has_the_same_window_it_is_that_window():
    events, prices, _ = synthetic()
    events = events.assign(window_start=pd.array([-1] * len(events), dtype="Int64"),
                           window_end=pd.array([1] * len(events), dtype="Int64"))
    res = es.EventStudy(events, prices, windows=((-1, 1),), **KW).fit()
    t = res.tests.set_index(["group", "window", "tau", "test"])["statistic"]
    ev = t.xs("event", level="window")
    fixed = t.xs("-1:1", level="window")
    np.testing.assert_allclose(ev.to_numpy(float), fixed.loc[ev.index].to_numpy(float), rtol=1e-10, equal_nan=True)


@pytest.mark.parametrize("partition", ["event", "asset"])
def test_every_engine_gives_the_same_own_windows(monkeypatch, partition):
    import eventstudy.pipeline.blocks as engine

    monkeypatch.setattr(engine, "BYTES_PER_CELL", 1)
    monkeypatch.setattr(engine, "SPILL_BYTES_PER_CELL", 0)
    monkeypatch.setattr(engine, "RESULT_BYTES", 0)
    monkeypatch.setattr(engine, "RESULT_BYTES_MEMBER", 0)
    monkeypatch.setattr(engine, "rss_bytes", lambda: 0)
    events, prices, _ = synthetic()
    mem = es.EventStudy(events, prices, windows=FIXED, **KW).fit()
    ch = es.EventStudy(events, prices, windows=FIXED, **KW).fit(backend="chunked", memory=15 * 262,
                                                                partition=partition)
    assert ch.options["blocks"] >= 3
    pd.testing.assert_frame_equal(mem.car, ch.car, rtol=1e-12, atol=1e-14)
    a, b = mem.tests, ch.tests
    np.testing.assert_allclose(b["statistic"].to_numpy(float), a["statistic"].to_numpy(float), rtol=1e-10,
                               atol=1e-12)


def test_bad_own_windows_are_clear_errors(tmp_path):
    with pytest.raises(es.errors.EventCatalogError, match="line 2, column window_start: '3':'1' is not a window"):
        es.load_events(frame=pd.DataFrame({"event_id": ["a"], "date": ["2024-01-03"], "window_start": ["3"],
                                           "window_end": ["1"]}))
    with pytest.raises(es.errors.EventCatalogError, match="column 'window_end' is missing"):
        es.load_events(frame=pd.DataFrame({"event_id": ["a"], "date": ["2024-01-03"], "window_start": ["3"]}))
    with pytest.raises(es.errors.EventCatalogError, match="line 3, column window_start: empty while other events"):
        es.load_events(frame=pd.DataFrame({"event_id": ["a", "b"], "date": ["2024-01-03", "2024-02-05"],
                                           "window_start": ["0", ""], "window_end": ["1", ""]}))
    events, prices, _ = synthetic()
    events = events.assign(window_start=pd.array([-20] * len(events), dtype="Int64"))
    with pytest.raises(es.errors.EstimationWindowError, match="own window starts at -20"):
        es.EventStudy(events, prices, windows=FIXED, **KW).fit()


def test_the_cli_writes_the_event_window(tmp_path):
    events, prices, _ = synthetic()
    raw = events[["event_id", "event_date", "window_start", "window_end"]].rename(columns={"event_date": "date"})
    raw.assign(date=raw["date"].dt.strftime("%Y-%m-%d")).to_csv(tmp_path / "e.csv", index=False)
    prices.to_csv(tmp_path / "p.csv", index=False)
    out = tmp_path / "out"
    assert main(["run", "--events", str(tmp_path / "e.csv"), "--prices", str(tmp_path / "p.csv"), "--market", "MKT",
                 "--window", "0:0", "--no-figures", "--no-pdf", "--placebo", "0", "--n-boot", "50",
                 "--out", str(out)]) == 0
    assert set(pd.read_csv(out / "car.csv")["window"]) == {"0:0", "event"}
    assert (out / "tables" / "car_by_event_event.md").is_file()


def test_volatility_counts_each_members_own_days():
    """In the window 'event' a member's U test pools its own event's days, as in the fixed window
    of the same offsets."""
    events, prices, own = synthetic()
    res = es.EventStudy(events, prices, windows=FIXED, **KW).fit()
    m = res.volatility_study().members.set_index(["event_id", "asset", "window"])
    for i, (a, b) in enumerate(own):
        if (a, b) in FIXED:
            got, want = m.loc[(f"e{i}", "A1", "event")], m.loc[(f"e{i}", "A1", Window(a, b).label)]
            assert got["n_days"] == want["n_days"] == b - a + 1
            assert got["chi2"] == pytest.approx(want["chi2"], rel=1e-12)


def test_named_window_sets_are_run_once_and_named_in_the_tables(tmp_path, capsys):
    from eventstudy.report.tables import caar_table
    from eventstudy.windows import window_sets

    ws, sets = window_sets({"announcement": [(0, 0), (0, 1)], "drift": "2:5", "around": [(-1, 1), (0, 1)]})
    assert ws == (Window(0, 0), Window(0, 1), Window(2, 5), Window(-1, 1))
    assert sets == {"announcement": ("0:0", "0:1"), "drift": ("2:5",), "around": ("-1:1", "0:1")}
    with pytest.raises(es.errors.SpecificationError, match="set name '' must be a non-empty text"):
        window_sets({"": (0, 0)})
    events, prices, _ = synthetic()
    events = events.drop(columns=["window_start", "window_end"])
    res = es.EventStudy(events, prices, windows={"announcement": [(0, 0), (0, 1)], "around": (-1, 1)}, **KW).fit()
    assert res.options["window_sets"] == {"announcement": ("0:0", "0:1"), "around": ("-1:1",)}
    table = caar_table(res).table
    assert list(table.columns[:3]) == ["group", "window", "set"]
    assert dict(zip(table["window"], table["set"])) == {"0:0": "announcement", "0:1": "announcement",
                                                        "-1:1": "around"}
    raw = events[["event_id", "event_date"]].rename(columns={"event_date": "date"})
    raw.assign(date=raw["date"].dt.strftime("%Y-%m-%d")).to_csv(tmp_path / "e.csv", index=False)
    prices.to_csv(tmp_path / "p.csv", index=False)
    common = ["run", "--events", str(tmp_path / "e.csv"), "--prices", str(tmp_path / "p.csv"), "--market", "MKT",
              "--no-figures", "--no-pdf", "--placebo", "0", "--n-boot", "50"]
    assert main([*common, "--window", "announcement=0:0,0:1", "--window", "drift=2:5", "--out",
                 str(tmp_path / "o")]) == 0
    head = pd.read_csv(tmp_path / "o" / "tables" / "headline.csv")
    assert set(zip(head["window"], head["set"])) == {("0:0", "announcement"), ("0:1", "announcement"),
                                                     ("2:5", "drift")}
    assert main([*common, "--window", "announcement=0:0", "--window", "-1:1", "--out", str(tmp_path / "x")]) == 2
    assert "name every window set" in capsys.readouterr().err


def test_a_merged_member_spans_its_events_windows_when_one_bound_differs():
    """Two events with the same day 0 on a market are one member (overlap='merge'); their windows
    0:1 and 0:3 share the start, differ in the end: the member spans 0:3."""
    events, prices, _ = synthetic()
    raw = events[["event_id", "event_date"]].rename(columns={"event_date": "date"})
    raw = raw.assign(date=raw["date"].dt.strftime("%Y-%m-%d"), window_start="0", window_end="1")
    raw.loc[raw.index[1], "date"] = raw["date"].iloc[0]  # e1 on e0's date
    raw.loc[raw.index[1], "window_end"] = "3"
    res = es.EventStudy(es.load_events(frame=raw), prices, windows=((0, 3),), **KW).fit()
    merged = res.members[res.members["event_id"] == "e0+e1"]
    assert len(merged) == 6 and (merged["window_start"] == 0).all() and (merged["window_end"] == 3).all()
    car = res.car.set_index(["event_id", "asset", "window"])
    assert car.loc[("e0+e1", "A0", "event"), "car"] == pytest.approx(car.loc[("e0+e1", "A0", "0:3"), "car"], rel=1e-12)
