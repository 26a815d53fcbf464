"""Reliability under bad input, faults and hostile content (issue 11): each failure a hostile
tester found, as a regression test through the CLI or the public API."""

import numpy as np
import pandas as pd

from eventstudy.cli import main

DATES = pd.bdate_range("2023-01-02", periods=400)


def write_prices(path, n=400, seed=0, **columns):
    rng = np.random.default_rng(seed)
    frame = {"date": DATES[:n].strftime("%Y-%m-%d"),
             "MKT": 100 * np.cumprod(1 + rng.normal(0, 0.01, n)),
             "AAA": 100 * np.cumprod(1 + rng.normal(0, 0.01, n))}
    frame.update(columns)
    pd.DataFrame(frame).to_csv(path, index=False)
    return path


def write_events(path, rows):
    pd.DataFrame(rows, columns=["event_id", "date"]).to_csv(path, index=False)
    return path


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_window_past_the_data_gives_nan_with_a_status_and_every_table(capsys, tmp_path):
    """The case the README documents: a CAR that runs past the data end is NaN with a status; the
    run completes, and every table renders the missing cells empty (pandas 3 keeps NaN through
    astype(str), which crashed the Markdown writer)."""
    prices = write_prices(tmp_path / "p.csv")
    events = write_events(tmp_path / "e.csv", [("late", f"{DATES[-2]:%Y-%m-%d}"), ("mid", f"{DATES[300]:%Y-%m-%d}")])
    code, out, err = run(capsys, "run", "--prices", prices, "--events", events, "--market", "MKT", "--model", "market",
                         "--window", "-1:1", "--window", "0:5", "--out", tmp_path / "out", "--no-figures")
    assert code == 0, err
    car = pd.read_csv(tmp_path / "out" / "car.csv")
    late = car[(car["event_id"] == "late") & (car["window"] == "0:5")].iloc[0]
    assert np.isnan(late["car"]) and late["status"] == "no return on tau 2,3,4,5"
    md = (tmp_path / "out" / "tables" / "car_long_0_5.md").read_text()
    assert "| late | AAA |" in md and "| nan" not in md.lower()
    for ext in ("md", "tex", "csv", "html"):
        assert (tmp_path / "out" / "tables" / f"caar_by_group.{ext}").stat().st_size > 0
