"""Reliability under bad input, faults and hostile content (issue 11): each failure a hostile
tester found, as a regression test through the CLI or the public API."""

import hashlib
import json
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import eventstudy
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
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse's own errors (exit status 2)
        code = exc.code
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


def test_an_event_inside_a_hole_in_the_data_is_excluded_not_scored_months_later(capsys, tmp_path):
    """Failure 2: every ticker lacks 100 sessions; an event inside the hole would get a day 0 five
    months later and a five-month return scored as one day. It is an exclusion with the reason."""
    prices = tmp_path / "p.csv"
    write_prices(prices)
    frame = pd.read_csv(prices)
    frame = frame.drop(index=range(200, 300))
    frame.to_csv(prices, index=False)
    events = write_events(tmp_path / "e.csv", [("hole", f"{DATES[250]:%Y-%m-%d}"), ("fine", f"{DATES[350]:%Y-%m-%d}")])
    code, out, err = run(capsys, "run", "--prices", prices, "--events", events, "--market", "MKT", "--model", "market",
                         "--window", "0:0", "--estimation", "-120:-11", "--out", tmp_path / "out", "--no-figures")
    assert code == 0, err
    car = pd.read_csv(tmp_path / "out" / "car.csv")
    assert set(car["event_id"]) == {"fine"}
    ex = pd.read_csv(tmp_path / "out" / "exclusions.csv").set_index("event_id")
    assert "in a gap of the sessions of data dates" in ex.loc["hole", "reason"]
    assert "none within 14 days" in ex.loc["hole", "reason"]


def test_a_blank_cell_is_a_gap_of_that_asset_not_a_shifted_day_0(capsys, tmp_path):
    """Failure 2: a blank price of one asset on the event date must not move only that asset's day
    0 to the next row; the file's dates are the sessions, so the asset has no return on day 0 (an
    exclusion) and its return over the blank spans two sessions (a flagged CAR)."""
    rng = np.random.default_rng(3)
    n = 300
    a = 100 * np.cumprod(1 + rng.normal(0, 0.01, n))
    b = 100 * np.cumprod(1 + rng.normal(0, 0.01, n))
    b_blank = b.copy()
    b_blank[250] = np.nan
    prices = write_prices(tmp_path / "p.csv", n=n, BBB=b_blank, CCC=a)
    events = write_events(tmp_path / "e.csv",
                          [("blank", f"{DATES[250]:%Y-%m-%d}"), ("before", f"{DATES[249]:%Y-%m-%d}")])
    code, out, err = run(capsys, "run", "--prices", prices, "--events", events, "--market", "MKT", "--model", "market",
                         "--window", "0:0", "--window", "0:1", "--estimation", "-120:-11", "--out", tmp_path / "out",
                         "--no-figures")
    assert code == 0, err
    align = pd.read_csv(tmp_path / "out" / "alignment.csv")
    assert set(align.loc[align["event_id"] == "blank", "day0"]) == {f"{DATES[250]:%Y-%m-%d}"}
    ex = pd.read_csv(tmp_path / "out" / "exclusions.csv")
    assert ((ex["event_id"] == "blank") & (ex["asset"] == "BBB")).sum() == 1
    car = pd.read_csv(tmp_path / "out" / "car.csv")
    row = car[(car["event_id"] == "before") & (car["asset"] == "BBB") & (car["window"] == "0:1")].iloc[0]
    assert row["status"] != "ok" and "spans 2 sessions" in row["status"]


