"""Placebo-date permutation inference (eventstudy.placebo), pinned to independent truths:
the engine's own CAR for an event placed on a date, a hand-written OLS, known data-generating
processes (null calibration, an injected abnormal return, a common factor), and the local run for
the distributed one."""

import dataclasses
import warnings
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import eventstudy as es
from eventstudy.placebo import placebo_test, rolling_cars

DATES = pd.bdate_range("2020-01-01", periods=700)


def make_prices(seed, *, n_assets=5, betas=None, sd=0.01, common=None, shock=None, drop=None, dates=DATES):
    """Synthetic daily prices: MKT plus assets R_i = 0.0002 + beta_i R_m + e_i (simple returns).
    ``common``: (sd_factor, sd_idio) for a one-factor panel R_i = f + e_i instead; ``shock``:
    {date index: abnormal return} added to every asset; ``drop``: {ticker: date indices} rows removed."""
    rng = np.random.default_rng(seed)
    n = len(dates)
    m = rng.normal(0.0003, 0.01, n)
    frames = [pd.DataFrame({"ticker": "MKT", "date": dates, "close": 100 * np.cumprod(1 + m)})]
    betas = np.linspace(0.6, 1.4, n_assets) if betas is None else np.asarray(betas)
    f = rng.normal(0.0, common[0], n) if common else None
    for i in range(n_assets):
        r = f + rng.normal(0, common[1], n) if common else 0.0002 + betas[i] * m + rng.normal(0, sd, n)
        for j, ar in (shock or {}).items():
            r[j] += ar
        frames.append(pd.DataFrame({"ticker": f"A{i}", "date": dates, "close": 100 * np.cumprod(1 + r)}))
    px = pd.concat(frames, ignore_index=True)
    px["adj_close"] = px["close"]
    for t, rows in (drop or {}).items():
        px = px[~((px["ticker"] == t) & px["date"].isin(dates[rows]))]
    return px.reset_index(drop=True)


def make_events(day_index, groups=None, dates=DATES):
    frame = pd.DataFrame({"event_id": [f"e{k}" for k in range(len(day_index))],
                          "date": [f"{dates[j]:%Y-%m-%d}" for j in day_index]})
    if groups is not None:
        frame["group"] = groups
    return es.load_events(frame=frame)


def fit(ev, px, **kw):
    kw.setdefault("market", "MKT")
    kw.setdefault("estimation", (-120, -11))
    kw.setdefault("windows", ((-1, 1), (0, 0)))
    return es.EventStudy(ev, px, tests=["t_cs"], by_event=False, **kw).fit()


def engine_vs_rolling(res, event_id):
    """The engine's CAR (and n_est) of one event's members next to the rolling CAR at their day 0."""
    car = res.car.merge(res.members[["day0"]].rename(columns={"day0": "date"}), left_on="member", right_index=True)
    car = car[car["event_id"] == event_id]
    rc = rolling_cars(res, assets=sorted(set(car["asset"])))
    both = car.merge(rc, on=["asset", "date", "window"], suffixes=("", "_rolling"), validate="one_to_one")
    assert len(both) == len(car) > 0
    return both


# --- the rolling CAR of a date is the engine's CAR of an event on that date ------------------------

# e0's window (-1..1 around row 300) lies inside e1's estimation rows (-120..-11 around row 380);
# A1 misses prices in e1's estimation window and next to its event window
TARGET, OTHER = 380, 300
DROP = {"A1": [290, 330, 331, 332, 378]}


@pytest.mark.parametrize("model", ["market", "constant-mean", "market-adjusted",
                                   es.FactorModel(("MKT",), lags=1)], ids=str)
