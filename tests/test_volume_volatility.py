"""Abnormal volume and abnormal volatility (issue 14, deliverable 3).

Every number is worked by hand from the published formulas on a small case (Campbell, Lo &
MacKinlay's prediction-error variance of a sum, Patell's standardized test, Beaver's U, the
chi-square law of a sample variance), or is an effect injected into synthetic data and recovered;
none is the package's output copied back.
"""

import math

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy.errors import DataError, MissingDependencyError, PriceSourceError, SpecificationError
from eventstudy.prices.base import check_daily_frame
from eventstudy.volatility import beaver_u, cs_variance, garch_forecast
from eventstudy.volume import abnormal_volume, log_volume, volume_tests


def normal_sf(z):
    return 0.5 * math.erfc(z / math.sqrt(2))


# -- the formulas, by hand ----------------------------------------------------------------------------

def test_mean_adjusted_abnormal_volume_by_hand():
    # estimation log volume 1..5: mean 3, s^2 = 10/4 = 2.5 (M - 1 = 4 df); window [6, 4]
    fit = abnormal_volume([1, 2, 3, 4, 5], [6, 4])
    np.testing.assert_allclose(fit["av"], [3.0, 1.0])
    assert fit["cav"] == pytest.approx(4.0)
    # CLM (1997) 4.4.6 for a sum of L = 2 days: s^2 (L + L^2 / M) = 2.5 (2 + 4/5) = 7
    assert fit["se"] == pytest.approx(math.sqrt(7.0))
    assert fit["sigma"] == pytest.approx(math.sqrt(2.5)) and fit["df"] == 4


def test_market_model_abnormal_volume_by_hand():
    # x = -2..2 (mean 0, Sxx = 10), y = 1,2,4,4,6: b = Sxy/Sxx = 12/10 = 1.2, a = mean y = 3.4;
    # residuals 0, -0.2, 0.6, -0.6, 0.2 -> SSR 0.8, s^2 = 0.8/3 (M - 2 df)
    fit = abnormal_volume([1, 2, 4, 4, 6], [6, 9], [-2, -1, 0, 1, 2], [1, 3])
    np.testing.assert_allclose(fit["params"], [3.4, 1.2])
    np.testing.assert_allclose(fit["normal"], [4.6, 7.0])
    np.testing.assert_allclose(fit["av"], [1.4, 2.0])
    # CLM 4.4.13: s^2 (L + L^2/M + (sum(x_e - mean x))^2 / Sxx) = (0.8/3)(2 + 4/5 + 16/10)
    assert fit["se"] == pytest.approx(math.sqrt(0.8 / 3 * 4.4))
    assert fit["df"] == 3


def test_volume_tests_by_hand():
    rows = {r["test"]: r for r in volume_tests([1, 2, 3, 6], [1, 1, 2, 2], [10, 10, 10, 10])}
    # cross-sectional t: mean 3, sd^2 = (4 + 1 + 0 + 9)/3 = 14/3, t = 3 / (sd / 2)
    t = 3 / (math.sqrt(14 / 3) / 2)
    assert rows["t_cs"]["statistic"] == pytest.approx(t)
    # t with 3 df: F(t) = 1/2 + (1/pi)(u/(1 + u^2) + atan u), u = t / sqrt 3
    u = t / math.sqrt(3)
    assert rows["t_cs"]["pvalue"] == pytest.approx(2 * (0.5 - (u / (1 + u * u) + math.atan(u)) / math.pi))
    # Patell: sum CAV/SE = 1 + 2 + 1.5 + 3 = 7.5 over sqrt(4 x 10/8) = sqrt 5
    z = 7.5 / math.sqrt(5)
    assert rows["patell"]["statistic"] == pytest.approx(z)
    assert rows["patell"]["pvalue"] == pytest.approx(2 * normal_sf(z))
    assert rows["t_cs"]["n"] == rows["patell"]["n"] == 4


def test_log_volume_keeps_a_zero_under_log1p_and_drops_it_under_log():
    np.testing.assert_allclose(log_volume([0, math.e - 1, np.nan]), [0.0, 1.0, np.nan])
    np.testing.assert_allclose(log_volume([0, math.e, np.nan], "log"), [np.nan, 1.0, np.nan])
    with pytest.raises(SpecificationError, match="transform"):
        log_volume([1.0], "sqrt")