def test_an_asset_identical_or_proportional_to_its_benchmark_is_excluded_not_scored(capsys, tmp_path):
    """Failure 3: an asset whose prices are the benchmark's (or a multiple) has residuals at
    rounding level (se ~ 1e-17); its t would be noise marked ok and would enter every pooled test.
    The fit is degenerate and the pair is excluded with the reason; the other asset is unchanged."""
    rng = np.random.default_rng(5)
    mkt = 100 * np.cumprod(1 + rng.normal(0, 0.01, 400))
    prices = write_prices(tmp_path / "p.csv", MKT=mkt, COPY=mkt.copy(), TWICE=2 * mkt, FLAT=np.full(400, 50.0))
    events = write_events(tmp_path / "e.csv", [("e1", f"{DATES[300]:%Y-%m-%d}")])
    code, out, err = run(capsys, "run", "--prices", prices, "--events", events, "--market", "MKT", "--model", "market",
                         "--window", "0:0", "--out", tmp_path / "out", "--no-figures")
    assert code == 0, err
    car = pd.read_csv(tmp_path / "out" / "car.csv")
    assert list(car["asset"]) == ["AAA"]
    ex = pd.read_csv(tmp_path / "out" / "exclusions.csv").set_index("asset")["reason"]
    assert ex["COPY"].startswith("degenerate fit: residual SD") and "identical or proportional" in ex["COPY"]
    assert ex["TWICE"].startswith("degenerate fit: residual SD")
    assert ex["FLAT"].startswith("degenerate fit: the asset's estimation returns do not vary")
    # the surviving asset's CAR is its own fit: AR on day 0 = r - (alpha + beta m), by hand
    frame = pd.read_csv(prices)
    r = frame["AAA"].pct_change().to_numpy()
    m = frame["MKT"].pct_change().to_numpy()
    est = slice(300 - 250, 300 - 10)  # taus -250..-11 of the default estimation window
    beta, alpha = np.polyfit(m[est], r[est], 1)
    assert car["car"].iloc[0] == pytest.approx(r[300] - alpha - beta * m[300], abs=1e-12)


def test_every_pair_left_out_names_the_reasons(capsys, tmp_path):
    prices = write_prices(tmp_path / "p.csv")
    frame = pd.read_csv(prices)
    frame["AAA"] = frame["MKT"] * 3
    frame.to_csv(prices, index=False)
    events = write_events(tmp_path / "e.csv", [("e1", f"{DATES[300]:%Y-%m-%d}")])
    code, out, err = run(capsys, "run", "--prices", prices, "--events", events, "--market", "MKT", "--model", "market",
                         "--window", "0:0", "--out", tmp_path / "out", "--no-figures")
    assert code != 0 and "Traceback" not in err
    assert "no (event, asset) pair could be estimated: 1 x degenerate fit" in err


def test_the_minimum_observation_floor_says_it_is_k_plus_3(capsys, tmp_path):
    """Failure 9: with min_estimation 4 and a market model (k = 2), 4 rows are too few because the
    floor is k + 3 = 5; the reason says so instead of 'fewer than 4' beside a count of 4."""
    prices = write_prices(tmp_path / "p.csv")
    events = write_events(tmp_path / "e.csv", [("early", f"{DATES[15]:%Y-%m-%d}"), ("ok", f"{DATES[300]:%Y-%m-%d}")])
    code, out, err = run(capsys, "run", "--prices", prices, "--events", events, "--market", "MKT", "--model", "market",
                         "--window", "0:0", "--estimation", "-250:-11", "--min-estimation", "4",
                         "--out", tmp_path / "out", "--no-figures")
    assert code == 0, err
    ex = pd.read_csv(tmp_path / "out" / "exclusions.csv").set_index("event_id")["reason"]
    assert ex["early"] == ("4 estimation observations in -250:-11 (fewer than 5: a model with 2 parameter(s) needs "
                           "k + 3 = 5 for the Patell variance, above min_estimation=4)")


def small_study(tmp_path):
    prices = write_prices(tmp_path / "p.csv")
    events = write_events(tmp_path / "e.csv", [("e1", f"{DATES[300]:%Y-%m-%d}"), ("e2", f"{DATES[350]:%Y-%m-%d}")])
    return ["run", "--prices", prices, "--events", events, "--market", "MKT", "--model", "market",
            "--n-boot", "50", "--placebo", "0", "--no-figures"]