@pytest.mark.parametrize("clean", [True, False])
def test_rolling_car_equals_engine_car(model, clean):
    px = make_prices(1, n_assets=3, betas=[0.5, 1.0, 1.5], drop=DROP)
    res = fit(make_events([OTHER, TARGET]), px, model=model, clean_estimation=clean, windows=((-1, 1), (0, 0), (-3, 2)))
    ex = res.estimation_exclusions
    assert (len(ex[ex["event_id"] == "e1"]) > 0) == clean  # the clean rule is exercised
    # A1's rows skip its missing prices: tau -1 of e1 is the return from DATES[377] to DATES[379]
    ar = res.abnormal_returns
    assert ar.loc[(ar["event_id"] == "e1") & (ar["asset"] == "A1") & (ar["tau"] == -1), "date"].item() == DATES[379]
    assert ar.loc[(ar["event_id"] == "e1") & (ar["asset"] == "A0") & (ar["tau"] == -1), "date"].item() == DATES[379]
    assert ar.loc[(ar["event_id"] == "e1") & (ar["asset"] == "A1") & (ar["tau"] == -3), "date"].item() == DATES[376]
    both = engine_vs_rolling(res, "e1")
    np.testing.assert_allclose(both["car_rolling"], both["car"], rtol=0, atol=1e-10)
    assert (both["n_est_rolling"] == both["n_est"]).all()


def test_rolling_car_matches_a_hand_written_market_model_ols():
    """An independent truth: OLS by np.linalg.lstsq on the estimation rows of A1 (with its missing
    prices), the other event's window rows removed, the market compounded over each row's interval."""
    px = make_prices(2, n_assets=3, betas=[0.5, 1.0, 1.5], drop=DROP)
    res = fit(make_events([OTHER, TARGET]), px)
    a = px[px["ticker"] == "A1"].set_index("date")["adj_close"]
    mk = px[px["ticker"] == "MKT"].set_index("date")["adj_close"]
    dates = a.index[1:]
    r = a.to_numpy()[1:] / a.to_numpy()[:-1] - 1
    m = mk.loc[dates].to_numpy() / mk.loc[a.index[:-1]].to_numpy() - 1  # MKT has every date
    p = dates.get_loc(DATES[TARGET])
    q = dates.get_loc(DATES[OTHER])
    est = [i for i in range(p - 120, p - 10) if not q - 1 <= i <= q + 1]
    x = np.column_stack([np.ones(len(est)), m[est]])
    (alpha, beta), *_ = np.linalg.lstsq(x, r[est], rcond=None)
    assert abs(beta - 1.0) < 0.3  # the known beta of A1, roughly recovered
    rc = rolling_cars(res, assets=["A1"])
    for w, (lo, hi) in {"-1:1": (-1, 1), "0:0": (0, 0)}.items():
        rows = np.arange(p + lo, p + hi + 1)
        want = float((r[rows] - alpha - beta * m[rows]).sum())
        got = rc[(rc["date"] == DATES[TARGET]) & (rc["window"] == w)]
        assert got["n_est"].item() == len(est)
        assert got["car"].item() == pytest.approx(want, abs=1e-10)


def test_rolling_car_equals_engine_car_on_bundled_prices(bundled):
    """Real data: SPY and the Nikkei (its own holidays) on ACWI, market compounded over each row's interval."""
    ev = es.load_events(frame=pd.DataFrame({"event_id": ["other", "target"], "date": ["2024-02-01", "2024-03-12"]}))
    prices = bundled.daily(["SPY", "^N225", "ACWI"])  # only these: every other calendar costs seconds to build
    res = es.EventStudy(ev, prices, assets=["SPY", "^N225"], model="market", market="ACWI", estimation=(-250, -11),
                        windows=((-1, 1), (0, 0)), tests=["t_cs"], by_event=False).fit()
    assert (res.estimation_exclusions["event_id"] == "target").any()
    both = engine_vs_rolling(res, "target")
    assert set(both["asset"]) == {"SPY", "^N225"}
    np.testing.assert_allclose(both["car_rolling"], both["car"], rtol=0, atol=1e-10)
    assert (both["n_est_rolling"] == both["n_est"]).all()


def test_rolling_car_undefined_without_enough_estimation_rows_or_past_the_data():
    px = make_prices(3, n_assets=2)
    res = fit(make_events([300]), px, min_estimation=60)
    rc = rolling_cars(res, windows=["-1:1"])
    a0 = rc[rc["asset"] == "A0"].reset_index(drop=True)  # row t of A0 is the return on DATES[t + 1]
    # day 0 on row t <= 120 has rows 0 .. t - 11 before it: t - 10 estimation rows, 60 first at t = 70
    first = int(a0["car"].notna().to_numpy().argmax())
    assert first == 60 + 10 and a0.at[first, "n_est"] == 60 and a0.at[first - 1, "n_est"] == 59
    assert np.isnan(a0["car"].iloc[-1]) and a0["car"].iloc[-2:-1].notna().all()  # tau +1 past the end


