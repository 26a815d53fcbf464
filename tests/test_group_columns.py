"""Several group columns at once (issue 14, part 5): each column's values are groups named
column=value, every one with its battery, tables and CAAR figure; one column keeps bare names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy.cli import main
from eventstudy.groups import define_groups, groups_by_column


def members():
    return pd.DataFrame({"event_id": ["a", "a", "b", "b", "c"], "asset": ["X", "Y", "X", "Y", "X"],
                         "kind": ["up", "up", "down", "down", None], "region": ["asia", "asia", "us", "us", "asia"]})


def test_groups_of_two_columns_are_named_column_equals_value():
    g = define_groups(members(), ("kind", "region"), by_event=False)
    assert list(g) == ["all", "kind=up", "kind=down", "region=asia", "region=us"]
    assert g["kind=up"].tolist() == [0, 1] and g["region=asia"].tolist() == [0, 1, 4]
    assert groups_by_column(members(), ("kind", "region")) == {"kind": ["kind=up", "kind=down"],
                                                              "region": ["region=asia", "region=us"]}
    # one column: bare values, as before
    assert list(define_groups(members(), "kind", by_event=False)) == ["all", "up", "down"]
    assert list(define_groups(members(), ("kind",), by_event=False)) == ["all", "up", "down"]


def test_two_columns_through_the_cli_get_every_output(tmp_path):
    rng = np.random.default_rng(8)
    dates = pd.bdate_range("2023-01-02", periods=420)
    closes = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, (len(dates), 3)), axis=0))
    pd.DataFrame(closes, columns=["MKT", "AAA", "BBB"]).assign(date=dates.strftime("%Y-%m-%d"))[
        ["date", "MKT", "AAA", "BBB"]].to_csv(tmp_path / "p.csv", index=False)
    pd.DataFrame({"event_id": ["e1", "e2", "e3", "e4"], "date": dates[[300, 330, 360, 390]].strftime("%Y-%m-%d"),
                  "kind": ["up", "down", "up", "down"], "region": ["asia", "asia", "us", "us"]}).to_csv(
        tmp_path / "e.csv", index=False)
    out = tmp_path / "out"
    assert main(["run", "--events", str(tmp_path / "e.csv"), "--prices", str(tmp_path / "p.csv"), "--market", "MKT",
                 "--group", "kind,region", "--window", "0:1", "--no-pdf", "--placebo", "0", "--n-boot", "50",
                 "--out", str(out)]) == 0
    tests = pd.read_csv(out / "tests.csv")
    assert {"kind=up", "kind=down", "region=asia", "region=us"} <= set(tests["group"])
    for name in ("battery_kind_up", "battery_kind_down", "battery_region_asia", "battery_region_us"):
        assert (out / "tables" / f"{name}.md").is_file()
    assert (out / "figures" / "caar_by_kind.png").is_file() and (out / "figures" / "caar_by_region.png").is_file()
    headline = pd.read_csv(out / "tables" / "headline.csv")
    assert {"kind=up (2 events)", "region=us (2 events)"} <= set(headline["group"])
    # the CAAR of a column's group is the mean CAR of its members
    car = pd.read_csv(out / "car.csv")
    caar = pd.read_csv(out / "tables" / "caar_by_group.csv")
    want = car[car["event_id"].isin(["e3", "e4"])]["car"].mean()
    got = caar[(caar["group"] == "region=us") & (caar["window"] == "0:1")]["CAAR %"].iloc[0]
    assert got == pytest.approx(100 * want, rel=1e-6)


def test_an_unknown_column_among_several_is_named():
    rng = np.random.default_rng(1)
    dates = pd.bdate_range("2023-01-02", periods=300)
    prices = pd.DataFrame({"ticker": np.repeat(["MKT", "A"], 300), "date": np.tile(dates, 2),
                           "close": 100 + rng.random(600)})
    prices["adj_close"] = prices["close"]
    events = pd.DataFrame({"event_id": ["e1"], "date": [f"{dates[280]:%Y-%m-%d}"], "kind": ["up"]})
    with pytest.raises(es.errors.SpecificationError, match="group='sector' is not a column"):
        es.EventStudy(es.load_events(frame=events), prices, market="MKT", group=("kind", "sector")).fit()


@pytest.mark.slow
def test_the_readme_rows_of_two_group_columns_and_named_sets_are_what_the_run_writes(tmp_path):
    from pathlib import Path

    assert main(["run", "--out", str(tmp_path / "r"), "--no-figures", "--no-pdf", "--group", "category,direction",
                 "--window", "announcement=0:0,0:1", "--window", "drift=2:5"]) == 0
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text().splitlines()
    table = (tmp_path / "r" / "tables" / "headline.md").read_text().splitlines()
    shown = [line for line in readme if line.startswith(("| all (30 events) | 0:0 | announcement", "| direction="))
             or (line.startswith("| all | ") and "| announcement |" in line or "| drift |" in line)]
    assert len(shown) == 9 and all(line in table for line in shown)