def test_output_problems_are_found_before_the_fit(capsys, tmp_path, monkeypatch):
    """Failure 8: an --out that is a file, lies under a file, or is a folder of the user's was found
    only after the whole fit; now before it, with the path and the fix, and nothing is touched."""
    import eventstudy.study

    def no_fit(*a, **k):
        raise AssertionError("the study was fitted before the output folder was checked")

    monkeypatch.setattr(eventstudy.study.EventStudy, "fit", no_fit)
    argv = small_study(tmp_path)
    (tmp_path / "afile").write_text("keep me")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("keep me too")
    for out, message in [(tmp_path / "afile", "--out is a file, not a folder"),
                         (tmp_path / "afile" / "sub", "above --out, is a file"),
                         (mine, "holds files eventstudy did not write")]:
        code, _, err = run(capsys, *argv, "--out", out)
        assert code == 2 and message in err and "Traceback" not in err, err
    assert (tmp_path / "afile").read_text() == "keep me" and (mine / "thesis.tex").read_text() == "keep me too"
    assert not list(tmp_path.glob(".*staging*"))


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores folder permissions")
def test_a_read_only_parent_is_an_error_before_the_fit(capsys, tmp_path):
    argv = small_study(tmp_path)
    locked = tmp_path / "ro"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        code, _, err = run(capsys, *argv, "--out", locked / "out")
    finally:
        locked.chmod(0o755)
    assert code == 2 and "cannot be written" in err


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc, where no one can make folders")
def test_an_output_folder_that_cannot_be_made_is_an_error_before_the_fit(capsys, tmp_path):
    code, _, err = run(capsys, *small_study(tmp_path), "--out", "/proc/eventstudy-out")
    assert code == 2 and "output folder /proc/eventstudy-out cannot be written" in err and "Traceback" not in err


def test_a_rerun_replaces_the_folder_whole_and_the_manifest_marks_completion(capsys, tmp_path):
    """Failure 5: a rerun into the same folder leaves no file of the previous run (a window
    dropped is a table gone), and manifest.json lists every file written, as the last step."""
    argv = small_study(tmp_path)
    out = tmp_path / "out"
    assert run(capsys, *argv, "--window", "0:0", "--window", "0:5", "--out", out)[0] == 0
    assert (out / "tables" / "car_long_0_5.md").exists()
    assert run(capsys, *argv, "--window", "0:0", "--out", out)[0] == 0
    assert not (out / "tables" / "car_long_0_5.md").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    on_disk = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()} - {"manifest.json"}
    assert manifest["complete"] is True and set(manifest["files"]) == on_disk
    for f, entry in manifest["files"].items():
        data = (out / f).read_bytes()
        assert entry == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    assert manifest["command"] == "eventstudy run " + " ".join(shlex.quote(str(a)) for a in
                                                               [*argv[1:], "--window", "0:0", "--out", out])
    assert manifest["version"] == eventstudy.__version__ and manifest["environment"]["pandas"] == pd.__version__
    events, prices = (Path(argv[argv.index(o) + 1]) for o in ("--events", "--prices"))
    assert manifest["inputs"]["events"]["sha256"] == hashlib.sha256(events.read_bytes()).hexdigest()
    assert manifest["inputs"]["prices"]["sha256"] == hashlib.sha256(prices.read_bytes()).hexdigest()
    assert not list(tmp_path.glob(".out.staging*"))


