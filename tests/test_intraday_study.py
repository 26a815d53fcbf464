"""Intraday event studies (eventstudy.bars): bar 0, bar ends at the close, real minute bars, an
injected abnormal return recovered, the chunked engine on bars, clear errors."""

from __future__ import annotations

import gzip
from importlib import resources

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
import eventstudy.pipeline.blocks as engine
from eventstudy.errors import DataError
from eventstudy.intraday import bar_ends, intraday_study


def minute_bars(n_assets=6, n_bars=900, seed=1, effect=0.0, event_bars=(), start="2025-03-03T14:30:00Z"):
    """Synthetic 1-minute bars of MKT and S0.. (beta 0.5..1.5 on MKT, a +``effect`` return on the
    bars listed in ``event_bars``); unregistered tickers, so bars end one minute after they start."""
    rng = np.random.default_rng(seed)
    times = pd.date_range(start, periods=n_bars, freq="1min")
    m = rng.normal(0, 0.0005, n_bars)
    beta = np.linspace(0.5, 1.5, n_assets)
    r = beta * m[:, None] + rng.normal(0, 0.0008, (n_bars, n_assets))
    r[list(event_bars)] += effect
    levels = 100 * np.exp(np.cumsum(np.log1p(np.column_stack([m, r])), axis=0))
    tickers = ["MKT"] + [f"S{i}" for i in range(n_assets)]
    bars = pd.DataFrame({"ticker": np.repeat(tickers, n_bars), "time": np.tile(times, len(tickers)),
                         "close": levels.T.ravel()})
    return bars, times


def events_at(instants, precision="exact"):
    return es.load_events(frame=pd.DataFrame({
        "event_id": [f"N{i}" for i in range(len(instants))],
        "timestamp": [pd.Timestamp(t).strftime("%Y-%m-%dT%H:%M:%S+00:00") for t in instants],
        "time_precision": precision}))


def test_bar0_is_the_first_bar_ending_strictly_after_the_event():
    bars, times = minute_bars(n_assets=2)
    # mid-bar (bar 400 runs 400..401 min): bar 0 is bar 400; exactly at bar 500's end: bar 501
    ev = events_at([times[400] + pd.Timedelta(seconds=20), times[500] + pd.Timedelta(minutes=1)])
    res = intraday_study(ev, bars, interval="1m", market="MKT", model="market", estimation=(-200, -11),
                         windows=((0, 0),), n_boot=100)
    day0 = res.alignment.set_index(["event_id", "asset"])["day0"]
    assert day0[("N0", "S0")] == times[400] + pd.Timedelta(minutes=1)
    assert day0[("N1", "S1")] == times[501] + pd.Timedelta(minutes=1)
    car = res.car.set_index(["event_id", "asset"])
    assert car.loc[("N0", "S0"), "day0"] == f"{times[400] + pd.Timedelta(minutes=1):%Y-%m-%dT%H:%M:%SZ}"


def test_hourly_bars_end_at_the_close_and_geneva_evening_moves_to_next_morning():
    """SPY's hourly bars start at :30; the 15:30 ET bar ends at the 16:00 close, not 16:30
    (NYSE calendar). The Geneva talks were announced Tue 2025-05-06 18:05 ET, after the close:
    bar 0 is Wednesday's first bar, 09:30-10:30 ET (14:30 UTC)."""
    spy = es.BundledSource().intraday("SPY", "2025-04-01T00:00:00Z", "2025-06-01T00:00:00Z", "1h")
    ends = bar_ends(spy, "1h")
    last = spy["time"].dt.tz_convert("America/New_York").dt.strftime("%H:%M") == "15:30"
    assert last.any()
    assert (ends[last].dt.tz_convert("America/New_York").dt.strftime("%H:%M") == "16:00").all()
    assert (ends[~last] - spy["time"][~last] == pd.Timedelta(hours=1)).all()
    ev = es.load_events()
    ev = ev[ev["event_id"].isin(["2025-05-06-geneva-announce", "2025-04-02-liberation-day"])]
    qqq = es.BundledSource().intraday("QQQ", "2024-06-01T00:00:00Z", "2025-06-01T00:00:00Z", "1h")
    spy = es.BundledSource().intraday("SPY", "2024-06-01T00:00:00Z", "2025-06-01T00:00:00Z", "1h")
    res = intraday_study(ev, pd.concat([spy, qqq]), interval="1h", assets=["SPY"], market="QQQ", model="market",
                         estimation=(-140, -8), windows=((0, 0),), n_boot=100)
    day0 = res.alignment.set_index("event_id")["day0"]
    assert day0["2025-05-06-geneva-announce"] == pd.Timestamp("2025-05-07T14:30:00Z")
    assert day0["2025-04-02-liberation-day"] == pd.Timestamp("2025-04-03T14:30:00Z")  # 16:15 ET -> next morning


