"""Bad input to EventStudy: a clear error, or a reported exclusion with its reason; never a silent drop."""

import numpy as np
import pandas as pd
import pytest

import eventstudy as es


@pytest.fixture()
def prices():
    rng = np.random.default_rng(11)
    dates = pd.bdate_range("2024-01-01", periods=300)
    frames = []
    for t, s in [("MKT", 0.01), ("AAA", 0.015), ("BBB", 0.02)]:
        p = 100 * np.cumprod(1 + rng.normal(0.0002, s, len(dates)))
        frames.append(pd.DataFrame({"ticker": t, "date": dates, "close": p, "adj_close": p}))
    return pd.concat(frames, ignore_index=True)


def events(rows):
    return es.load_events(frame=pd.DataFrame(rows, columns=["event_id", "date"]))


def study(ev, prices, **kw):
    kw.setdefault("estimation", (-120, -11))
    kw.setdefault("windows", ((-1, 1),))
    kw.setdefault("n_boot", 200)
    return es.EventStudy(ev, prices, market="MKT", **kw)


def test_event_outside_the_data_is_excluded_with_reason(prices):
    res = study(events([["ok", "2024-10-01"], ["late", "2025-06-02"]]), prices).fit()
    assert set(res.car["event_id"]) == {"ok"}
    ex = res.exclusions
    assert set(ex["event_id"]) == {"late"}
    assert (ex["reason"] == "event on 2025-06-02 is outside the sessions of data dates (UTC, close assumed 24:00), "
            "2024-01-01 to 2025-02-21").all()


def test_too_short_estimation_is_excluded_with_reason(prices):
    res = study(events([["early", "2024-03-01"], ["ok", "2024-10-01"]]), prices, min_estimation=60).fit()
    assert set(res.car["event_id"]) == {"ok"}
    reasons = res.exclusions.set_index(["event_id", "asset"])["reason"]
    # 2024-03-01 is the 45th business day: 43 returns precede day 0, the last 10 are the gap
    assert reasons[("early", "AAA")].startswith("33 estimation observations in -120:-11 (min_estimation=60)")


def test_everything_excluded_is_an_error(prices):
    with pytest.raises(es.EstimationWindowError,
                       match=r"could be estimated: 2 x 33 estimation observations in -120:-11 \(min_estimation=60\)\. "
                             "Shorten min_estimation"):
        study(events([["early", "2024-03-01"]]), prices, min_estimation=60).fit()


def test_window_past_the_end_of_the_data_is_reported(prices):
    last = prices["date"].max()
    res = study(events([["edge", f"{last:%Y-%m-%d}"], ["ok", "2024-10-01"]]), prices).fit()
    edge = res.car[res.car["event_id"] == "edge"]
    assert (edge["status"] == "no return on tau 1").all() and edge["car"].isna().all()
    assert (res.car.loc[res.car["event_id"] == "ok", "status"] == "ok").all()


def test_asset_without_prices_is_an_error(prices):
    ev = es.load_events(frame=pd.DataFrame({"event_id": ["x"], "date": ["2024-10-01"], "asset": ["ZZZ"]}))
    with pytest.raises(es.DataError, match=r"asset\(s\) \['ZZZ'\] have no prices"):
        study(ev, prices).fit()


def test_missing_market_and_unknown_model(prices):
    with pytest.raises(es.DataError, match="market 'SPX' has no prices"):
        es.EventStudy(events([["x", "2024-10-01"]]), prices, market="SPX").fit()
    with pytest.raises(es.SpecificationError, match="needs a benchmark: pass market="):
        es.EventStudy(events([["x", "2024-10-01"]]), prices).fit()
    with pytest.raises(es.SpecificationError, match="model='capm' is unknown"):
        study(events([["x", "2024-10-01"]]), prices, model="capm").fit()


def test_overlapping_windows_and_estimation_rejected(prices):
    with pytest.raises(es.EstimationWindowError, match="overlaps event window"):
        study(events([["x", "2024-10-01"]]), prices, estimation=(-100, 0)).fit()


def test_non_finite_prices_are_an_error(tmp_path):
    p = tmp_path / "p.csv"
    p.write_text("date,MKT,AAA\n2024-01-01,1,1\n2024-01-02,inf,1\n")
    with pytest.raises(es.PriceSourceError, match="line 3, column MKT: MKT on 2024-01-02 has price 'inf', "
                                                  "not a finite number"):
        es.CSVSource(p)


