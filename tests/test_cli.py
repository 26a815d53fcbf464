"""The command line: the align CSV contract scripts depend on, the main job, clean errors."""

import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import eventstudy
from eventstudy.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_align_csv_contract(capsys, tmp_path):
    ev = tmp_path / "e.csv"
    ev.write_text("event_id,timestamp,time_precision\ngeneva,2025-05-06T18:05:00-04:00,approximate\n"
                  "kl,2025-10-26T11:00:00+08:00,approximate\n")
    code, out, _ = run(capsys, "align", "--events", str(ev), "--assets", "SPY,^N225,ES=F", "--format", "csv")
    assert code == 0
    df = pd.read_csv(io.StringIO(out), dtype=str)
    assert {"event_id", "asset", "event_time_utc", "day0"} <= set(df.columns)
    got = {(r.event_id, r.asset): r.day0 for r in df.itertuples()}
    assert got == {("geneva", "SPY"): "2025-05-07", ("geneva", "^N225"): "2025-05-07", ("geneva", "ES=F"): "2025-05-07",
                   ("kl", "SPY"): "2025-10-27", ("kl", "^N225"): "2025-10-27", ("kl", "ES=F"): "2025-10-27"}
    assert df.loc[0, "event_time_utc"] == "2025-05-06T22:05:00Z"


def test_align_defaults_bundled_events_all_assets(capsys):
    code, out, _ = run(capsys, "align", "--format", "csv")
    df = pd.read_csv(io.StringIO(out))
    assert code == 0 and df["asset"].nunique() == 16 and df["event_id"].nunique() == 30


def test_align_unknown_ticker_from_prices_file(capsys, tmp_path):
    p = tmp_path / "p.csv"
    p.write_text("date,FUND\n2025-05-06,1\n2025-05-08,2\n")
    ev = tmp_path / "e.csv"
    ev.write_text("event_id,timestamp\ne,2025-05-07T12:00:00+00:00\n")
    code, out, _ = run(capsys, "align", "--events", str(ev), "--assets", "FUND", "--prices", str(p), "--format", "csv")
    assert code == 0 and "2025-05-08" in out


def test_errors_are_one_line_on_stderr(capsys, tmp_path):
    ev = tmp_path / "e.csv"
    ev.write_text("event_id,timestamp\ne,2025-05-07 12:00\n")
    code, out, err = run(capsys, "align", "--events", str(ev), "--format", "csv")
    assert code == 2 and out == ""
    assert "e.csv, line 2, column timestamp" in err and "Traceback" not in err
    code, _, err = run(capsys, "align", "--assets", "SPY,FOO")
    assert code == 2 and "unknown ticker 'FOO'" in err


def test_events_and_snapshot_commands(capsys):
    code, out, _ = run(capsys, "events")
    assert code == 0 and "30 events valid" in out
    code, out, _ = run(capsys, "snapshot", "--format", "csv")
    assert code == 0 and "ES_1m" in out and "CME_EQUITY" in out


@pytest.mark.slow
def test_run_main_job_writes_outputs(capsys, tmp_path):
    code, out, _ = run(capsys, "run", "--out", str(tmp_path / "res"), "--assets", "SPY,^N225,^KS11", "--n-boot", "200")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Headline: cumulative average abnormal returns"
    assert "BW 1985" in lines[2] and lines[2].index("BW 1985") < lines[2].index("naive t")  # robust lead first
    body = lines[3:lines.index("", 3)]
    assert len(body) == 3 * 3  # all, escalation, de-escalation x three windows: no row per event
    ar = pd.read_csv(tmp_path / "res" / "abnormal_returns.csv")
    row = ar[(ar["event_id"] == "2025-10-26-kuala-lumpur-framework") & (ar["asset"] == "^N225")
             & (ar["tau"] == 0)].iloc[0]
    # Nikkei 2025-10-24 49,299.65 -> 2025-10-27 50,512.32 (+2.46 %), the first close above 50,000
    assert row["date"] == "2025-10-27" and row["ret"] == pytest.approx(50512.32 / 49299.65 - 1, abs=1e-6)
    car = pd.read_csv(tmp_path / "res" / "car.csv")
    assert set(car["window"]) == {"0:0", "0:1", "-1:1"} and (car["status"] == "ok").all()
    al = pd.read_csv(tmp_path / "res" / "alignment.csv")
    assert {"event_id", "asset", "event_time_utc", "day0"} <= set(al.columns)
    # the bundled snapshot's fingerprint: SHA-256 of "relative path NUL file SHA-256 LF" over its sorted files
    data = Path(eventstudy.__file__).parent / "data"
    lines = "".join(f"{p.relative_to(data).as_posix()}\0{hashlib.sha256(p.read_bytes()).hexdigest()}\n"
                    for p in sorted(data.rglob("*")) if p.is_file())
    manifest = json.loads((tmp_path / "res" / "manifest.json").read_text())
    assert manifest["inputs"]["snapshot"]["sha256"] == hashlib.sha256(lines.encode()).hexdigest()
    assert manifest["command"].startswith("eventstudy run --out ") and manifest["version"] == eventstudy.__version__
    claims = Path(manifest["inputs"]["claims"]["path"])  # the claims checked are hashed as an input
    assert manifest["inputs"]["claims"]["sha256"] == hashlib.sha256(claims.read_bytes()).hexdigest()
    assert manifest["options"]["sign"] is None and "arch" in manifest["environment"]