def _raw_es_close(stamp: str) -> float:
    """Close of one bar read straight from the bundled ES 1-minute file (not through the package)."""
    path = resources.files("eventstudy") / "data" / "intraday" / "ES_1m.csv.gz"
    with gzip.open(path, "rt") as f:
        for line in f:
            if line.startswith(stamp):
                return float(line.split(",")[4])
    raise AssertionError(stamp)


def test_kuala_lumpur_weekend_on_real_es_minute_bars():
    """The Kuala Lumpur framework (Sun 2025-10-26 11:00 Kuala Lumpur time, markets shut): ES bar 0
    is the first minute after the Sunday 18:00 ET reopen; its return runs from Friday's last bar
    (6,830.00) to that bar's close (6,874.00), +0.64 %."""
    src = es.BundledSource()
    es1 = src.intraday("ES=F", "2025-10-20T00:00:00Z", "2025-10-28T00:00:00Z", "1m")
    ev = es.load_events()
    ev = ev[ev["event_id"] == "2025-10-26-kuala-lumpur-framework"]
    res = intraday_study(ev, es1, interval="1m", model="constant-mean", estimation=(-300, -11),
                         windows=((0, 0), (0, 29)), n_boot=100)
    ar = res.abnormal_returns.set_index("tau")
    assert ar.loc[0, "date"] == pd.Timestamp("2025-10-26T22:01:00")  # bar 22:00-22:01 UTC = 18:00-18:01 ET
    want = _raw_es_close("2025-10-26T22:00:00Z") / _raw_es_close("2025-10-24T21:00:00Z") - 1
    assert want == pytest.approx(6874.0 / 6830.0 - 1)
    assert ar.loc[0, "ret"] == pytest.approx(want, abs=1e-14)
    car = res.car.set_index("window")
    assert car.loc["0:0", "car"] == pytest.approx(want - ar.loc[0, "normal"], abs=1e-14)
    assert car.loc["0:0", "day0"] == "2025-10-26T22:01:00Z"