def test_missing_price_is_a_gap_not_a_zero_return(prices):
    """A day without a price is skipped: the next return spans two sessions, nothing is filled."""
    gap = pd.Timestamp("2024-09-30")
    res = study(events([["ok", "2024-10-01"]]), prices[~((prices["ticker"] == "AAA") & (prices["date"] == gap))]).fit()
    ar = res.abnormal_returns
    aaa = ar[(ar["asset"] == "AAA")]
    assert gap not in set(aaa["date"]) and (aaa["ret"] != 0).all()
    assert (ar[(ar["asset"] == "BBB")]["date"] == gap).any()


def test_clean_estimation_window_reported(prices):
    res = study(events([["a", "2024-09-02"], ["b", "2024-09-23"]]), prices).fit()
    ex = res.estimation_exclusions
    # a's window (-1..1) lies in b's estimation window, on both assets: 3 days each
    assert len(ex) == 6 and set(ex["event_id"]) == {"b"}
    kept = es.EventStudy(events([["a", "2024-09-02"], ["b", "2024-09-23"]]), prices, market="MKT",
                         estimation=(-120, -11), windows=((-1, 1),), clean_estimation=False, n_boot=200).fit()
    assert len(kept.estimation_exclusions) == 0
    assert (kept.car["n_est"] == 110).all() and set(res.car.loc[res.car.event_id == "b", "n_est"]) == {107}


def test_benchmark_per_asset_equals_separate_studies(prices):
    """market={asset: benchmark}: each asset's numbers equal a study of that asset on its benchmark."""
    rng = np.random.default_rng(4)
    mk2 = prices[prices["ticker"] == "MKT"].assign(ticker="MK2")
    mk2["close"] = mk2["adj_close"] = 50 * np.cumprod(1 + rng.normal(0, 0.01, len(mk2)))
    px = pd.concat([prices, mk2], ignore_index=True)
    ev = events([["x", "2024-10-01"]])
    both = es.EventStudy(ev, px, market={"AAA": "MKT", "BBB": "MK2"}, estimation=(-120, -11),
                         windows=((-1, 1),), n_boot=50).fit().car.set_index("asset")
    for asset, bench in (("AAA", "MKT"), ("BBB", "MK2")):
        one = es.EventStudy(ev, px, assets=[asset], market=bench, estimation=(-120, -11), windows=((-1, 1),),
                            n_boot=50).fit().car.set_index("asset")
        assert both.loc[asset, "car"] == pytest.approx(one.loc[asset, "car"], rel=1e-12)
        assert both.loc[asset, "se"] == pytest.approx(one.loc[asset, "se"], rel=1e-12)
    with pytest.raises(es.DataError, match=r"maps no benchmark to \['BBB'\]"):
        es.EventStudy(ev, px, assets=["AAA", "BBB"], market={"AAA": "MKT"}).fit()


def test_benchmark_outside_its_data_is_missing_not_zero(prices):
    """Estimation days before the market's first price have no market return: they leave the fit
    (fewer observations), they are not regressed on a made-up 0."""
    late = prices[~((prices["ticker"] == "MKT") & (prices["date"] < pd.Timestamp("2024-06-03")))]
    res = study(events([["x", "2024-10-01"]]), late).fit()
    full = study(events([["x", "2024-10-01"]]), prices).fit()
    assert (full.car["n_est"] == 110).all()
    ar = res.abnormal_returns
    est = ar[(ar["asset"] == "AAA") & (ar["part"] == "estimation")]
    covered = int(est["date"].ge("2024-06-04").sum())  # the market's first return: 2024-06-03 -> 06-04
    assert 0 < covered < 110 and (res.car["n_est"] == covered).all()


def test_factor_tickers_and_chained_benchmarks_are_handled(prices):
    ev = events([["x", "2024-10-01"]])
    fm = es.EventStudy(ev, prices, model=es.FactorModel(("MKT",)), estimation=(-120, -11), windows=((-1, 1),),
                       n_boot=50).fit()
    assert set(fm.car["asset"]) == {"AAA", "BBB"}  # the factor itself is not studied
    chain = es.EventStudy(ev, prices, market={"AAA": "MKT", "BBB": "AAA"}, estimation=(-120, -11), windows=((-1, 1),),
                          n_boot=50).fit()
    assert set(chain.car["asset"]) == {"AAA", "BBB"}  # AAA is a benchmark and an asset
    with pytest.raises(es.DataError, match=r"\['MKT'\] would be regressed on themselves"):
        es.EventStudy(ev, prices, assets=["AAA", "MKT"], market="MKT").fit()