def test_run_user_files_without_asset_column_uses_every_column_but_the_market(capsys, tmp_path):
    import numpy as np

    rng = np.random.default_rng(5)
    dates = pd.bdate_range("2024-01-01", periods=200)
    m = 100 * np.cumprod(1 + rng.normal(0, 0.01, 200))
    a = 50 * np.cumprod(1 + rng.normal(0, 0.01, 200))
    b = 20 * np.cumprod(1 + rng.normal(0, 0.01, 200))
    pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "MKT": m, "AAA": a, "BBB": b}).to_csv(
        tmp_path / "p.csv", index=False)
    (tmp_path / "e.csv").write_text("event_id,date,group\nx,2024-09-02,g1\ny,2024-09-16,g1\n")
    code, out, err = run(capsys, "run", "--prices", str(tmp_path / "p.csv"), "--events", str(tmp_path / "e.csv"),
                         "--market", "MKT", "--estimation", "-120:-11", "--window", "-1:1",
                         "--out", str(tmp_path / "o"))
    assert code == 0, err
    car = pd.read_csv(tmp_path / "o" / "car.csv")
    assert sorted(set(car["asset"])) == ["AAA", "BBB"] and len(car) == 4
    tests = pd.read_csv(tmp_path / "o" / "tests.csv")
    assert set(tests["group"]) == {"all", "g1", "x", "y", "asset:AAA", "asset:BBB"}  # each asset over its events too


@pytest.mark.slow
def test_a_users_run_gets_every_output_for_its_own_group_column(capsys, tmp_path):
    """Nothing of the bundled example leaks into a user's run: its groups come from --group, its
    battery tables and figures are made for them, and no Kuala Lumpur figure appears."""
    import numpy as np

    rng = np.random.default_rng(8)
    dates = pd.bdate_range("2023-01-02", periods=400)
    cols = {t: 100 * np.cumprod(1 + rng.normal(0, 0.01, 400)) for t in ("MKT", "AAA", "BBB", "CCC")}
    pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), **cols}).to_csv(tmp_path / "p.csv", index=False)
    rows = [f"e{i},{dates[150 + 20 * i]:%Y-%m-%d},{'north' if i % 2 else 'south east'}" for i in range(10)]
    (tmp_path / "e.csv").write_text("event_id,date,region\n" + "\n".join(rows) + "\n")
    out = tmp_path / "o"
    code, stdout, err = run(capsys, "run", "--prices", str(tmp_path / "p.csv"), "--events", str(tmp_path / "e.csv"),
                            "--market", "MKT", "--group", "region", "--estimation", "-120:-11", "--n-boot", "100",
                            "--placebo", "200", "--out", str(out))
    assert code == 0, err
    assert set(pd.read_csv(out / "tests.csv")["group"]) >= {"all", "north", "south east", "e0", "e9"}
    assert (out / "tables" / "battery_north.md").is_file() and (out / "tables" / "battery_south_east.md").is_file()
    assert set(pd.read_csv(out / "placebo.csv")["group"]) == {"all", "north", "south east"}
    assert sorted(p.name for p in (out / "figures").iterdir()) == ["caar_by_group.png", "car_paths.png",
                                                                  "placebo.png"]
    assert not (out / "claims_check.csv").exists()  # no claims file given: none checked
    assert "north" in stdout and "de-escalation" not in stdout


@pytest.mark.slow
def test_a_users_run_with_later_days_only_and_an_intraday_figure(capsys, tmp_path):
    """--window 6:8 draws paths over tau 6..8 (the figures once defaulted to -5:5 and failed), and
    --intraday-figure EVENT_ID:TICKER@INTERVAL draws any event on any instrument with bars."""
    import numpy as np

    rng = np.random.default_rng(4)
    dates = pd.bdate_range("2024-09-02", periods=330)
    cols = {t: 100 * np.cumprod(1 + rng.normal(0, 0.01, 330)) for t in ("MKT", "AAA", "BBB")}
    pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), **cols}).to_csv(tmp_path / "p.csv", index=False)
    (tmp_path / "e.csv").write_text("event_id,timestamp,theme\n"
                                    "hostile-post,2025-10-10T10:57:00-04:00,escalation of a long-named kind\n"
                                    "calm-day,2025-08-12T10:00:00-04:00,calm\n")
    out = tmp_path / "o"
    code, _, err = run(capsys, "run", "--prices", str(tmp_path / "p.csv"), "--events", str(tmp_path / "e.csv"),
                       "--market", "MKT", "--group", "theme", "--window", "6:8", "--estimation", "-120:-11",
                       "--n-boot", "50", "--placebo", "0", "--no-pdf", "--intraday-figure", "hostile-post:ES=F@15m",
                       "--out", str(out))
    assert code == 0, err
    assert sorted(p.name for p in (out / "figures").iterdir()) == [
        "caar_by_group.png", "car_paths.png", "intraday_hostile-post_ES_F_15m.png"]
    code, _, err = run(capsys, "run", "--prices", str(tmp_path / "p.csv"), "--events", str(tmp_path / "e.csv"),
                       "--market", "MKT", "--intraday-figure", "nope:ES=F", "--out", str(tmp_path / "o2"))
    assert code == 2 and "no event 'nope' in the catalog" in err