# --- the test itself --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def study():
    px = make_prices(4, drop={"A2": [100, 101, 455]})
    return fit(make_events([200, 320, 450, 600], groups=["up", "down", "up", "down"]), px)


def test_observed_caar_equals_results_caar(study):
    frame = placebo_test(study, n_draws=200)
    assert list(frame["group"]) == ["all", "all", "up", "up", "down", "down"]
    ref = study.caar.set_index(["group", "window"])
    for row in frame.itertuples():
        assert row.caar == pytest.approx(ref.at[(row.group, row.window), "caar"], abs=1e-15)
        assert row.n_members == ref.at[(row.group, row.window), "n"]
        assert row.n_draws == 200
        assert row.q025 <= row.null_mean <= row.q975
        assert row.z == pytest.approx((row.caar - row.null_mean) / row.null_sd)


def test_chunked_engine_results_give_the_same_test(study):
    """The placebo test reads the one result schema, whichever engine fitted the study."""
    chunked = study.spec.fit(backend="chunked")
    pd.testing.assert_frame_equal(placebo_test(chunked, n_draws=300), placebo_test(study, n_draws=300))


def test_groups_windows_and_events_can_be_chosen(study):
    frame = placebo_test(study, n_draws=100, groups=["down", "e0"], windows="0:0")
    assert list(zip(frame["group"], frame["window"])) == [("down", "0:0"), ("e0", "0:0")]
    e0 = study.car[(study.car["event_id"] == "e0") & (study.car["window"] == "0:0")]["car"]
    assert frame.loc[1, "caar"] == pytest.approx(e0.mean(), abs=1e-15)
    assert frame.loc[1, "n_members"] == len(e0) == 5


def test_exclude_real_drops_dates_around_real_day0s(study):
    """Widest window -1:1: a pseudo window one session wider on each side may not touch a real
    window, so pseudo day 0 p is out within 3 sessions of a real day 0 q. Shifts are whole weeks
    (5 sessions: no holidays here) and the real day 0s are 120, 130 and 150 rows apart (multiples
    of 10), so exactly one shift per real event is out: 4 per cluster."""
    on = placebo_test(study, n_draws=10)
    off = placebo_test(study, n_draws=10, exclude_real=False)
    assert (off["n_dates"] - on["n_dates"] == 4).all()


def test_reproducible_with_a_seed(study):
    a = placebo_test(study, n_draws=300, seed=7)
    pd.testing.assert_frame_equal(a, placebo_test(study, n_draws=300, seed=7))
    b = placebo_test(study, n_draws=300, seed=8)
    assert not np.allclose(a["null_mean"], b["null_mean"])
    pd.testing.assert_series_equal(a["caar"], b["caar"])


@pytest.mark.slow
def test_null_pvalues_are_roughly_uniform():
    """No event effect: across 40 independent data sets the placebo p-value is about uniform and
    the 95 % placebo band holds the zero-mean truth."""
    p, inside = [], []
    for seed in range(40):
        px = make_prices(100 + seed)
        res = fit(make_events([200, 330, 470, 610]), px)
        f = placebo_test(res, n_draws=199, seed=seed, groups="all", windows="0:0")
        p.append(f["pvalue"].item())
        inside.append(f["q025"].item() < 0 < f["q975"].item())
    p = np.asarray(p)
    assert all(inside)
    assert (p < 0.05).sum() <= 6 and 12 <= (p < 0.5).sum() <= 28  # each bound: binomial tail < 0.5 %
    assert stats.kstest(p, "uniform").pvalue > 0.001


