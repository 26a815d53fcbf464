"""Research tables: numbers equal the tidy results they come from (computed here by hand), every
format renders, conventions are stated, robust statistics come first."""

import numpy as np
import pandas as pd
import pytest

from eventstudy.examples import us_china
from eventstudy.examples.us_china import claims_path
from eventstudy.report.tables import alignment_table, battery_table, caar_table, car_by_event, write_tables


@pytest.fixture(scope="module")
def res():
    return us_china.study(assets=("SPY", "^N225", "^KS11"), n_boot=200).fit()


def test_caar_is_the_mean_car_of_the_group(res):
    t = caar_table(res).table.set_index(["group", "window"])
    car = res.car.merge(res.members[["event_id", "asset", "group"]], on=["event_id", "asset"], validate="many_to_one")
    for g in ("de-escalation", "escalation"):
        by_hand = 100 * car[(car["group"] == g) & (car["window"] == "0:0")]["car"].mean()
        assert t.loc[(g, "0:0"), "CAAR %"] == pytest.approx(by_hand, rel=1e-12)
    assert t.loc[("all", "-1:1"), "N"] == len(res.members)


def test_robust_columns_lead_and_naive_t_is_beside(res):
    cols = list(caar_table(res).table.columns)
    assert (cols.index("bw1985 stat") < cols.index("kp_patell stat") < cols.index("bootstrap stat")
            < cols.index("t_cs stat"))
    b = battery_table(res, "all", "0:0").table
    first_naive = list(b["robust to common dates"]).index("no")
    assert (b["robust to common dates"].iloc[:first_naive] == "yes").all() and b["test"].iloc[0] == "bw1985"


def test_car_cell_formats_the_car_row(res):
    tab = car_by_event(res, "0:0").table.set_index("event_id")
    row = res.car[(res.car.event_id == "2025-10-26-kuala-lumpur-framework") & (res.car.asset == "^N225") &
                  (res.car.window == "0:0")].iloc[0]
    stars = "***" if row.pvalue < 0.01 else "**" if row.pvalue < 0.05 else "*" if row.pvalue < 0.1 else ""
    assert tab.loc["2025-10-26-kuala-lumpur-framework", "^N225"] == f"{100 * row.car:.2f} ({row.t:.2f}){stars}"
    assert tab.loc["2025-10-26-kuala-lumpur-framework", "first day 0"] == "2025-10-27"


def test_every_format_renders_with_conventions(res, tmp_path):
    files = write_tables(res, tmp_path, pdf=False)
    assert {p.suffix for p in files} == {".md", ".tex", ".csv", ".html"}
    assert tmp_path / "tables.tex" in files  # the document that inputs every table
    tex = (tmp_path / "caar_by_group.tex").read_text()
    assert "\\toprule" in tex and "\\bottomrule" in tex and "KP-Patell $z$" in tex and "Day 0 = first session" in tex
    md = (tmp_path / "caar_by_group.md").read_text()
    assert md.startswith("**Cumulative average abnormal returns**") and "session offsets from day 0, inclusive" in md
    html = (tmp_path / "alignment.html").read_text()
    assert "<table" in html and "2025-10-27" in html
    csv = pd.read_csv(tmp_path / "caar_by_group.csv")
    assert np.isfinite(csv.loc[csv["N"] >= 2, "bw1985 p"]).all() and np.isfinite(csv["kp_patell p"]).all()


def test_alignment_table_has_day0_per_market(res):
    a = alignment_table(res).table
    geneva = a[a["event_id"] == "2025-05-06-geneva-announce"].set_index("asset")
    assert geneva.loc["^N225", "day 0"] == "2025-05-07" and geneva.loc["SPY", "day 0"] == "2025-05-07"


def test_unknown_window_or_group_named(res):
    with pytest.raises(ValueError, match=r"window '9:9' is not in the study"):
        car_by_event(res, "9:9")
    with pytest.raises(ValueError, match="no tests for group 'nope'"):
        battery_table(res, "nope")


def test_claims_table_renders_verdicts():
    from eventstudy.claims import check_claims
    from eventstudy.report.tables import claims_table

    tab = claims_table(check_claims(claims_path()))
    md = tab.as_markdown()
    assert "| s000-spy-level | SPY | price-level |" in md and "reproduced" in md and "needs-data" in md
    assert "raw (unadjusted) closes" in md
    # the proxy verdicts and the year-to-date base (issue 15); SPXL 130.79 -> 134.05 is +2.493 %, /3 = +0.831 %
    row = tab.table.set_index("claim_id").loc["s001-es-ah"]
    assert (row["proxy"], row["proxy_pct"], row["verdict"]) == ("SPXL", "0.831", "consistent-by-proxy")
    assert tab.table.set_index("claim_id").loc["s000-dji-ytd", "base"] == "first close of 2026 (2026-01-02)"
    assert "consistent-by-proxy / differs-by-proxy" in md