def test_run_bad_window_is_a_clear_error(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--window", "1:-1"])
    assert "starts after it ends" in capsys.readouterr().err


@pytest.mark.slow
def test_python_dash_m():
    res = subprocess.run([sys.executable, "-m", "eventstudy", "align", "--assets", "^KS11", "--format", "csv"],
                         capture_output=True, text=True, check=True)
    assert res.stdout.startswith("event_id,asset,event_time_utc")


def test_fetch_offline_is_a_clear_error(capsys, tmp_path, monkeypatch):
    """yfinance 1.x returns an empty frame when offline; the CLI says which ticker and what to do."""
    import eventstudy.prices.yahoo as yahoo

    monkeypatch.setattr(yahoo, "_yf_download", lambda *a, **k: pd.DataFrame())
    code, out, err = run(capsys, "fetch", "ES=F", "--start", "2025-05-01", "--end", "2025-05-09",
                         "--cache-dir", str(tmp_path))
    assert code == 2 and out == ""
    assert "no prices for 'ES=F'" in err and "offline" in err and "bundled snapshot" in err
    assert not any(tmp_path.rglob("*.csv"))  # nothing cached


def test_run_factor_model_with_dimson_lags(capsys, tmp_path):
    code, out, err = run(capsys, "run", "--assets", "^N225,^KS11", "--model", "factor", "--factors", "ACWI",
                         "--lags", "1", "--window", "0:0", "--n-boot", "100", "--no-figures", "--out", str(tmp_path))
    assert code == 0, err

    assert json.loads((tmp_path / "manifest.json").read_text())["options"]["model"] == "factor"
    code, _, err = run(capsys, "run", "--model", "factor", "--no-figures", "--out", str(tmp_path))
    assert code == 2 and "--model factor needs --factors" in err


@pytest.mark.slow
def test_run_chunked_backend_and_placebo_match_memory(capsys, tmp_path, monkeypatch):
    """--backend chunked in several blocks writes the numbers of the in-memory run; --placebo writes
    placebo.csv and its table, whose observed CAAR is the study's."""
    import numpy as np

    import eventstudy.pipeline.blocks as engine

    common = ["--assets", "SPY,^N225,^KS11,CNY=X", "--n-boot", "200", "--no-figures", "--placebo", "300"]
    assert run(capsys, "run", "--out", str(tmp_path / "mem"), *common)[0] == 0
    monkeypatch.setattr(engine, "BYTES_PER_CELL", 1)
    monkeypatch.setattr(engine, "SPILL_BYTES_PER_CELL", 0)
    monkeypatch.setattr(engine, "RESULT_BYTES", 0)
    monkeypatch.setattr(engine, "RESULT_BYTES_MEMBER", 0)
    monkeypatch.setattr(engine, "rss_bytes", lambda: 0)
    code, _, err = run(capsys, "run", "--out", str(tmp_path / "chk"), "--backend", "chunked",
                       "--memory", str(20 * 262), "--partition", "asset", *common)
    assert code == 0 and "chunked block 1/" in err
    for name, keys in (("car.csv", ["event_id", "asset", "window"]), ("tests.csv", ["group", "window", "tau", "test"])):
        a = pd.read_csv(tmp_path / "mem" / name).sort_values(keys).reset_index(drop=True)
        b = pd.read_csv(tmp_path / "chk" / name).sort_values(keys).reset_index(drop=True)
        num = a.select_dtypes("number").columns
        np.testing.assert_allclose(b[num].to_numpy(float), a[num].to_numpy(float), rtol=1e-12, atol=1e-13)
    pl = pd.read_csv(tmp_path / "chk" / "placebo.csv")
    caar = pd.read_csv(tmp_path / "mem" / "car.csv").groupby("window")["car"].mean()
    for w, v in caar.items():
        assert pl.query("group == 'all' and window == @w", local_dict={"w": w})["caar"].iloc[0] == pytest.approx(
            v, rel=1e-12)
    assert (tmp_path / "chk" / "tables" / "placebo.md").read_text().startswith("**Placebo-date permutation")
    code, _, err = run(capsys, "run", "--memory", "1GB")  # a budget without a block engine: a clear error
    assert code != 0 and "--backend chunked" in err