def test_injected_abnormal_return_is_detected():
    days = [200, 330, 470, 610]
    px = make_prices(5, shock={j: 0.03 for j in days})  # +3 % on each event's day 0
    res = fit(make_events(days), px)
    f = placebo_test(res, n_draws=999).set_index(["group", "window"])
    for w in ("0:0", "-1:1"):
        assert f.at[("all", w), "caar"] == pytest.approx(0.03, abs=0.01)
        assert f.at[("all", w), "pvalue"] < 0.01
        assert f.at[("all", w), "caar"] > f.at[("all", w), "q975"]


def test_common_factor_widens_the_null_beyond_independent_members():
    """10 assets driven by one factor (sd 1 %, idiosyncratic 0.5 %), six events each on one date for
    all: the placebo sd of the CAAR is about sqrt((sf^2 + se^2/10)(1 + 1/M) / 6), almost three times
    the naive sd/sqrt(N) that treats the 60 members as independent."""
    sf, se, n, e = 0.01, 0.005, 10, 6
    px = make_prices(6, n_assets=n, common=(sf, se))
    res = fit(make_events([180, 260, 340, 420, 500, 580]), px, model="constant-mean")
    f = placebo_test(res, n_draws=4000, groups="all", windows="0:0")
    null_sd = f["null_sd"].item()
    one = rolling_cars(res, windows="0:0")["car"].std()  # one member's CAR sd over all dates and assets
    naive = one / np.sqrt(f["n_members"].item())
    assert null_sd > 2 * naive
    assert null_sd == pytest.approx(np.sqrt((sf**2 + se**2 / n) * (1 + 1 / 110) / e), rel=0.15)


# --- errors ---------------------------------------------------------------------------------------


def test_bad_arguments_are_clear_errors(study):
    with pytest.raises(es.SpecificationError, match=r"n_draws=0: pass a positive number"):
        placebo_test(study, n_draws=0)
    with pytest.raises(es.SpecificationError,
                       match=r"groups='sideways' is not a group of the study; pass some of \['all', 'up', 'down'\]"):
        placebo_test(study, groups="sideways")
    with pytest.raises(es.SpecificationError,
                       match=r"windows='-5:5' is not a window of the study; pass some of \['-1:1', '0:0'\]"):
        placebo_test(study, windows="-5:5")
    with pytest.raises(es.SpecificationError, match="write two session offsets"):
        placebo_test(study, windows="soon")


def test_too_few_eligible_dates_is_a_clear_error():
    # day 0 on return row t needs t >= 115 (105 estimation rows) and t <= 137 (tau +1); the real day 0
    # is row 129 and rows 126..132 touch its window; weekly shifts from 129 land on 119, 124 and 134
    dates = pd.bdate_range("2020-01-01", periods=140)
    px = make_prices(7, n_assets=2, dates=dates)
    res = fit(make_events([130], dates=dates), px, min_estimation=105)
    with pytest.raises(es.EstimationWindowError,
                       match=r"the cluster of event\(s\) e0 has 3 eligible pseudo dates .* at least 20: use a longer"):
        placebo_test(res, n_draws=10)


@dataclasses.dataclass(frozen=True)
class ThroughOrigin(es.NormalReturnModel):
    """A user's own model, defined by its regressor columns only: R_it = beta_i R_mt + e_it."""

    name: ClassVar[str] = "market-through-origin"
    k: ClassVar[int] = 1

    def columns(self, reg):
        return [reg]


def test_a_user_defined_model_works_in_the_engine_and_the_placebo_test():
    """A NormalReturnModel subclass gets the fit, the all-dates fit and the placebo test for free:
    its beta is the hand-written OLS through the origin, its rolling CAR the engine's CAR."""
    px = make_prices(9, n_assets=3, betas=[0.5, 1.0, 1.5], drop=DROP)
    res = fit(make_events([OTHER, TARGET], groups=["up", "down"]), px, model=ThroughOrigin())
    assert list(res.params.columns[-1:]) == ["b0"]
    a = px[px["ticker"] == "A2"].set_index("date")["adj_close"]
    m = px[px["ticker"] == "MKT"].set_index("date")["adj_close"]
    r, mk = a.pct_change().dropna(), m.pct_change().dropna()
    p = r.index.get_loc(DATES[TARGET])
    q = r.index.get_loc(DATES[OTHER])
    est = [i for i in range(p - 120, p - 10) if not q - 1 <= i <= q + 1]  # the clean estimation rows
    beta = float(np.linalg.lstsq(mk.to_numpy()[est, None], r.to_numpy()[est], rcond=None)[0][0])
    got = res.params.set_index(["event_id", "asset"]).loc[("e1", "A2"), "b0"]
    assert got == pytest.approx(beta, rel=1e-10)
    both = engine_vs_rolling(res, "e1")
    np.testing.assert_allclose(both["car_rolling"], both["car"], rtol=0, atol=1e-10)
    frame = placebo_test(res, n_draws=200, windows="0:0")
    assert list(frame["group"]) == ["all", "up", "down"] and frame["pvalue"].between(0, 1).all()


