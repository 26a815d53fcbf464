"""Cross-sectional regressions of CARs (issue 14, part 1): coefficients and standard errors worked
by hand with numpy (OLS, WLS, HC1 and CR1 clustered by independent event date), an injected
difference between two kinds of events recovered, clear errors, and the CLI's files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import eventstudy as es
from eventstudy.cli import main
from eventstudy.errors import DataError, SpecificationError
from eventstudy.regress import regression_frame

DATES = pd.bdate_range("2022-01-03", periods=520)
TICKERS = ["MKT", "A1", "A2", "A3", "A4", "A5"]
EVENT_AT = [300, 320, 340, 360, 380, 400, 420, 440, 460, 480]


def synthetic(effect_a: float = 0.03, effect_b: float = -0.01, seed: int = 7):
    """Six series, ten events of two kinds; day 0 of a kind-a event adds ``effect_a`` to every
    asset's return (kind b: ``effect_b``), each asset also gets a 'size' of its own."""
    rng = np.random.default_rng(seed)
    ret = rng.normal(0.0002, 0.01, (len(DATES), len(TICKERS)))
    kinds = ["a", "b"] * 5
    for at, kind in zip(EVENT_AT, kinds):
        ret[at, 1:] += effect_a if kind == "a" else effect_b
    prices = pd.DataFrame({"ticker": np.repeat(TICKERS, len(DATES)), "date": np.tile(DATES, len(TICKERS)),
                           "close": (100 * np.exp(np.cumsum(ret, axis=0))).T.ravel()})
    prices["adj_close"] = prices["close"]
    events = pd.DataFrame({"event_id": [f"e{i}" for i in range(10)], "date": DATES[EVENT_AT].strftime("%Y-%m-%d"),
                           "kind": kinds, "surprise": np.linspace(-1, 1, 10)})
    return events, prices


@pytest.fixture(scope="module")
def res():
    events, prices = synthetic()
    return es.EventStudy(es.load_events(frame=events), prices, model="market", market="MKT", group="kind",
                         windows=((0, 0), (-1, 1)), n_boot=50).fit()


def by_hand(res, window, weights=False):
    """The design written out: intercept, 1{kind = b}, surprise; y = CAR in percent."""
    events, _ = synthetic()
    car = res.car[res.car["window"] == window].merge(
        res.members.reset_index(drop=True).reset_index().rename(columns={"index": "member"}), on="member",
        suffixes=("", "_m")).merge(events[["event_id", "surprise"]], on="event_id")
    car = car[car["status"] == "ok"]
    x = np.column_stack([np.ones(len(car)), (car["kind"] == "b").to_numpy(float), car["surprise"].to_numpy(float)])
    y = 100 * car["car"].to_numpy(float)
    w = 1 / car["se"].to_numpy(float) ** 2 if weights else np.ones(len(car))
    xw = x * np.sqrt(w)[:, None]
    yw = y * np.sqrt(w)
    bread = np.linalg.inv(xw.T @ xw)
    beta = bread @ xw.T @ yw
    u = yw - xw @ beta
    n, k = x.shape
    hc1 = bread @ (xw.T * u**2) @ xw @ bread * n / (n - k)
    g = pd.factorize(car["date_cluster"])[0]
    meat = sum(np.outer(xw[g == j].T @ u[g == j], xw[g == j].T @ u[g == j]) for j in range(g.max() + 1))
    n_g = g.max() + 1
    cr1 = bread @ meat @ bread * n_g / (n_g - 1) * (n - 1) / (n - k)
    return beta, np.sqrt(np.diag(hc1)), np.sqrt(np.diag(cr1)), n_g


@pytest.mark.parametrize("weights", [None, "inverse-variance"])
def test_coefficients_and_standard_errors_match_the_formulas_worked_by_hand(res, weights):
    reg = res.regress("car_pct ~ C(kind) + surprise", window="-1:1", weights=weights)
    beta, hc1, cr1, n_g = by_hand(res, "-1:1", weights=weights is not None)
    t = reg.table
    assert list(t["term"]) == ["Intercept", "C(kind)[T.b]", "surprise"]
    np.testing.assert_allclose(t["coef"], beta, rtol=1e-10)
    np.testing.assert_allclose(t["se"], cr1, rtol=1e-10)
    np.testing.assert_allclose(t["hc1_se"], hc1, rtol=1e-10)
    # clustered t has G - 1 degrees of freedom
    assert (t["df"] == n_g - 1).all() and (t["clusters"] == n_g).all()
    np.testing.assert_allclose(t["pvalue"], 2 * stats.t.sf(np.abs(beta / cr1), n_g - 1), rtol=1e-8)
    assert (t["weights"] == (weights or "none")).all()


