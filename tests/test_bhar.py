"""Tests of the mean BHAR (issue 14, part 2): Lyon, Barber & Tsai's (1999, eq. 5) skewness-adjusted
t worked by hand on a small sample, its bootstrapped p against a Monte Carlo of its size and
power, and the results' view against car.csv."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy.inference.bhar import lbt_test, skewness_adjusted_t


def test_the_skewness_adjusted_t_worked_by_hand():
    # x = 0.10, -0.05, 0.20, 0.03, 0.08: mean 0.072; deviations 0.028, -0.122, 0.128, -0.042, 0.008
    # sum of squares = 0.000784 + 0.014884 + 0.016384 + 0.001764 + 0.000064 = 0.03388; sd = sqrt(0.03388 / 4)
    # sum of cubes = 0.000021952 - 0.001815848 + 0.002097152 - 0.000074088 + 0.000000512 = 0.00022968
    x = np.array([0.10, -0.05, 0.20, 0.03, 0.08])
    sd = math.sqrt(0.03388 / 4)
    s = 0.072 / sd
    gamma = 0.00022968 / (5 * sd**3)
    expected = math.sqrt(5) * (s + gamma * s**2 / 3 + gamma / 30)
    assert skewness_adjusted_t(x) == pytest.approx(expected, rel=1e-12)
    out = lbt_test(x)
    assert out["t"] == pytest.approx(0.072 / (sd / math.sqrt(5)), rel=1e-12)
    assert out["skewness"] == pytest.approx(gamma, rel=1e-12) and out["n_resample"] == 3
    assert out["p_sa"] == pytest.approx(math.erfc(abs(expected) / math.sqrt(2)), rel=1e-12)


def test_undefined_cases_are_nan_not_errors():
    assert math.isnan(skewness_adjusted_t(np.array([0.1, 0.2])))
    assert math.isnan(skewness_adjusted_t(np.full(5, 0.01)))
    out = lbt_test([0.1, np.nan, 0.2])
    assert out["n"] == 2 and out["n_missing"] == 1 and math.isnan(out["p_boot"])


def test_rows_of_a_matrix_give_each_rows_statistic():
    rng = np.random.default_rng(1)
    m = rng.normal(size=(4, 9))
    np.testing.assert_allclose(skewness_adjusted_t(m), [skewness_adjusted_t(r) for r in m], rtol=1e-12)


def test_the_bootstrapped_p_holds_its_size_on_skewed_data_and_has_power():
    """Skewed, mean-zero BHARs (a centred lognormal, n = 60): the bootstrap p rejects at 5 % in
    about 5 % of 400 samples; with the mean moved by half an SD it rejects most of the time."""
    rng = np.random.default_rng(11)
    centre = math.exp(0.5**2 / 2)
    rejections = [lbt_test(rng.lognormal(0, 0.5, 60) - centre, n_boot=400, seed=k)["p_boot"] < 0.05
                  for k in range(400)]
    size = float(np.mean(rejections))
    assert 0.02 <= size <= 0.09, size
    sd = math.sqrt((math.exp(0.25) - 1) * math.exp(0.25))
    power = np.mean([lbt_test(rng.lognormal(0, 0.5, 60) - centre + 0.5 * sd, n_boot=400, seed=k)["p_boot"] < 0.05
                     for k in range(100)])
    assert power > 0.6, power


def test_the_results_view_pools_the_bhars_of_car_csv():
    rng = np.random.default_rng(4)
    dates = pd.bdate_range("2022-01-03", periods=420)
    tickers = ["MKT", "A", "B", "C"]
    ret = rng.normal(0.0002, 0.01, (len(dates), len(tickers)))
    prices = pd.DataFrame({"ticker": np.repeat(tickers, len(dates)), "date": np.tile(dates, len(tickers)),
                           "close": (100 * np.exp(np.cumsum(ret, axis=0))).T.ravel()})
    prices["adj_close"] = prices["close"]
    events = pd.DataFrame({"event_id": ["e1", "e2", "e3"], "date": dates[[320, 360, 400]].strftime("%Y-%m-%d"),
                           "kind": ["x", "y", "x"]})
    res = es.EventStudy(es.load_events(frame=events), prices, model="market", market="MKT", group="kind",
                        windows=((0, 2),), n_boot=200).fit()
    b = res.bhar_tests.set_index("group")
    x = res.car.loc[res.car["event_id"].isin(["e1", "e3"]), "bhar"].to_numpy()
    assert b.loc["x", "mean"] == pytest.approx(x.mean(), rel=1e-12) and b.loc["x", "n"] == 6
    assert b.loc["x", "t_sa"] == pytest.approx(skewness_adjusted_t(x), rel=1e-12)
    assert b.loc["asset:A", "n"] == 3 and "independent" in b.loc["all", "note"]
    # a BHAR compounds: (1 + r1)(1 + r2)(1 + r3) - (1 + n1)(1 + n2)(1 + n3), not the CAR's sum
    assert not np.allclose(res.car["bhar"], res.car["car"])


def test_caar_rows_carry_their_standard_errors_and_t():
    """res.caar's naive t is the battery's t_cs, its BW 1985 t the battery's bw1985 CAR statistic
    (computed apart, in eventstudy.inference), and the naive SE is sd(CAR_i)/sqrt(N) by hand."""
    rng = np.random.default_rng(9)
    dates = pd.bdate_range("2022-01-03", periods=420)
    tickers = ["MKT", "A", "B", "C", "D"]
    ret = rng.normal(0.0002, 0.01, (len(dates), len(tickers)))
    prices = pd.DataFrame({"ticker": np.repeat(tickers, len(dates)), "date": np.tile(dates, len(tickers)),
                           "close": (100 * np.exp(np.cumsum(ret, axis=0))).T.ravel()})
    prices["adj_close"] = prices["close"]
    events = pd.DataFrame({"event_id": ["e1", "e2", "e3", "e4"], "kind": ["x", "y", "x", "y"],
                           "date": dates[[300, 330, 360, 390]].strftime("%Y-%m-%d")})
    res = es.EventStudy(es.load_events(frame=events), prices, model="market", market="MKT", group="kind",
                        windows=((0, 0), (-1, 2)), n_boot=100).fit()
    caar = res.caar.set_index(["group", "window"])
    cars = res.car.set_index("member")
    for g in ("all", "x", "y"):
        for w in ("0:0", "-1:2"):
            row = caar.loc[(g, w)]
            v = cars.loc[res.groups()[g]].query("window == @w")["car"].to_numpy()
            assert row["se"] == pytest.approx(v.std(ddof=1) / math.sqrt(len(v)), rel=1e-12)
            t = res.tests
            stat = t[(t["group"] == g) & (t["window"] == w) & t["tau"].isna()].set_index("test")["statistic"]
            assert row["t"] == pytest.approx(stat["t_cs"], rel=1e-9)
            assert row["t_bw1985"] == pytest.approx(stat["bw1985"], rel=1e-9)
    # an asset pooled over its events gets the battery too (by_asset): its BW 1985 t is the battery's
    t = res.tests
    stat = t[(t["group"] == "asset:A") & (t["window"] == "0:0") & t["tau"].isna() & (t["test"] == "bw1985")]
    assert caar.loc[("asset:A", "0:0"), "t_bw1985"] == pytest.approx(stat["statistic"].iloc[0], rel=1e-9)
    assert caar.loc[("asset:A", "0:0"), "n"] == 4


@pytest.mark.slow
def test_the_readme_bhar_rows_are_what_the_main_job_writes(tmp_path):
    from pathlib import Path

    from eventstudy.cli import main

    assert main(["run", "--out", str(tmp_path / "r"), "--no-figures", "--no-pdf", "--placebo", "0"]) == 0
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    table = (tmp_path / "r" / "tables" / "bhar.md").read_text().splitlines()
    shown = [line for line in readme.splitlines() if line.startswith(("| all |", "| escalation |", "| de-escalation |"))
             and line.count("|") == 11]
    assert len(shown) == 5 and all(line in table for line in shown)