# --- distributed ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with warnings.catch_warnings():  # the scheduler's HTTP port 8787 may be taken by another cluster
        warnings.filterwarnings("ignore", message="Port 8787 is already in use", category=UserWarning)
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    with cluster, distributed.Client(cluster) as c:
        yield c


@pytest.mark.slow
def test_distributed_run_equals_local_run(client, tmp_path):
    from eventstudy.prices.parquet import ParquetSource

    px = make_prices(8, n_assets=7, drop={"A3": [50, 51, 400]})
    src = ParquetSource.write(px, tmp_path / "p.parquet")
    res = fit(make_events([200, 320, 450, 600], groups=["up", "down", "up", "down"]), src)
    local = placebo_test(res, n_draws=500, seed=3)
    remote = placebo_test(res, n_draws=500, seed=3, client=client, chunk_size=3)  # three chunks over two workers
    num = local.select_dtypes("number").columns
    np.testing.assert_allclose(remote[num].to_numpy(float), local[num].to_numpy(float), rtol=0, atol=1e-12)
    assert (remote[["group", "window", "note"]] == local[["group", "window", "note"]]).all().all()


@pytest.mark.slow
def test_distributed_run_needs_parquet_prices(client, study):
    with pytest.raises(es.DataError, match=r"ParquetSource.write\(prices, 'prices.parquet'\)"):
        placebo_test(study, n_draws=10, client=client)


# --- pseudo events keep what ties the news together ---------------------------------------------


def test_pseudo_events_are_aligned_on_each_market_as_real_ones(bundled):
    """A New York evening event moved by whole weeks keeps its Asian day 0 a session later: the
    placebo's pseudo day 0s equal es.align of the same event with its timestamp shifted (an
    independent path through the public day-0 rule), holidays included."""
    ev = es.load_events(frame=pd.DataFrame({"event_id": ["evening"], "timestamp": ["2025-05-06T20:00:00-04:00"]}))
    prices = bundled.daily(["SPY", "^N225", "ES=F"])
    res = es.EventStudy(ev, prices, assets=["SPY", "^N225", "ES=F"], model="constant-mean", estimation=(-250, -11),
                        windows=((0, 0),), tests=["t_cs"], by_event=False).fit()
    weeks = [-30, -26, -17, -4, 6, 33]  # -26 and 33: New York on winter time
    got = es.pseudo_day0s(res, weeks).set_index(["asset", "weeks"])["day0"]
    for k in weeks:
        # the same New York wall-clock time k weeks away (20:00 EST in winter, not 19:00)
        wall = pd.Timestamp("2025-05-06T20:00:00", tz="America/New_York") + pd.DateOffset(weeks=k)
        shifted = ev.assign(timestamp=wall.isoformat())
        want = es.align(es.load_events(frame=shifted[["event_id", "timestamp"]]), ["SPY", "^N225", "ES=F"])
        for r in want.itertuples():
            assert got[(r.asset, k)] == r.day0, (r.asset, k)
    # the offset of the real event survives: Tokyo's pseudo day 0 is the session after New York's evening
    assert (got.xs("^N225", level="asset") > got.xs("SPY", level="asset") - pd.Timedelta(days=1)).all()


