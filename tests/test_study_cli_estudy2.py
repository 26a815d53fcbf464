"""End to end: `eventstudy run` on estudy2's own input files reproduces estudy2's statistics.

The CLI reads the oracle's prices and events, aligns, estimates the market model on -130:-11 and
writes tests.csv; with --convention estudy2 every statistic both tools compute matches R estudy2
0.10.0 (outputs/daily_tests.csv, car_tests.csv) for the pooled sample (our group `all` = estudy2's
ALL) and each event (E1, E2, E3). Tolerance 1e-9 relative: the inputs are the same CSVs, so only
rounding separates the two.
"""

import json

import numpy as np
import pandas as pd
import pytest
from conftest import ESTUDY2

from eventstudy.cli import main

REF = ESTUDY2

DAILY = {"t_cs": "t_test_stat", "bw1980": "bw_1980_stat", "bw1985": "bw_1985_stat", "patell": "pt_stat",
         "bmp": "bh_stat", "sign": "sign_stat", "gsign": "gsign_stat", "rank": "rank_stat", "mrank": "mrank_stat"}
CAR = {"bw1985": "car_brown_warner_1985", "rank": "car_rank_test"}
WINDOWS = {"-1:1": "m1_p1", "0:0": "0_0"}
GROUPS = {"all": "ALL", "E1": "E1", "E2": "E2", "E3": "E3"}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    code = main(["run", "--prices", str(REF / "inputs" / "prices.csv"), "--events", str(REF / "inputs" / "events.csv"),
                 "--market", "MKT", "--model", "market", "--returns", "simple", "--estimation", "-130:-11",
                 "--window", "-1:1", "--window", "0:0", "--convention", "estudy2", "--out", str(out)])
    assert code == 0
    return out


def test_output_files_and_columns(run_dir):
    ar = pd.read_csv(run_dir / "abnormal_returns.csv")
    assert list(ar.columns[:7]) == ["event_id", "asset", "tau", "date", "ret", "normal", "ar"]
    car = pd.read_csv(run_dir / "car.csv")
    assert list(car.columns[:8]) == ["event_id", "asset", "window", "car", "se", "t", "pvalue", "bhar"]
    tests = pd.read_csv(run_dir / "tests.csv", dtype={"tau": "Int64"})
    assert list(tests.columns[:7]) == ["group", "window", "tau", "test", "statistic", "pvalue", "n"]
    assert set(tests["window"]) == {"-1:1", "0:0"}
    assets = {g for g in tests["group"] if g.startswith("asset:")}  # each asset over its events (by_asset)
    assert set(tests["group"]) - assets == {"all", "E1", "E2", "E3"} and "asset:A1" in assets
    assert tests.loc[tests["tau"].isna(), "test"].nunique() >= 10  # a CAR statistic per test
    man = json.loads((run_dir / "manifest.json").read_text())
    assert man["options"]["model"] == "market" and man["options"]["estimation"] == "-130:-11"
    assert {"prices", "events"} <= set(man["inputs"]) and len(man["inputs"]["prices"]["sha256"]) == 64
    assert {(d["event_id"], d["asset"]) for d in man["day0"]} >= {("E1", "A1"), ("E3", "A8")}


def test_abnormal_returns_match_estudy2(run_dir):
    ar = pd.read_csv(run_dir / "abnormal_returns.csv")
    ref = pd.read_csv(REF / "outputs" / "abnormal_returns.csv.gz")
    ref = ref[(ref.returns_type == "simple") & (ref.market_model == "sim")]
    j = ar.merge(ref, on=["asset", "date", "tau"], how="inner", validate="one_to_one")
    assert len(j) == len(ar) == 8 * (120 + 3)  # estimation rows and the union of the event windows
    np.testing.assert_allclose(j["ar"], j["abnormal"], rtol=0, atol=1e-12)


def test_statistics_match_estudy2(run_dir):
    tests = pd.read_csv(run_dir / "tests.csv", dtype={"tau": "Int64"})
    daily = pd.read_csv(REF / "outputs" / "daily_tests.csv.gz")
    daily = daily[(daily.returns_type == "simple") & (daily.market_model == "sim")]
    car_ref = pd.read_csv(REF / "outputs" / "car_tests.csv")
    car_ref = car_ref[(car_ref.returns_type == "simple") & (car_ref.market_model == "sim")]
    checked = 0
    for g, sample in GROUPS.items():
        for w, wref in WINDOWS.items():
            ours = tests[(tests.group == g) & (tests.window == w)]
            ref = daily[(daily["sample"] == sample) & (daily.window == wref)].set_index("tau")
            for test, col in DAILY.items():
                o = ours[(ours.test == test) & ours.tau.notna()].set_index("tau")["statistic"]
                np.testing.assert_allclose(o.sort_index().to_numpy(), ref[col].sort_index().to_numpy(), rtol=1e-9,
                                           err_msg=f"{g} {w} {test}")
                checked += len(o)
            for test, name in CAR.items():
                o = ours[(ours.test == test) & ours.tau.isna()]["statistic"].iloc[0]
                r = car_ref[(car_ref["sample"] == sample) & (car_ref.window == wref)
                            & (car_ref.name == name)]["statistic"]
                assert o == pytest.approx(r.iloc[0], rel=1e-9), (g, w, test)
                checked += 1
    assert checked == 4 * (9 * 4 + 2 * 2)  # 4 groups x (9 tests x 4 days over both windows + 2 CAR tests x 2 windows)