def test_beaver_u_and_cross_sectional_variance_by_hand():
    # ARs 0.02 and -0.03 against s = 0.01: U = 4 and 9; sum 13 ~ chi2(2), whose tail is exp(-x/2)
    r = beaver_u(np.array([0.02, -0.03]) ** 2 / 0.01 ** 2)
    assert r["statistic"] == pytest.approx(13.0) and r["ratio"] == pytest.approx(6.5) and r["df"] == 2
    assert r["pvalue"] == pytest.approx(math.exp(-6.5))
    # SCAR 1, 2, 3, 6: variance 14/3 (3 df); 3 x 14/3 = 14 ~ chi2(3), tail 2 Q(sqrt x) + sqrt(2x/pi) e^(-x/2)
    c = cs_variance([1, 2, 3, 6])
    assert c["ratio"] == pytest.approx(14 / 3) and c["statistic"] == pytest.approx(14.0) and c["df"] == 3
    assert c["pvalue"] == pytest.approx(2 * normal_sf(math.sqrt(14)) + math.sqrt(28 / math.pi) * math.exp(-7))


# -- synthetic studies: an injected effect recovered ----------------------------------------------------

N_DAYS, N_ASSETS = 700, 8


def synthetic(*, volume_jump=0.0, sd_event=0.01, seed=3):
    """Assets A0.. and a market MKT with iid N(0, 1 %) returns and log volume 12 + 0.8 (m - 12) + N(0, 0.3),
    m the market's log volume; on the day-0 session of each event the assets' log volume rises by
    ``volume_jump`` and on days -1..1 their returns have SD ``sd_event``."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2020-01-01", periods=N_DAYS)
    day0 = np.arange(300, N_DAYS - 10, 50)
    m = 12 + rng.normal(0, 0.4, N_DAYS)
    frames = [pd.DataFrame({"ticker": "MKT", "date": dates, "close": 100 * np.cumprod(1 + rng.normal(0, .01, N_DAYS)),
                            "volume": np.expm1(m)})]
    for i in range(N_ASSETS):
        r = rng.normal(0, 0.01, N_DAYS)
        lv = 12 + 0.8 * (m - 12) + rng.normal(0, 0.3, N_DAYS)
        for d in day0:
            r[d - 1:d + 2] = rng.normal(0, sd_event, 3)
            lv[d] += volume_jump
        frames.append(pd.DataFrame({"ticker": f"A{i}", "date": dates, "close": 100 * np.cumprod(1 + r),
                                    "volume": np.expm1(lv)}))
    prices = pd.concat(frames, ignore_index=True)
    prices["adj_close"] = prices["close"]
    events = es.load_events(frame=pd.DataFrame({"event_id": [f"E{k}" for k in range(len(day0))],
                                                "date": dates[day0].strftime("%Y-%m-%d")}))
    return prices, events, dates[day0]


def fit(prices, events, **kw):
    kw = {"model": "constant-mean", "estimation": (-250, -11), "windows": ((0, 0), (-1, 1)), "group": None,
          "tests": ("t_cs",), **kw}
    return es.EventStudy(events, prices, assets=[f"A{i}" for i in range(N_ASSETS)], **kw).fit()


@pytest.fixture(scope="module")
def injected():
    prices, events, _ = synthetic(volume_jump=1.0, sd_event=0.03)
    return fit(prices, events)


def test_injected_abnormal_volume_is_recovered(injected):
    v = injected.volume_study()
    assert v.model == "mean-adjusted" and v.exclusions.empty
    t = v.tests.set_index(["group", "window", "test"])
    # +1 log point on day 0 only: the mean CAV is 1 in 0:0 and in -1:1 (the other days are normal). The
    # mean model leaves the market's volume in: 0.8 x 0.4 = 0.32 common to every asset on a date, 0.32/sqrt(8
    # events) = 0.11 of noise in a mean over 8 dates; 0.35 is three times that
    assert t.loc[("all", "0:0", "t_cs"), "mean"] == pytest.approx(1.0, abs=0.35)
    assert t.loc[("all", "-1:1", "t_cs"), "mean"] == pytest.approx(1.0, abs=0.5)
    assert t.loc[("all", "0:0", "t_cs"), "pvalue"] < 1e-10 and t.loc[("all", "0:0", "patell"), "pvalue"] < 1e-10
    aav = v.aav.set_index("tau")["aav"]
    assert abs(aav[-1]) < 0.35 and abs(aav[1]) < 0.35
    # the market model on MKT's log volume removes it: residual SD 0.3, 0.3/sqrt(64 members) = 0.04 of noise
    vm = injected.volume_study(market="MKT")
    assert vm.model == "market"
    mt = vm.tests.set_index(["group", "window", "test"])
    assert mt.loc[("all", "0:0", "t_cs"), "mean"] == pytest.approx(1.0, abs=0.12)
    assert mt.loc[("all", "-1:1", "t_cs"), "mean"] == pytest.approx(1.0, abs=0.2)
    assert vm.car["sigma"].mean() == pytest.approx(0.3, abs=0.03)
    assert v.car["sigma"].mean() == pytest.approx(math.sqrt(0.3 ** 2 + 0.8 ** 2 * 0.4 ** 2), abs=0.04)


def test_injected_variance_increase_is_recovered(injected):
    vol = injected.volatility_study()
    t = vol.tests.set_index(["group", "window", "test"])
    # event-window SD 3 % against 1 %: U = AR^2 / s^2 has mean 9
    assert t.loc[("all", "-1:1", "beaver_u"), "ratio"] == pytest.approx(9.0, rel=0.25)
    assert t.loc[("all", "-1:1", "beaver_u"), "pvalue"] < 1e-12
    # CAR over 3 days has variance 3 x 9 s^2: the standardized CARs' variance is 9 as well
    assert t.loc[("all", "-1:1", "cs_variance"), "ratio"] == pytest.approx(9.0, rel=0.35)
    assert t.loc[("all", "-1:1", "cs_variance"), "pvalue"] < 1e-6
    d = vol.daily
    np.testing.assert_allclose(d["u"], d["ar"] ** 2 / d["sigma"] ** 2)


def test_no_effect_no_finding():
    prices, events, _ = synthetic(seed=11)
    res = fit(prices, events)
    t = res.volatility_study().tests.set_index(["group", "window", "test"])
    assert t.loc[("all", "-1:1", "beaver_u"), "ratio"] == pytest.approx(1.0, abs=0.3)
    assert t.loc[("all", "-1:1", "beaver_u"), "pvalue"] > 0.01
    v = res.volume_study(market="MKT").tests.set_index(["group", "window", "test"])
    assert abs(v.loc[("all", "0:0", "t_cs"), "mean"]) < 0.15  # 0.3 / sqrt(64) = 0.04 of noise
    assert v.loc[("all", "0:0", "t_cs"), "pvalue"] > 0.01


# -- missing volume ----------------------------------------------------------------------------------------

def test_missing_volume_is_an_exclusion_or_a_status_never_a_zero():
    prices, events, day0 = synthetic(volume_jump=1.0)
    prices.loc[prices["ticker"] == "A7", "volume"] = np.nan  # a source without volume for A7
    hole = (prices["ticker"] == "A6") & (prices["date"] == day0[1])
    prices.loc[hole, "volume"] = np.nan  # one day-0 volume the source left empty
    v = fit(prices, events).volume_study()
    assert set(v.exclusions["asset"]) == {"A7"}
    assert (v.exclusions["reason"] == "no volume for A7 in the price data (the source has none)").all()
    row = v.car[(v.car["asset"] == "A6") & (v.car["event_id"] == "E1") & (v.car["window"] == "0:0")].iloc[0]
    assert np.isnan(row["cav"]) and row["status"] == f"volume missing on {day0[1]:%Y-%m-%d}"
    n = v.tests.set_index(["group", "window", "test"]).loc[("all", "0:0", "t_cs"), "n"]
    assert n == 8 * 7 - 1  # 8 events on A0..A6, less the hole


def test_prices_without_a_volume_column_say_so():
    prices, events, _ = synthetic()
    res = fit(prices.drop(columns="volume"), events)
    with pytest.raises(DataError, match="no volume column"):
        res.volume_study()
    with pytest.raises(SpecificationError, match="needs a benchmark"):
        fit(prices, events).volume_study(model="market")


def test_a_negative_volume_is_refused():
    frame = pd.DataFrame({"ticker": ["A", "A"], "date": ["2024-01-02", "2024-01-03"], "close": [1.0, 1.0],
                          "adj_close": [1.0, 1.0], "volume": [5.0, -1.0]})
    with pytest.raises(PriceSourceError, match="negative or infinite volume .* A 2024-01-03"):
        check_daily_frame(frame, "test")


def test_long_csv_volume_column(tmp_path):
    p = tmp_path / "long.csv"
    p.write_text("date,ticker,close,volume\n2024-01-02,AAA,10,100\n2024-01-03,AAA,11,\n")
    got = es.CSVSource(p).daily()
    np.testing.assert_array_equal(got["volume"].to_numpy(), [100.0, np.nan])
    p.write_text("date,ticker,close,volume\n2024-01-02,AAA,10,lots\n")
    with pytest.raises(PriceSourceError, match="line 2, column volume"):
        es.CSVSource(p).daily()


def test_bundled_snapshot_volume_says_where_there_is_none(bundled, bundled_daily):
    m = bundled.manifest["daily"]
    none = {t for t, info in m.items() if info["volume"].startswith("none")}
    assert none == {"^KS11", "ZS=F", "CNY=X"}
    have = bundled_daily.groupby("ticker")["volume"].count()
    assert (have[sorted(none)] == 0).all()
    for t in set(m) - none:
        v = bundled_daily.loc[bundled_daily["ticker"] == t].set_index("date")["volume"]
        missing = {pd.Timestamp(r["date"]) for r in m[t]["volume_missing"]} & set(v.index)
        assert v[sorted(missing)].isna().all() and v.drop(sorted(missing)).notna().all(), t
        assert (v.dropna() > 0).all(), t
    # 000001.SS reports 100 on 2022-04-28 against ~400 thousand around it: left empty, with the reason
    reasons = {r["date"]: r["reason"] for r in m["000001.SS"]["volume_missing"]}
    assert "data error" in reasons["2022-04-28"]


def test_bundled_study_excludes_markets_without_volume_with_the_reason():
    from eventstudy.examples import us_china

    res = us_china.study(assets=["^KS11", "^N225"], windows=((0, 0),)).fit()
    v = res.volume_study()
    ks = v.exclusions[v.exclusions["asset"] == "^KS11"]
    assert len(ks) == (res.members["asset"] == "^KS11").sum() > 0
    assert ks["reason"].str.contains("no volume for \\^KS11 in the price data: the source file").all()
    assert set(v.car["asset"]) == {"^N225"}


# -- GARCH(1,1) -------------------------------------------------------------------------------------------

def test_garch_needs_its_extra_or_forecasts_the_published_recursion():
    y = np.random.default_rng(5).standard_t(8, 500) * 0.01
    try:
        import arch
    except ImportError:
        with pytest.raises(MissingDependencyError, match=r"eventstudy\[volatility\]"):
            garch_forecast(y, [1, 2])
        return
    sd, status = garch_forecast(y, [1, 2, 10])
    assert status == "ok"
    fit = arch.arch_model(100 * y, mean="Zero", vol="GARCH", p=1, q=1, rescale=False).fit(disp="off")
    w, a, b = fit.params["omega"], fit.params["alpha[1]"], fit.params["beta[1]"]
    # Bollerslev (1986): s2_{T+1} = w + a e_T^2 + b s2_T; s2_{T+h} = v + (a + b)^(h-1) (s2_{T+1} - v), v = w/(1-a-b)
    s2_next = w + a * (100 * y[-1]) ** 2 + b * fit.conditional_volatility[-1] ** 2
    v = w / (1 - a - b)
    want = [v + (a + b) ** (h - 1) * (s2_next - v) for h in (1, 2, 10)]
    np.testing.assert_allclose((100 * sd) ** 2, want, rtol=1e-4)


def test_garch_benchmark_recovers_the_injected_variance(injected):
    pytest.importorskip("arch")
    t = injected.volatility_study(garch=True).tests.set_index(["group", "window", "test"])
    assert t.loc[("all", "-1:1", "garch_u"), "ratio"] == pytest.approx(9.0, rel=0.3)
    assert t.loc[("all", "-1:1", "garch_u"), "pvalue"] < 1e-12


# -- the command line --------------------------------------------------------------------------------------

def test_cli_writes_the_volume_and_volatility_files(tmp_path):
    from eventstudy.cli import main

    out = tmp_path / "run"
    assert main(["run", "--out", str(out), "--no-figures", "--no-pdf", "--placebo", "0", "--assets",
                 "SPY,^N225,^KS11", "--volume", "--volatility"]) == 0
    for name in ("volume_car.csv", "volume_tests.csv", "volume_exclusions.csv", "volatility.csv",
                 "volatility_tests.csv", "tables/volume.md", "tables/volatility.md", "tables/volume.csv"):
        assert (out / name).is_file(), name
    excl = pd.read_csv(out / "volume_exclusions.csv")
    assert set(excl["asset"]) == {"^KS11"}
    tests = pd.read_csv(out / "volatility_tests.csv")
    assert set(tests["test"]) == {"beaver_u", "cs_variance"}
    car = pd.read_csv(out / "volume_car.csv")
    assert set(car["asset"]) == {"SPY", "^N225"}
    assert "Abnormal trading volume" in (out / "report.html").read_text()


def test_one_member_gets_tables_with_empty_statistics_not_a_crash():
    """A test that is NaN in every row (one member: no cross-sectional SD) keeps its column."""
    prices, events, _ = synthetic()
    res = es.EventStudy(events.iloc[:1], prices, assets=["A0"], model="constant-mean", estimation=(-250, -11),
                        windows=((0, 0),), group=None, tests=("t_cs",)).fit()
    vol = res.volume_study().table(res).table
    assert len(vol) == 1 and np.isnan(float(vol["t stat"].iloc[0]))
    var = res.volatility_study().table(res).table
    assert len(var) == 1 and np.isnan(float(var["CS variance stat"].iloc[0]))


@pytest.mark.slow
def test_the_volatility_tests_hold_their_size_without_news():
    """Monte Carlo through the public API: 80 studies of iid normal returns (10 events, each on its
    own 60 markets, window -5:5, constant mean). Compared with chi-square(n), the U test rejected
    19 % of them and the cross-sectional variance test 27 % at 5 %; with the null moments of
    t(d)^2 and the exact CAR SEs both stay near 5 %."""
    from eventstudy.volatility import volatility_study

    dates = pd.bdate_range("2020-01-01", periods=700)
    at = np.arange(300, 680, 38)[:10]
    rejected = {"beaver_u": 0, "cs_variance": 0}
    reps = 80
    for r in range(reps):
        rng = np.random.default_rng(100 + r)
        tick = [f"A{i}" for i in range(600)]
        ret = rng.normal(0, 0.01, (len(dates), len(tick)))
        prices = pd.DataFrame({"ticker": np.repeat(tick, len(dates)), "date": np.tile(dates, len(tick)),
                               "close": (100 * np.exp(np.cumsum(ret, axis=0))).T.ravel()})
        prices["adj_close"] = prices["close"]
        ev = es.load_events(frame=pd.DataFrame({
            "event_id": [f"e{i}" for i in range(len(at))], "date": dates[at].strftime("%Y-%m-%d"),
            "assets": [";".join(tick[60 * i:60 * (i + 1)]) for i in range(len(at))]}))
        res = es.EventStudy(ev, prices, model="constant-mean", windows=((-5, 5),), group=None, by_event=False,
                            by_asset=False, tests=("t_cs",), n_boot=10).fit()
        t = volatility_study(res).tests.query("group == 'all'").set_index("test")["pvalue"]
        for name in rejected:
            rejected[name] += t[name] < 0.05
    for name, k in rejected.items():
        assert k / reps <= 0.12, (name, k / reps)


def test_a_parquet_price_file_keeps_its_volume(tmp_path):
    pytest.importorskip("pyarrow")
    prices, events, _ = synthetic()
    source = es.ParquetSource.write(prices, tmp_path / "p.parquet")
    back = source.daily(["A0"])
    want = prices[prices["ticker"] == "A0"]["volume"].to_numpy()
    np.testing.assert_allclose(back["volume"].to_numpy(), want, rtol=1e-12)
    a = fit(source, events).volume_study().tests
    b = fit(prices, events).volume_study().tests
    pd.testing.assert_frame_equal(a, b)