def test_injected_abnormal_return_is_recovered_and_chunked_gives_the_same_numbers(monkeypatch, tmp_path):
    bars0, times = minute_bars(n_assets=8, n_bars=1500)
    event_bars = [600, 900, 1200, 1400]
    bars, _ = minute_bars(n_assets=8, n_bars=1500, effect=0.004, event_bars=event_bars)
    ev = events_at([times[b] + pd.Timedelta(seconds=1) for b in event_bars])
    kw = dict(interval="1m", market="MKT", model="market", estimation=(-250, -11), windows=((0, 0), (-2, 2)),
              n_boot=300)
    res = intraday_study(ev, bars, **kw)
    caar = res.caar.set_index(["group", "window"])["caar"]
    assert caar[("all", "0:0")] == pytest.approx(0.004, abs=0.0006)  # 32 members, noise sd ~0.0008/sqrt(32)
    kp = res.tests.query("group == 'all' and window == '0:0' and test == 'kp_bmp' and tau.isna()")["statistic"]
    assert kp.iloc[0] > 5
    null = intraday_study(ev, bars0, **kw).caar.set_index(["group", "window"])["caar"]
    assert abs(null[("all", "0:0")]) < 0.0006
    # the chunked engine on bars: same numbers in several blocks
    monkeypatch.setattr(engine, "BYTES_PER_CELL", 1)
    monkeypatch.setattr(engine, "SPILL_BYTES_PER_CELL", 0)
    monkeypatch.setattr(engine, "RESULT_BYTES", 0)
    monkeypatch.setattr(engine, "RESULT_BYTES_MEMBER", 0)
    monkeypatch.setattr(engine, "rss_bytes", lambda: 0)
    ch = intraday_study(ev, bars, backend="chunked", memory=10 * 264, **kw)
    assert ch.options["blocks"] >= 3
    pd.testing.assert_frame_equal(res.car, ch.car, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ch.tests["statistic"].to_numpy(float), res.tests["statistic"].to_numpy(float),
                               rtol=1e-12, atol=1e-12)
    pd.testing.assert_frame_equal(res.event_rows, ch.event_rows, rtol=1e-12, atol=1e-14)
    pd.testing.assert_frame_equal(res.abnormal_returns, ch.abnormal_returns, rtol=1e-12, atol=1e-14)
    assert res.abnormal_returns["date"].between(
        times[0].tz_convert(None), times[-1].tz_convert(None) + pd.Timedelta(minutes=1)).all()  # real instants
    files = {p.name: p for p in ch.write(tmp_path)}
    ar = pd.read_csv(files["abnormal_returns.csv"])
    assert ar["date"].str.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$").all()


def test_date_only_events_are_excluded_with_the_reason():
    bars, times = minute_bars(n_assets=2)
    ev = es.load_events(frame=pd.DataFrame({"event_id": ["A", "B"], "timestamp": [
        f"{times[500]:%Y-%m-%dT%H:%M:%S}+00:00", f"{times[0]:%Y-%m-%d}T00:00:00+00:00"],
        "time_precision": ["exact", "date-only"]}))
    res = intraday_study(ev, bars, interval="1m", estimation=(-200, -11), windows=((0, 0),), n_boot=100)
    ex = res.exclusions.set_index(["event_id", "asset"])["reason"]
    assert ex[("B", "S0")].startswith("a date-only event") and ("A", "S0") not in ex.index


def test_clear_errors():
    bars, times = minute_bars(n_assets=2)
    ev = events_at([times[500]])
    with pytest.raises(DataError, match="naive"):
        intraday_study(ev, bars.assign(time=bars["time"].dt.tz_localize(None)), interval="1m")
    with pytest.raises(es.SpecificationError, match="dask"):
        intraday_study(ev, bars, interval="1m", backend="dask")
    with pytest.raises(DataError, match="no bars"):
        intraday_study(ev, bars, interval="1m", market="SPY", model="market")
    with pytest.raises(DataError, match="interval="):
        intraday_study(ev, bars, interval="soon")
    with pytest.raises(es.SpecificationError, match="date_only"):
        intraday_study(ev, bars, interval="1m", date_only="end-of-day")
    late = events_at([times[-1] + pd.Timedelta(days=2)])
    with pytest.raises(DataError, match="after the last bar"):
        intraday_study(late, bars, interval="1m")


