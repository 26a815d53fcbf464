"""Property-based fuzzing of ``eventstudy run`` on small hostile inputs (issue 11).

Random wide price files (gaps, blank cells, constant, copied and proportional columns, a
duplicated date now and then) and event files (hostile ids, dates inside, at the edge of and
outside the data, a timestamp now and then) go through the CLI. The property: either the run
succeeds and every (event, asset) pair is in ``car.csv`` or ``exclusions.csv``, with no CAR marked
ok whose number or t statistic is NaN or whose fit's residual SD is at rounding level; or it stops
with exit status 2 and a one-line ``error:`` message, never a traceback.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventstudy.cli import main
from eventstudy.overlaps import constituents

IDS = ["e1", "=HYPERLINK(\"x\")", "@SUM(1)", "+cmd|' /C calc'!A0", "-neg", "<b>x</b>", "\x1b[31mred", "tab\tid",
       "a,b", "quote\"d", "ünï", "  spaced  "]
TICKERS = ["AAA", "BBB", "CCC", "DDD"]


@st.composite
def study_files(draw):
    n = draw(st.integers(40, 160))
    dates = pd.bdate_range("2023-01-02", periods=n)
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    mkt = 100 * np.cumprod(1 + rng.normal(0, 0.01, n))
    cols = {"MKT": mkt}
    for t in TICKERS[: draw(st.integers(1, 4))]:
        kind = draw(st.sampled_from(["random", "random", "random", "constant", "copy", "twice"]))
        cols[t] = {"random": 100 * np.cumprod(1 + rng.normal(0, 0.01, n)), "constant": np.full(n, 50.0),
                   "copy": mkt.copy(), "twice": 2 * mkt}[kind]
    frame = pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), **cols})
    for t in cols:  # blank cells (a missing price) and holes (rows gone for every ticker)
        for i in draw(st.lists(st.integers(0, n - 1), max_size=4)):
            frame.loc[i, t] = np.nan
    holes = draw(st.lists(st.integers(0, n - 1), max_size=3))
    if holes and draw(st.booleans()):
        lo = min(holes)
        frame = frame.drop(index=range(lo, min(lo + draw(st.integers(1, 40)), n)))
    if draw(st.integers(0, 9)) == 0:
        frame = pd.concat([frame, frame.iloc[[len(frame) // 2]]]).sort_values("date")  # a date twice
    events = []
    for _ in range(draw(st.integers(1, 4))):
        eid = draw(st.sampled_from(IDS)) + draw(st.sampled_from(["", "2", "x"]))
        pos = draw(st.integers(-5, n + 5))
        day = pd.Timestamp("2023-01-02") + pd.offsets.BDay(pos)
        if draw(st.booleans()):
            events.append((eid, f"{day:%Y-%m-%d}T{draw(st.integers(0, 23)):02d}:15:00-05:00", ""))
        else:
            events.append((eid, "", f"{day:%Y-%m-%d}"))
    return frame, events


def run_cli(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
    return code, err.getvalue()


@pytest.mark.slow
@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(study_files())
def test_cli_never_crashes_nor_marks_a_wrong_number_ok(files):
    frame, events = files
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        frame.to_csv(tmp / "p.csv", index=False)
        pd.DataFrame(events, columns=["event_id", "timestamp", "date"]).to_csv(tmp / "e.csv", index=False)
        code, err = run_cli(["run", "--prices", str(tmp / "p.csv"), "--events", str(tmp / "e.csv"), "--market", "MKT",
                             "--window", "0:0", "--window", "-1:1", "--estimation", "-40:-6", "--min-estimation",
                             "10", "--n-boot", "20", "--placebo", "0", "--no-figures", "--no-pdf",
                             "--out", str(tmp / "out")])
        assert "Traceback" not in err
        if code != 0:
            assert code == 2 and "error: " in err, err
            return
        out = tmp / "out"
        car = pd.read_csv(out / "car.csv", dtype={"event_id": str}, keep_default_na=False, na_values=[""])
        excluded = pd.read_csv(out / "exclusions.csv", dtype={"event_id": str}, keep_default_na=False,
                               na_values=[""])
        aligned = pd.read_csv(out / "alignment.csv", dtype={"event_id": str}, keep_default_na=False, na_values=[""])
        pairs = set(zip(aligned["event_id"], aligned["asset"]))
        listed = set(zip(car["event_id"], car["asset"])) | set(zip(excluded["event_id"], excluded["asset"]))
        # events sharing a day 0 on a market are one member named 'A+B' (overlap='merge'): A is listed
        # under that name, B as an exclusion 'merged into A+B'
        ids = set(aligned["event_id"])
        merged = {(e, a) for name, a in listed for e in constituents(name, ids)}
        assert pairs <= listed | merged, pairs - listed - merged
        assert {(e, a) for e, a in listed if (e, a) not in pairs} <= {(n, a) for n, a in listed if "+" in n}
        ok = car[car["status"] == "ok"]
        assert np.isfinite(ok["car"]).all() and np.isfinite(ok["t"]).all(), ok
        params = pd.read_csv(out / "params.csv", dtype={"event_id": str}, keep_default_na=False, na_values=[""])
        assert (params["sigma"] > 0).all()
        returns = frame.set_index("date").pct_change(fill_method=None)
        for r in params.itertuples():  # no fit at rounding level: residual SD well above 1e-8 of the return SD
            assert r.sigma > 1e-8 * np.nanstd(returns[r.asset].to_numpy()), r