def test_a_run_killed_while_writing_leaves_the_previous_folder_intact(tmp_path):
    """Failure 5: SIGKILL during the write phase left the old manifest beside a truncated new
    abnormal_returns.csv. The run now writes into a staging folder; a kill leaves the previous
    folder byte for byte, and the next run clears the orphaned staging folder."""
    argv = [str(a) for a in small_study(tmp_path)] + ["--out", str(tmp_path / "out")]
    assert main(argv) == 0
    before = {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    script = (
        "import os, signal, sys\n"
        "import eventstudy.report.tables as t\n"
        "def killed(*a, **k):\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "t.write_tables = killed\n"
        "from eventstudy.cli import main\n"
        f"main({argv!r})\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()} == before
    assert len(list(tmp_path.glob(".out.staging-*"))) == 1  # the killed run's, holding a partial write
    assert main(argv) == 0
    assert not list(tmp_path.glob(".out.staging-*"))


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX locks")
def test_a_second_run_into_a_folder_being_written_stops_at_once(capsys, tmp_path):
    """Failure 5: two concurrent runs into one folder both exited 0 with files from both."""
    import fcntl

    argv = small_study(tmp_path)
    with open(tmp_path / ".out.lock", "a+") as held:  # what a running study holds
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        code, _, err = run(capsys, *argv, "--out", tmp_path / "out")
    assert code == 2 and "another eventstudy run is writing into" in err
    assert not (tmp_path / "out").exists()


HOSTILE = {"formula": '=HYPERLINK("http://evil.example","click")', "at": "@SUM(1)", "cmd": "+cmd|' /C calc'!A0",
           "minus": "-2+3+cmd|' /C calc'!A0", "html": "<script>alert(1)</script>", "ansi": "\x1b[31mRED\x1b[0m",
           "newline": "two\nlines"}


def test_hostile_ids_and_groups_are_neutralised_in_every_output(capsys, tmp_path):
    """Failure 6: ids, groups and titles like '=HYPERLINK(...)', '@SUM(1)', "+cmd|' /C calc'!A0"
    appeared verbatim in every CSV. CSV cells that a spreadsheet would run get a leading
    apostrophe (OWASP), numbers and window labels stay as they are, Markdown escapes HTML and line
    breaks, and no ANSI escape reaches the terminal."""
    prices = write_prices(tmp_path / "p.csv")
    ids = list(HOSTILE.values())
    events = pd.DataFrame({"event_id": ids, "date": [f"{DATES[200 + 20 * i]:%Y-%m-%d}" for i in range(len(ids))],
                           "kind": ["=1+1", "@x", "-neg", "<b>bold</b>", "\x1b]0;pwned\x07", "plain", "-3"]})
    events.to_csv(tmp_path / "e.csv", index=False)
    code, out, err = run(capsys, "run", "--prices", prices, "--events", tmp_path / "e.csv", "--market", "MKT",
                         "--model", "market", "--window", "-1:1", "--group", "kind", "--n-boot", "50",
                         "--placebo", "0", "--no-figures", "--out", tmp_path / "out")
    assert code == 0, err
    # shown as text: the headline prints the group values (an event's own id stays in the files)
    assert "\x1b" not in out + err and "\\x1b]0;pwned\\x07" in out + err
    for path in (tmp_path / "out").rglob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for col in frame.columns:
            for cell in [col, *frame[col]]:
                assert not cell.startswith(("=", "+", "@", "\t", "\r")), (path.name, cell)
                assert not cell.startswith("-") or cell == "-3" or pd.notna(pd.to_numeric(cell, errors="coerce")) \
                    or ":" in cell, (path.name, cell)
    car = pd.read_csv(tmp_path / "out" / "car.csv")
    assert set(car["event_id"]) == {"'" + i if i[0] in "=@+-" else i for i in ids}
    assert car["car"].dtype == float and set(car["window"]) == {"-1:1"}  # numbers and windows intact
    tests = pd.read_csv(tmp_path / "out" / "tests.csv")
    assert {"'=1+1", "'@x", "'-neg", "-3"} <= set(tests["group"]) and tests["statistic"].dtype == float
    for md in (tmp_path / "out" / "tables").glob("*.md"):
        text = md.read_text()
        assert "<script>" not in text and "<b>" not in text and "\x1b" not in text, md.name
        assert all(line.startswith(("|", "**")) or "|" not in line for line in text.splitlines()), md.name


@pytest.mark.parametrize("cell,safe", [
    ("=1+1", "'=1+1"), ("@SUM(1)", "'@SUM(1)"), ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"), ("-neg", "'-neg"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("-0.52", "-0.52"), ("+1.2%", "+1.2%"), ("-1:1", "-1:1"), ("-1e-05", "-1e-05"),
    ("-inf", "-inf"), ("plain", "plain"), ("", ""), ("a=b", "a=b")])
def test_the_owasp_rule_prefixes_formulas_and_leaves_numbers(cell, safe):
    from eventstudy.safetext import csv_cell

    assert csv_cell(cell) == safe


def test_write_csv_writes_the_bytes_pandas_writes(tmp_path, monkeypatch):
    """The CSV writer of the results (text quoted once per distinct value, floats formatted once)
    writes what csv_safe(frame).to_csv would: hostile text, quotes, commas, line breaks, missing
    cells, -0.0, inf, float32, integers, booleans; in chunks; to a path, a handle or a string."""
    import numpy as np

    from eventstudy import safetext
    from eventstudy.safetext import csv_safe, write_csv

    monkeypatch.setattr(safetext, "CSV_CHUNK_ROWS", 7)
    rng = np.random.default_rng(3)
    text = ["a", "", " lead", "x,y", 'q"uote', "new\nline", "cr\rx", "=cmd", "-1:1", "+1.5", "<b>&", "\x1b[31m",
            '""', ",", "\u2028", None, np.nan]
    floats = np.r_[rng.normal(size=20), 0.0, -0.0, np.nan, np.inf, -np.inf, 1e300, 5e-324, 1e16, 0.1, 1 / 3]
    n = 60
    frame = pd.DataFrame({
        "id": pd.Series(rng.choice(np.array(text, dtype=object), n), dtype=object),
        "label": pd.Series(rng.choice(np.array(text, dtype=object), n), dtype="str"),
        "tau": rng.integers(-10**12, 10**12, n), "ok": rng.random(n) > 0.5,
        "n": pd.Series(rng.integers(-5, 5, n), dtype="Int64").where(rng.random(n) > 0.3),
        "x": rng.choice(floats, n), "y": rng.choice(floats[np.isfinite(floats) & (abs(floats) < 1e30)], n).astype("f4"),
        "=col,\"name\"": np.arange(n)})
    for fmt in (None, "%.15g", "%.10g"):
        for term in (None, "\r\n"):
            want = csv_safe(frame).to_csv(index=False, float_format=fmt, lineterminator=term)
            assert write_csv(frame, float_format=fmt, lineterminator=term) == want
            assert write_csv(frame.iloc[:, :3], float_format=fmt, header=False) == \
                csv_safe(frame.iloc[:, :3]).to_csv(index=False, float_format=fmt, header=False)
    csv_safe(frame).to_csv(tmp_path / "c.csv", index=False, float_format="%.15g")

    def not_pandas(*args, **kwargs):
        raise AssertionError("a plain frame is written without DataFrame.to_csv")

    monkeypatch.setattr(pd.DataFrame, "to_csv", not_pandas)
    write_csv(frame, tmp_path / "a.csv", float_format="%.15g")
    with open(tmp_path / "b.csv", "w", newline="") as handle:
        write_csv(frame.iloc[:30], handle, float_format="%.15g")
        write_csv(frame.iloc[30:], handle, float_format="%.15g", header=False)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes() == (tmp_path / "c.csv").read_bytes()


def wide(tmp_path, header, rows):
    path = tmp_path / "w.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize("header,rows,message", [
    ("date,MKT,AAA,EMPTY", ["2024-01-02,1,2,", "2024-01-03,1.1,2.1,"], "column(s) ['EMPTY'] hold no price in any row"),
    ("date,AAA,AAA", ["2024-01-02,1,2", "2024-01-03,1.1,2.1"],
     "column 'AAA' appears twice in the header (columns 2 and 3)"),
    (",date,AAA", ["0,2024-01-02,1", "1,2024-01-03,1.1"], "column 1 of the header has no name (a pandas index"),
    ("date,AAA", ["2024-01-02,1,", "2024-01-03,1.1,"], "the header has 2 column(s) but the rows have more fields"),
    ("date,ticker,close", ["2024-01-02,101.5,99.1", "2024-01-03,101.7,99.0"], "its 'ticker' column holds numbers"),
])
def test_a_price_file_never_drops_or_renames_a_column_silently(capsys, tmp_path, header, rows, message):
    """Failure 7: a column of empty cells vanished from every output, a repeated header became
    'AAA.1', a pandas index was studied as 'Unnamed: 0', and a wide file with columns named
    ticker,close was read as long (its error listing prices as tickers)."""
    prices = wide(tmp_path, header, rows)
    events = write_events(tmp_path / "e.csv", [("e1", "2024-01-03")])
    code, _, err = run(capsys, "run", "--prices", prices, "--events", events, "--market", "MKT",
                       "--no-figures", "--out", tmp_path / "out")
    assert code == 2 and message in err and str(prices) in err and "Traceback" not in err, err


