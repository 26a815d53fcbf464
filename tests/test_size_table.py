"""The headline leads with the tests that hold their size when the news clusters.

`benchmarks/size_table.csv` is the committed output of `python benchmarks/bench_size.py --out`
(a Monte Carlo through the public API; the README's size table is printed from it with
`--markdown`). The statistics the headline leads with (ROBUST_FIRST) must reject a true null
between 3 % and 7 % at 5 % nominal in every design and window; the naive t shown beside them
must be the one that does not.
"""

import importlib.util
from pathlib import Path

import pandas as pd

from eventstudy.report.summary import NAIVE, ROBUST_FIRST

ROOT = Path(__file__).resolve().parents[1]


def bench():
    spec = importlib.util.spec_from_file_location("bench_size", ROOT / "benchmarks" / "bench_size.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_committed_table_is_a_full_run_of_every_design():
    table = pd.read_csv(ROOT / "benchmarks" / "size_table.csv")
    b = bench()
    assert set(table["design"]) == set(b.DESIGNS)
    assert set(table["kind"]) == {"size", "power"}
    studies = table[table["design"] != "single-date"]["n"]
    assert studies.min() >= 500  # the floor: at least 500 studies per design


def test_headline_statistics_hold_their_size_in_every_design():
    table = pd.read_csv(ROOT / "benchmarks" / "size_table.csv")
    size = table[table["kind"] == "size"]
    lo, hi = bench().VALID
    for test in ROBUST_FIRST:
        rows = size[size["test"] == test]
        assert len(rows) == 2 * size["design"].nunique(), test  # both windows of every design
        outside = rows[(100 * rows["reject"] < lo) | (100 * rows["reject"] > hi)]
        assert outside.empty, f"{test} leaves the {lo}-{hi} % band:\n{outside}"
    naive = size[size["test"] == NAIVE]
    assert (naive["reject"] > 0.3).all()  # why it is shown beside them, not led with