def test_lunch_break_and_bars_of_different_lengths():
    """Tokyo breaks for lunch 11:30-12:30: the 11:00 hourly bar ends at 11:30, so an event at 11:45
    JST gets the 12:30 bar (ending 13:30). SPY hourly beside ES 15-minute bars (interval per
    instrument): an event at 15:05 UTC gets SPY's 14:30-15:30 bar and ES's 15:00-15:15 bar."""
    days = pd.bdate_range("2025-03-03", periods=40)
    starts = [pd.Timestamp(f"{d:%Y-%m-%d} {h}", tz="Asia/Tokyo") for d in days
              for h in ("09:00", "10:00", "11:00", "12:30", "13:30", "14:30")]
    rng = np.random.default_rng(3)
    n225 = pd.DataFrame({"ticker": "^N225", "time": starts,
                         "close": 38000 * np.exp(np.cumsum(rng.normal(0, 0.002, len(starts))))})
    ends = bar_ends(n225, "1h").dt.tz_convert("Asia/Tokyo").dt.strftime("%H:%M")
    assert ends.tolist()[:6] == ["10:00", "11:00", "11:30", "13:30", "14:30", "15:30"]
    ev = events_at([pd.Timestamp(f"{days[30]:%Y-%m-%d} 11:45", tz="Asia/Tokyo").tz_convert("UTC")])
    res = intraday_study(ev, n225, interval="1h", estimation=(-120, -11), windows=((0, 0),), n_boot=100)
    assert res.alignment["day0"].iloc[0] == pd.Timestamp(f"{days[30]:%Y-%m-%d} 13:30", tz="Asia/Tokyo")

    src = es.BundledSource()
    spy = src.intraday("SPY", "2025-09-02T00:00:00Z", "2025-10-20T00:00:00Z", "1h")
    fut = src.intraday("ES=F", "2025-09-02T00:00:00Z", "2025-10-20T00:00:00Z", "15m")
    ev = events_at([pd.Timestamp("2025-10-14T15:05:00Z")])
    res = intraday_study(ev, pd.concat([spy, fut]), interval={"SPY": "1h", "ES=F": "15m"},
                         estimation=(-100, -11), windows=((0, 0),), n_boot=100)
    day0 = res.alignment.set_index("asset")["day0"]
    assert day0["SPY"] == pd.Timestamp("2025-10-14T15:30:00Z")
    assert day0["ES=F"] == pd.Timestamp("2025-10-14T15:15:00Z")
    with pytest.raises(DataError, match="no bar length for 'ES=F'"):
        intraday_study(ev, pd.concat([spy, fut]), interval={"SPY": "1h"})


def test_reasons_name_real_instants_and_placebo_refuses_bars():
    bars, times = minute_bars(n_assets=2)
    ev = events_at([times[0] + pd.Timedelta(seconds=5), times[500]])
    res = intraday_study(ev, bars, interval="1m", estimation=(-200, -11), windows=((0, 0),), n_boot=100)
    reasons = " ".join(res.exclusions["reason"])
    assert "1678" not in reasons and "[bars]" not in reasons and "needs a bar before it" in reasons
    with pytest.raises(es.SpecificationError, match="daily"):
        es.placebo_test(res, n_draws=100)


def test_factor_model_and_a_benchmark_per_asset_on_bars():
    """Factors and per-asset benchmarks are read under the engine's stand-in names and reported
    under the real ones (params columns, options)."""
    bars, times = minute_bars(n_assets=3)
    ev = events_at([times[600] + pd.Timedelta(seconds=5)])
    fm = intraday_study(ev, bars, interval="1m", model=es.FactorModel(("MKT",), lags=1), estimation=(-300, -11),
                        windows=((0, 0),), n_boot=50)
    assert set(fm.car["asset"]) == {"S0", "S1", "S2"}
    assert {"beta[MKT,-1]", "beta[MKT,+0]", "beta[MKT,+1]", "dimson_beta[MKT]"} <= set(fm.params.columns)
    assert fm.options["factors"] == ["MKT"] and "[bars]" not in " ".join(map(str, fm.options.values()))
    # the beta is recovered: S2 has beta 1.5 on MKT (SE of one slope ~0.0008 / (0.0005 sqrt(290)) = 0.09)
    assert fm.params.set_index("asset").loc["S2", "beta[MKT,+0]"] == pytest.approx(1.5, abs=0.3)
    per = intraday_study(ev, bars, interval="1m", model="market", market={"S0": "MKT", "S1": "S0"}, assets=["S0", "S1"],
                         estimation=(-300, -11), windows=((0, 0),), n_boot=50)
    assert set(per.car["asset"]) == {"S0", "S1"} and per.options["market"] == {"S0": "MKT", "S1": "S0"}