def test_a_weekend_row_under_an_exchange_calendar_is_an_error(capsys, tmp_path):
    """Failure 7: a Saturday price row was used as a session under --calendar AAA:XNYS."""
    from eventstudy import exchange_sessions

    sessions = exchange_sessions("XNYS").in_range(pd.Timestamp("2023-01-03"), pd.Timestamp("2024-08-30"))
    prices = tmp_path / "p.csv"
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"date": sessions.strftime("%Y-%m-%d"),
                          "MKT": 100 * np.cumprod(1 + rng.normal(0, 0.01, len(sessions))),
                          "AAA": 100 * np.cumprod(1 + rng.normal(0, 0.01, len(sessions)))})
    saturday = pd.DataFrame({"date": ["2023-06-03"], "MKT": [frame["MKT"].iloc[100]], "AAA": [frame["AAA"].iloc[100]]})
    pd.concat([frame, saturday]).sort_values("date").to_csv(prices, index=False)
    events = write_events(tmp_path / "e.csv", [("e1", f"{sessions[300]:%Y-%m-%d}")])
    code, _, err = run(capsys, "run", "--prices", prices, "--events", events, "--market", "MKT",
                       "--calendar", "AAA:XNYS,MKT:XNYS", "--no-figures", "--out", tmp_path / "out")
    assert code == 2 and "price row(s) on days its calendar XNYS does not trade (2023-06-03)" in err, err