def test_an_injected_difference_between_kinds_is_recovered(res):
    """Day 0 of kind-a events carries +3 %, of kind b -1 %: the 0:0 CAR differs by -4 points."""
    reg = res.regress("car_pct ~ C(kind)", window="0:0")
    diff = reg.table.set_index("term").loc["C(kind)[T.b]"]
    assert diff["coef"] == pytest.approx(-4.0, abs=0.5) and diff["pvalue"] < 0.01
    assert diff["ci_low"] < -4.0 < diff["ci_high"]


def test_the_frame_carries_the_events_columns_and_the_derived_ones(res):
    f = regression_frame(res, "0:0")
    assert {"kind", "surprise", "car", "car_pct", "car_se", "scar", "market", "event_hour_utc", "weekend",
            "date_cluster"} <= set(f.columns)
    np.testing.assert_allclose(f["scar"], f["car"] / f["car_se"])
    assert len(f) == 10 * 5 and (f["weekend"] == 0).all()


def test_bad_requests_are_clear_errors(res):
    with pytest.raises(SpecificationError, match=r"windows 0:0, -1:1; name one"):
        res.regress("car ~ surprise")
    with pytest.raises(DataError, match=r"window '0:5' is not one of the study's windows"):
        res.regress("car ~ surprise", window="0:5")
    with pytest.raises(SpecificationError, match=r"columns available: .*surprise"):
        res.regress("car ~ no_such_column", window="0:0")
    with pytest.raises(SpecificationError, match=r"weights='patell'"):
        res.regress("car ~ surprise", window="0:0", weights="patell")


def test_few_clusters_are_named_in_the_note(res):
    assert "Only" not in res.regress("car ~ surprise", window="0:0").note  # 10 independent dates
    events, prices = synthetic()
    few = es.EventStudy(es.load_events(frame=events.iloc[:3]), prices, model="market", market="MKT",
                        windows=((0, 0),), n_boot=20).fit()
    note = few.regress("car ~ surprise").note
    assert "Only 3 clusters" in note and "t with 2 df" in note


def test_the_cli_writes_the_tidy_table_research_tables_and_report_section(tmp_path, capsys):
    events, prices = synthetic()
    events.to_csv(tmp_path / "e.csv", index=False)
    prices.to_csv(tmp_path / "p.csv", index=False)
    out = tmp_path / "out"
    assert main(["run", "--events", str(tmp_path / "e.csv"), "--prices", str(tmp_path / "p.csv"), "--market", "MKT",
                 "--group", "kind", "--window", "0:0", "--window", "-1:1", "--regress", "car_pct ~ C(kind)",
                 "--regress", "car_pct ~ surprise + C(market)", "--regress-weights", "inverse-variance",
                 "--no-figures", "--no-pdf", "--placebo", "0", "--n-boot", "50", "--out", str(out)]) == 0
    tidy = pd.read_csv(out / "regression.csv")
    assert set(tidy["formula_id"]) == {1, 2} and set(tidy["window"]) == {"0:0", "-1:1"}
    assert (tidy["weights"] == "inverse-variance").all() and (tidy["cov_type"] == "cluster").all()
    for name in ("regression_1_0_0", "regression_1_m1_1", "regression_2_0_0", "regression_2_m1_1"):
        for ext in ("md", "tex", "csv", "html"):
            assert (out / "tables" / f"{name}.{ext}").is_file()
    md = (out / "tables" / "regression_1_0_0.md").read_text()
    assert "C(kind)[T.b]" in md and "HC1 t" in md and "clustered by independent event date" in md
    assert "<h2>Cross-sectional regressions</h2>" in (out / "report.html").read_text()


@pytest.mark.slow
def test_the_readme_example_is_what_the_bundled_study_gives():
    from pathlib import Path

    from eventstudy.examples import us_china

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    reg = us_china.study().fit().regress("car_pct ~ direction", window="0:0")
    rows = [line for line in reg.summary().as_markdown().splitlines() if line.startswith(("| Intercept", "| direc"))]
    assert len(rows) == 2
    for line in rows:
        assert line in readme, f"README's regression table lacks {line}"
    assert "OLS of 335 CARs (the 34 members" in readme and reg.table["n"].iloc[0] == 335


def test_date_only_events_have_no_hour_and_a_users_column_is_never_overwritten(res):
    f = regression_frame(res, "0:0")
    assert f["event_hour_utc"].isna().all()  # the synthetic events are date-only: no hour to regress on
    events, prices = synthetic()
    clash = es.EventStudy(es.load_events(frame=events.assign(market=["US", "EU"] * 5)), prices, model="market",
                          market="MKT", windows=((0, 0),), n_boot=20).fit()
    with pytest.raises(SpecificationError, match=r"column\(s\) \['market'\] share a name"):
        clash.regress("car ~ C(market)")