def test_custom_group_column_is_pooled(prices):
    ev = es.load_events(frame=pd.DataFrame({"event_id": ["a", "b", "c"],
                                            "date": ["2024-09-02", "2024-10-01", "2024-11-01"],
                                            "region": ["eu", "asia", "eu"]}))
    res = study(ev, prices, group="region").fit()
    assert {"eu", "asia"} <= set(res.tests["group"])
    assert res.caar.set_index(["group", "window"]).loc[("eu", "-1:1"), "n"] == 4


def test_gap_inside_the_window_is_flagged(prices):
    nyse = es.exchange_sessions("XNYS").sessions
    prices = prices[prices["date"].isin(nyse)]  # the exchange's sessions only (its holidays have no row)
    gap = prices[~((prices["ticker"] == "AAA") & (prices["date"] == pd.Timestamp("2024-09-30")))]
    # on its bare data dates a missing day is simply not a session; with its exchange calendar it is a gap
    res = study(events([["x", "2024-10-01"]]), gap, calendars={"AAA": "XNYS", "BBB": "XNYS"}).fit()
    st = res.car.set_index("asset")["status"]
    assert st["BBB"] == "ok"
    assert "return on tau 0 spans 2 sessions (missing price)" in st["AAA"]


def test_unregistered_ticker_with_a_named_calendar():
    """A US stock in a user's file: with calendars={'AAPL': 'XNYS'} an 18:05 ET announcement is day 0
    the next session, like SPY; on its bare data dates (24:00 UTC closes) it would be the same day."""
    dates = pd.bdate_range("2024-01-01", "2025-06-30")
    rng = np.random.default_rng(2)
    px = pd.concat([pd.DataFrame({"ticker": t, "date": dates, "close": p, "adj_close": p})
                    for t, p in (("MKT", 100 * np.cumprod(1 + rng.normal(0, 0.01, len(dates)))),
                                 ("AAPL", 100 * np.cumprod(1 + rng.normal(0, 0.01, len(dates)))))])
    px = px[px["date"].isin(es.exchange_sessions("XNYS").sessions)]  # no row on NYSE holidays
    ev = es.load_events(frame=pd.DataFrame({"event_id": ["g"], "timestamp": ["2025-05-06T18:05:00-04:00"]}))
    bare = es.EventStudy(ev, px, market="MKT", n_boot=20, min_estimation=30).fit()
    named = es.EventStudy(ev, px, market="MKT", calendars={"AAPL": "XNYS"}, n_boot=20, min_estimation=30).fit()
    assert bare.car["day0"].iloc[0] == "2025-05-06" and "close assumed 24:00" in bare.alignment["calendar"].iloc[0]
    assert named.car["day0"].iloc[0] == "2025-05-07" and named.alignment["calendar"].iloc[0] == "XNYS"


def test_prices_on_days_the_calendar_does_not_trade_are_an_error_or_the_sessions(prices):
    """A series named SPY with rows on NYSE holidays (New Year, MLK day, Good Friday 2024-03-29,
    Thanksgiving 2024-11-28 ...) contradicts the NYSE calendar: a clear error naming the ticker, the
    dates and both fixes; with calendars={'SPY': 'data'} its own dates are its sessions (the
    Thanksgiving row is day 0 of an event dated that day)."""
    spy = prices.assign(ticker=prices["ticker"].replace({"AAA": "SPY"}))
    with pytest.raises(es.DataError, match=r"SPY has \d+ price row\(s\) on days its calendar XNYS does not trade "
                                           r"\(2024-01-01, 2024-01-15, 2024-02-19, 2024-03-29.*--calendar SPY:data"):
        study(events([["tg", "2024-11-28"]]), spy).fit()
    res = study(events([["tg", "2024-11-28"]]), spy, calendars={"SPY": "data"}).fit()
    row = res.car.set_index("asset").loc["SPY"]
    assert row["day0"] == "2024-11-28" and "data dates" in res.alignment.set_index("asset").loc["SPY", "calendar"]