@pytest.mark.parametrize("content,message", [
    ("", "the file is empty; its first line must be the header"),
    ("event_id,date\n", "is there but no event follows"),
    ("event_id,date\ne1,0001-03-01\n", "the year 1 is outside 1678-2261"),
    ("event_id,date\ne1,1066-10-14\n", "the year 1066 is outside 1678-2261"),
    ("event_id,date\ne1,2999-03-01\n", "the year 2999 is outside 1678-2261"),
    ("event_id,timestamp\ne1,9999-03-01T10:00:00-05:00\n", "the year 9999 is outside 1678-2261"),
    ("event_id,date,assets\ne1,2024-01-03,AAA;AAA\n", "lists 'AAA' more than once"),
])
@pytest.mark.parametrize("command", ["run", "align"])
def test_a_bad_event_file_is_an_error_not_a_traceback(capsys, tmp_path, content, message, command):
    """Failure 8: an empty events file, a header-only one, years 0001/1066/2999/9999 (in run and in
    align) and an assets cell 'AAA;AAA' ended in tracebacks."""
    (tmp_path / "e.csv").write_text(content)
    argv = (["run", "--prices", write_prices(tmp_path / "p.csv"), "--market", "MKT", "--no-figures",
             "--out", tmp_path / "out"] if command == "run" else ["align", "--assets", "SPY"])
    code, _, err = run(capsys, *argv, "--events", tmp_path / "e.csv")
    assert code == 2 and message in err and "Traceback" not in err, err


@pytest.mark.parametrize("options,message", [
    (["--window", "0:100000"], "offsets beyond +-10,000 sessions"),
    (["--estimation", "-99999:-11"], "offsets beyond +-10,000 sessions"),
    (["--window", "-1:1", "--window", "-1,1"], "window -1:1 is given more than once"),
    (["--seed", "-1"], "seed=-1: pass a non-negative whole number"),
])
def test_bad_options_are_errors_not_tracebacks(capsys, tmp_path, options, message):
    """Failure 8: --window 0:100000 asked for 112 GiB (MemoryError) and a repeated --window was
    silently merged; each is now an error naming the option."""
    code, _, err = run(capsys, *small_study(tmp_path), *options, "--out", tmp_path / "out")
    assert code == 2 and message in err and "Traceback" not in err, err