def test_car_long_and_per_asset_views(res):
    from eventstudy.report.tables import car_long

    t = car_long(res, "0:0").table
    row = t[(t["event_id"] == "2025-05-06-geneva-announce") & (t["market"] == "^N225")].iloc[0]
    assert row["day 0"] == "2025-05-07"
    c = res.car[(res.car.event_id == "2025-05-06-geneva-announce") & (res.car.asset == "^N225")
                & (res.car.window == "0:0")]
    assert row["SE %"] == pytest.approx(round(100 * c["se"].iloc[0], 3))
    caar = res.caar.set_index(["group", "window"])
    by_hand = res.car[(res.car.asset == "SPY") & (res.car.window == "0:0")]["car"].mean()
    assert caar.loc[("asset:SPY", "0:0"), "caar"] == pytest.approx(by_hand, rel=1e-12)
    aar = res.aar.set_index(["group", "tau"])
    ar = res.abnormal_returns
    assert aar.loc[("all", 0), "aar"] == pytest.approx(ar[(ar.part == "event") & (ar.tau == 0)]["ar"].mean(), rel=1e-12)


def test_cli_benchmark_per_asset_syntax():
    from eventstudy.cli import _benchmarks

    assert _benchmarks("ACWI") == "ACWI"
    assert _benchmarks("^N225:ACWI,NQ=F:ES=F") == {"^N225": "ACWI", "NQ=F": "ES=F"}


def test_first_day0_is_the_earliest_across_markets():
    res = us_china.study(assets=("SPY", "^N225"), n_boot=50).fit()
    tab = car_by_event(res, "0:0").table.set_index("event_id")
    # the post at 10:57 ET on Friday 2025-10-10: New York reacts that day, Tokyo on Tuesday 10-14
    assert tab.loc["2025-10-10-trump-hostile-post", "first day 0"] == "2025-10-10"


def test_headline_fits_a_screen_and_comes_from_the_battery(res):
    """The compact headline: the pooled groups only (all and the group column's values, not each
    event), CAAR the mean CAR of the group's members (by hand), the statistics those of the battery's
    whole-window rows, p-values written <0.001 / three decimals below 0.10 / two above."""
    from eventstudy.report.tables import headline_table

    pairs = [(g, w.label) for g in ("all", "escalation") for w in res.plan.windows][:5]
    given = [0.0004, 0.0123, 0.0999, 0.1, 0.456]  # written <0.001, 0.012, 0.100, 0.10, 0.46
    placebo = pd.DataFrame({"group": [g for g, _ in pairs], "window": [w for _, w in pairs], "pvalue": given})
    h = headline_table(res, placebo).table
    names = h["group"].str.replace(r" \(\d+ events\)$", "", regex=True)
    assert set(names) == {"all", "escalation", "de-escalation"} and len(h) == 3 * len(res.plan.windows)
    car = res.car.merge(res.members[["event_id", "asset", "group"]], on=["event_id", "asset"])
    for g in ("all", "escalation"):
        sel = car[(car["window"] == "0:0") & ((car["group"] == g) | (g == "all"))]["car"]
        row = h[(names == g) & (h["window"] == "0:0")].iloc[0]
        assert row["CAAR (%)"] == f"{100 * sel.mean():.2f}" and row["N"] == sel.notna().sum()
        t = res.tests[(res.tests["group"] == g) & (res.tests["window"] == "0:0") & res.tests["tau"].isna()]
        bw = t[t["test"] == "bw1985"].iloc[0]
        assert row["BW 1985 t (p)"].startswith(f"{bw['statistic']:.2f} (")
    first = h.iloc[0]
    assert first["group"] == f"all ({res.alignment['event_id'].nunique()} events)"  # the catalog's events
    want = {"0.0004": "<0.001", "0.0123": "0.012", "0.0999": "0.100", "0.1": "0.10", "0.456": "0.46"}
    for g, w, p in placebo.itertuples(index=False):
        assert h[(names == g) & (h["window"] == w)]["placebo date"].iloc[0] == want[str(p)]
    assert (h["placebo date"] != "").sum() == len(pairs)


@pytest.mark.slow
def test_readme_headline_is_what_the_main_job_writes(tmp_path):
    """The README's headline table is the main job's own (tables/headline.md), cell for cell."""
    from pathlib import Path

    from eventstudy.cli import main

    assert main(["run", "--out", str(tmp_path / "r"), "--no-figures", "--no-pdf"]) == 0
    written = (tmp_path / "r" / "tables" / "headline.md").read_text().split("\n\n")[1].strip()
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert written.splitlines()[0].startswith("| group | window | N | dates | CAAR (%)")
    assert "\n" + written + "\n" in readme


def test_the_model_is_named_with_its_benchmarks_factors_and_lags():
    from eventstudy.report.tables import model_text

    assert model_text({"model": "constant-mean", "market": None, "factors": [], "lags": 0}) == "constant-mean"
    assert model_text({"model": "market", "market": "ACWI", "factors": [], "lags": 0}) == "market (benchmark ACWI)"
    assert model_text({"model": "market", "market": {"^N225": "ACWI", "SPY": "VT"}, "factors": [], "lags": 0}) == (
        "market (benchmark per asset: ^N225 on ACWI, SPY on VT)")
    assert model_text({"model": "factor", "market": None, "factors": ["ACWI", "CNY=X"], "lags": 1}) == (
        "factor (factors ACWI, CNY=X; Dimson lags 0..1 of each regressor)")