@pytest.mark.slow
def test_events_on_the_same_dates_move_together_and_keep_the_size():
    """Pairs of events on the same dates (kept apart by overlap='keep'): one shift per cluster keeps
    the two on one pseudo date, as they are in reality, so the placebo p-value is about uniform
    under the null; drawing a date per event (the former rule) rejected 16.7 % at 5 %."""
    p = []
    for seed in range(60):
        px = make_prices(300 + seed, common=(0.008, 0.006))
        days = [200, 200, 330, 330, 470, 470, 610, 610]
        res = fit(make_events(days), px, model="constant-mean", overlap="keep")
        f = placebo_test(res, n_draws=199, seed=seed, groups="all", windows="0:0")
        p.append(f["pvalue"].item())
    p = np.asarray(p)
    assert (p < 0.05).sum() <= 7  # binomial(60, 0.05): P(>7) < 1.2 %; at 16.7 % the expected count is 10
    assert stats.kstest(p, "uniform").pvalue > 0.001


def test_whole_weeks_keep_the_local_time_across_daylight_saving(bundled):
    """Liberation Day, 16:15 New York time, after the NYSE close and the ES settlement: moved into
    winter it is still 16:15 there (21:15 UTC, not 20:15 UTC, which is before the close), so SPY and
    ES keep their day 0 on the next session, the same session as Tokyo's (hand-worked: 2024-11-13
    is a Wednesday; day 0 is Thursday 11-14 on all three)."""
    ev = es.load_events(frame=pd.DataFrame({"event_id": ["lib"], "timestamp": ["2025-04-02T16:15:00-04:00"]}))
    assets = ["SPY", "^N225", "ES=F"]
    res = es.EventStudy(ev, bundled.daily(assets), assets=assets, model="constant-mean", estimation=(-250, -11),
                        windows=((0, 0),), tests=["t_cs"], by_event=False).fit()
    got = es.pseudo_day0s(res, [-20]).set_index("asset")["day0"]
    assert (got == pd.Timestamp("2024-11-14")).all(), got


def test_date_only_events_move_their_own_date(bundled):
    """A date-only event of 2025-05-02 in Beijing (+08:00, 05-01 16:00 UTC): shift 0 is the real
    day 0 (05-02, a Friday, on every market) and one week later is Friday 05-09, not the Thursday
    a UTC date would give."""
    ev = es.load_events(frame=pd.DataFrame({"event_id": ["mofcom"], "timestamp": ["2025-05-02T00:00:00+08:00"],
                                            "time_precision": ["date-only"]}))
    assets = ["SPY", "^HSI"]
    res = es.EventStudy(ev, bundled.daily(assets), assets=assets, model="constant-mean", estimation=(-250, -11),
                        windows=((0, 0),), tests=["t_cs"], by_event=False).fit()
    got = es.pseudo_day0s(res, [0, 1]).set_index(["asset", "weeks"])["day0"]
    real = res.members.set_index("asset")["day0"]
    for a in assets:
        assert got[(a, 0)] == real[a] == pd.Timestamp("2025-05-02")
        assert got[(a, 1)] == pd.Timestamp("2025-05-09")


def test_a_shift_that_lands_one_member_on_real_news_is_not_drawn():
    """e0 hits five markets, r only A0, 100 sessions later. A shift that puts e0's A0 window next
    to r's is ruled out for the whole cluster, so every draw keeps all five pseudo members (the
    cross-section of the real event) rather than silently using four."""
    ev = es.load_events(frame=pd.DataFrame({"event_id": ["e0", "r"],
                                            "date": [f"{DATES[300]:%Y-%m-%d}", f"{DATES[400]:%Y-%m-%d}"],
                                            "assets": ["A0;A1;A2;A3;A4", "A0"]}))
    res = fit(ev, make_prices(1), model="constant-mean")
    f = placebo_test(res, n_draws=2000, seed=1, groups=["e0"], windows="-1:1")
    assert "min 5)" in f["note"].item() and f["n_placebo"].item() == 5.0
    f_all = placebo_test(res, n_draws=500, seed=1, groups="all", windows="-1:1")
    # 'all' counted once: 6 real members, 6 pseudo members per draw, two clusters
    assert f_all["n_members"].item() == 6 and f_all["n_placebo"].item() == 6.0
    assert "(2 cluster(s), 2 event(s))" in f_all["note"].item()