def test_an_unreachable_scheduler_is_an_error_soon(capsys, tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    import eventstudy.cli

    monkeypatch.setattr(eventstudy.cli, "SCHEDULER_TIMEOUT_S", 1)
    code, _, err = run(capsys, *small_study(tmp_path), "--backend", "dask", "--scheduler", "tcp://127.0.0.1:9",
                       "--out", tmp_path / "out")
    assert code == 2 and "no Dask scheduler answered within 1 s" in err and "Traceback" not in err, err
    assert not (tmp_path / "out").exists()


def test_a_timestamp_and_a_date_that_disagree_are_an_error(capsys, tmp_path):
    """Failure 9: a timestamp silently overrode a conflicting date in the same row."""
    (tmp_path / "e.csv").write_text("event_id,timestamp,date\nok,2024-03-01T21:00:00-05:00,2024-03-01\n"
                                    "bad,2024-03-01T21:00:00-05:00,2024-03-02\n")
    code, _, err = run(capsys, "align", "--assets", "SPY", "--events", tmp_path / "e.csv")
    assert code == 2 and "line 3, column date: '2024-03-02' is not the date of the timestamp" in err, err


def test_collinear_factors_exclude_the_member_with_the_reason(capsys, tmp_path):
    """Failure 9: collinear factors stopped the whole fit, naming 'member(s) [0]'; now the member is
    excluded with a reason that names the factors, and the others are fitted."""
    rng = np.random.default_rng(2)
    f1 = 100 * np.cumprod(1 + rng.normal(0, 0.01, 400))
    prices = write_prices(tmp_path / "p.csv", F1=f1, F2=f1 * 2.0, BBB=100 * np.cumprod(1 + rng.normal(0, 0.01, 400)))
    events = write_events(tmp_path / "e.csv", [("e1", f"{DATES[300]:%Y-%m-%d}")])
    code, _, err = run(capsys, "run", "--prices", prices, "--events", events, "--model", "factor", "--factors",
                       "F1,F2", "--assets", "AAA,BBB", "--window", "0:0", "--out", tmp_path / "out", "--no-figures")
    assert code != 0 and "Traceback" not in err
    assert "no (event, asset) pair could be estimated: 2 x model not identified: its regressors (F1, F2" in err, err


def test_an_undefined_statistic_says_why(capsys, tmp_path):
    """Failure 10: with one member, or members whose CARs are identical, the cross-sectional tests
    were NaN without a reason; the note now gives it."""
    rng = np.random.default_rng(4)
    twin = 100 * np.cumprod(1 + rng.normal(0, 0.01, 400))
    prices = write_prices(tmp_path / "p.csv", T1=twin, T2=twin.copy())
    events = write_events(tmp_path / "e.csv", [("e1", f"{DATES[300]:%Y-%m-%d}")])
    code, _, err = run(capsys, "run", "--prices", prices, "--events", events, "--market", "MKT", "--window", "0:0",
                       "--assets", "T1,T2", "--placebo", "0", "--n-boot", "50", "--no-figures",
                       "--out", tmp_path / "twins")
    assert code == 0, err
    tests = pd.read_csv(tmp_path / "twins" / "tests.csv")
    row = tests[(tests["group"] == "all") & (tests["test"] == "t_cs") & tests["tau"].isna()].iloc[0]
    assert np.isnan(row["statistic"]) and row["note"].endswith(
        "undefined: the members' (standardized) abnormal returns are identical, so their cross-sectional SD is 0")
    code, _, err = run(capsys, "run", "--prices", prices, "--events", events, "--market", "MKT", "--window", "0:0",
                       "--assets", "AAA", "--placebo", "0", "--n-boot", "50", "--no-figures", "--out", tmp_path / "one")
    assert code == 0, err
    tests = pd.read_csv(tmp_path / "one" / "tests.csv")
    undefined = tests[tests["statistic"].isna()]
    assert set(undefined["test"]) == {"t_cs", "bmp", "kp_bmp", "grank"}
    assert undefined["note"].str.contains("undefined: ").all()
    assert undefined.loc[undefined["test"] == "bmp", "note"].str.endswith(
        "a cross-sectional SD needs at least 2 members (n=1)").all()


def test_timestamps_parsed_in_bulk_match_their_offsets_by_hand():
    """Failure 11: validation is vectorised (100,000 events took 47 s); each instant, offset and
    local date is checked against values worked by hand, including offsets written without a colon,
    'Z', fractional seconds and a space for the 'T'."""
    from eventstudy import load_events

    frame = pd.DataFrame({"event_id": list("abcde"), "timestamp": [
        "2025-05-06T20:00:00-04:00", "2025-05-06T08:15:30.5+0530", "2025-05-06T23:59:59Z",
        "2025-05-06 20:00-04:00", "2025-11-02T01:30:00-05:00"]})
    ev = load_events(frame=frame)
    assert list(ev["event_time_utc"]) == [pd.Timestamp(t, tz="UTC") for t in (
        "2025-05-07 00:00:00", "2025-05-06 02:45:30.5", "2025-05-06 23:59:59", "2025-05-07 00:00:00",
        "2025-11-02 06:30:00")]
    assert list(ev["utc_offset"]) == ["-04:00", "+05:30", "+00:00", "-04:00", "-05:00"]
    assert list(ev["event_date"]) == [pd.Timestamp("2025-05-06")] * 4 + [pd.Timestamp("2025-11-02")]


def test_the_test_battery_reports_progress(tmp_path):
    """Failure 11: the per-event battery of a large catalog ran for minutes without a word; the
    fit reports its groups' batteries (every 5 s; here every group)."""
    import eventstudy.pipeline.infer as infer
    from eventstudy import CSVSource, EventStudy, load_events

    prices = write_prices(tmp_path / "p.csv")
    events = write_events(tmp_path / "e.csv", [(f"e{i}", f"{DATES[250 + 10 * i]:%Y-%m-%d}") for i in range(5)])
    calls = []
    saved = infer.BATTERY_PROGRESS_S
    infer.BATTERY_PROGRESS_S = 0.0
    try:
        EventStudy(load_events(events), CSVSource(prices), market="MKT", model="market", n_boot=20).fit(
            progress=lambda done, total, message: calls.append((done, total, message)))
    finally:
        infer.BATTERY_PROGRESS_S = saved
    assert [c[:2] for c in calls] == [(k, 7) for k in range(1, 8)]  # 'all', the five events and the one asset
    assert calls[-1][2].startswith("test battery group 7/7: ")


def test_group_values_that_share_a_file_name_each_keep_their_battery_table(capsys, tmp_path):
    """'energy', '=energy' and 'Energy' all become 'energy' in a file name (and collide on a
    case-insensitive disk): each group's battery table is still written, none overwritten."""
    prices = write_prices(tmp_path / "p.csv", BBB=100 * np.cumprod(1 + np.random.default_rng(3).normal(0, 0.01, 400)))
    values = ["energy", "=energy", "Energy"]
    rows = [(f"e{i}", f"{DATES[150 + 20 * i]:%Y-%m-%d}", values[i % 3]) for i in range(9)]
    pd.DataFrame(rows, columns=["event_id", "date", "sector"]).to_csv(tmp_path / "e.csv", index=False)
    out = tmp_path / "o"
    code, _, err = run(capsys, "run", "--prices", prices, "--events", tmp_path / "e.csv", "--market", "MKT",
                       "--group", "sector", "--estimation", "-120:-11", "--n-boot", "50", "--placebo", "0",
                       "--no-figures", "--out", out)
    assert code == 0, err
    names = sorted((p.stem for p in (out / "tables").glob("battery_*.csv")), key=str.lower)
    assert names == ["battery_all", "battery_energy", "battery_energy_2", "battery_Energy_3"]
    titles = {(out / "tables" / f"{n}.md").read_text().split("group ")[1].split(", window")[0] for n in names}
    assert titles == {"all", "energy", "=energy", "Energy"}  # each group's own table, none overwritten
