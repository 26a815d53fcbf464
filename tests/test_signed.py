"""Signed abnormal returns (issue 14, part 2: a direction-signed pooled CAAR): each member's ARs
times the sign of its event's column; opposite reactions that an unsigned 'all' averages away are
recovered, and every per-member number is the unsigned one times the sign."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy.cli import main

DATES = pd.bdate_range("2022-01-03", periods=560)
AT = [300, 320, 340, 360, 380, 400, 420, 440, 460, 480, 500, 520]


def synthetic(effect: float = 0.02, seed: int = 3):
    """Four assets on a market; day 0 of a +1 event adds +effect to every asset, of a -1 event
    -effect. The sign is a column of the user's own, ``tone``; the last event has none (empty)."""
    rng = np.random.default_rng(seed)
    tickers = ["MKT", "A", "B", "C", "D"]
    ret = rng.normal(0.0002, 0.01, (len(DATES), len(tickers)))
    direction = [1, -1] * 6
    for at, d in zip(AT, direction):
        ret[at, 1:] += d * effect
    prices = pd.DataFrame({"ticker": np.repeat(tickers, len(DATES)), "date": np.tile(DATES, len(tickers)),
                           "close": (100 * np.exp(np.cumsum(ret, axis=0))).T.ravel()})
    prices["adj_close"] = prices["close"]
    events = pd.DataFrame({"event_id": [f"e{i:02d}" for i in range(len(AT))], "date": DATES[AT].strftime("%Y-%m-%d"),
                           "tone": [str(d) for d in direction[:-1]] + [""]})
    return events, prices


def fit(events, prices, **kw):
    return es.EventStudy(es.load_events(frame=events), prices, model="market", market="MKT",
                         windows=((0, 0), (-1, 1)), n_boot=200, **kw).fit()


def test_signed_numbers_are_the_unsigned_ones_times_the_sign():
    events, prices = synthetic()
    plain, signed = fit(events, prices), fit(events, prices, sign="tone")
    assert len(signed.members) == len(plain.members) - 4  # the event without a direction: 4 assets out
    assert (signed.exclusions["reason"].str.startswith("no sign: tone is")).sum() == 4
    j = signed.car.merge(plain.car, on=["event_id", "asset", "window"], suffixes=("", "_plain"))
    s = j["event_id"].map(dict(zip(events["event_id"], events["tone"]))).astype(float)
    np.testing.assert_allclose(j["car"], s * j["car_plain"], rtol=1e-12)
    np.testing.assert_allclose(j["bhar"], s * j["bhar_plain"], rtol=1e-12)
    np.testing.assert_allclose(j["se"], j["se_plain"], rtol=1e-12)
    ar = signed.abnormal_returns.merge(plain.abnormal_returns, on=["event_id", "asset", "tau"],
                                       suffixes=("", "_plain"))
    s = ar["event_id"].map(dict(zip(events["event_id"], events["tone"]))).astype(float)
    np.testing.assert_allclose(ar["ar"], s * ar["ar_plain"], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ar["ret"], ar["ret_plain"], rtol=0)  # returns are not signed


def test_opposite_reactions_are_recovered_not_averaged_away():
    events, prices = synthetic()
    plain, signed = fit(events, prices), fit(events, prices, sign="tone")
    p = plain.caar.set_index(["group", "window"]).loc[("all", "0:0")]
    s = signed.caar.set_index(["group", "window"]).loc[("all", "0:0")]
    assert abs(p["caar"]) < 0.004  # +2 % and -2 % average out
    assert s["caar"] == pytest.approx(0.02, abs=0.004) and s["t_bw1985"] > 5


def test_a_sign_column_the_events_lack_is_named():
    events, prices = synthetic()
    with pytest.raises(es.errors.SpecificationError, match="sign='mood' is not a column"):
        fit(events, prices, sign="mood")


def test_the_cli_adds_the_signed_rows_to_the_headline(tmp_path, capsys):
    events, prices = synthetic()
    events.to_csv(tmp_path / "e.csv", index=False)
    prices.to_csv(tmp_path / "p.csv", index=False)
    out = tmp_path / "out"
    assert main(["run", "--events", str(tmp_path / "e.csv"), "--prices", str(tmp_path / "p.csv"), "--market", "MKT",
                 "--window", "0:0", "--signed", "tone", "--placebo", "300", "--no-pdf",
                 "--n-boot", "100", "--out", str(out)]) == 0  # with figures: the placebo figure draws the signed group
    printed = capsys.readouterr().out
    assert "all x tone (11 events)" in printed
    signed = pd.read_csv(out / "signed_tests.csv")
    assert set(signed["group"]) == {"all x tone"}
    head = pd.read_csv(out / "tables" / "headline.csv", dtype=str)
    row = head[head["group"].str.startswith("all x tone")].iloc[0]
    assert float(row["CAAR (%)"]) == pytest.approx(2.0, abs=0.4) and row["placebo date"] != ""
    assert "all x tone" in set(pd.read_csv(out / "placebo.csv")["group"])
    assert (out / "figures" / "placebo.png").is_file()


@pytest.mark.slow
def test_the_readme_signed_rows_are_what_the_main_job_prints(tmp_path, capsys):
    from pathlib import Path

    assert main(["run", "--out", str(tmp_path / "r"), "--no-figures", "--no-pdf", "--signed", "direction"]) == 0
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    rows = [line for line in (tmp_path / "r" / "tables" / "headline.md").read_text().splitlines()
            if line.startswith("| all x direction")]
    assert len(rows) == 3
    for line in rows:
        assert line in readme, f"README lacks {line}"


def test_the_placebo_null_of_a_signed_study_is_signed_too():
    """Every sign -1: the observed CAAR and every placebo draw flip, the p-value stays."""
    from eventstudy.placebo import placebo_test

    events, prices = synthetic()
    events = events.assign(tone="-1")
    plain, signed = fit(events, prices), fit(events, prices, sign="tone")
    pa = placebo_test(plain, n_draws=300, seed=1, groups=["all"])
    pb = placebo_test(signed, n_draws=300, seed=1, groups=["all"])
    np.testing.assert_allclose(pb["caar"], -pa["caar"], rtol=1e-12)
    np.testing.assert_allclose(pb["pvalue"], pa["pvalue"], rtol=1e-12)
    for key, draws in pa.attrs["draws"].items():
        np.testing.assert_allclose(pb.attrs["draws"][key], -draws, rtol=1e-12, atol=1e-15)
