"""The input layouts a researcher has (issue 14, part 4), each pinned to a hand-written file.

Every file below is typed by hand in the layout it names (where the layout comes from is said at
each), and every expectation is worked out by hand or built independently of the reader (numpy on
the numbers of the file), never taken from the package's own output:

* single-ticker download: Yahoo Finance's "Download" button / ``yf.download(...).to_csv()`` of one
  ticker writes ``Date,Open,High,Low,Close,Adj Close,Volume``; Stooq writes the same without
  ``Adj Close`` and in lower case;
* Fama-French: Ken French's daily factor file has ``Mkt-RF,SMB,HML,RF`` in percent, dates
  ``YYYYMMDD`` (here with its date column named ``date``);
* wide and long returns: what a CRSP or Datastream export reduced to a date column and one column
  per security (or ``date,ticker,return`` rows) looks like.
"""

import json

import numpy as np
import pandas as pd
import pytest

from eventstudy import CSVSource, EventStudy, FactorModel, PriceSourceError, compute_returns, load_events
from eventstudy.cli import main
from eventstudy.prices.combined import CombinedSource

YAHOO = """Date,Open,High,Low,Close,Adj Close,Volume
2025-05-05,562.17,566.20,560.45,563.51,555.70,45242000
2025-05-06,557.64,562.00,556.04,558.80,551.05,48264700
2025-05-07,560.28,563.30,556.53,561.15,553.37,55588000
"""

STOOQ = """date,open,high,low,close,volume
2025-05-05,562.17,566.20,560.45,563.51,45242000
2025-05-06,557.64,562.00,556.04,558.80,48264700
"""

D = pd.Timestamp


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def frame(rows):
    return pd.DataFrame(rows, columns=["ticker", "date", "close", "adj_close"]).astype(
        {"ticker": str, "date": "datetime64[ns]", "close": float, "adj_close": float})


# -- single-ticker download ------------------------------------------------------------------------

def test_yahoo_download_needs_its_ticker_and_reads_close_as_level_adj_close_as_basis(tmp_path):
    p = write(tmp_path, "spy.csv", YAHOO)
    got = CSVSource(p, ticker="SPY").daily()
    want = frame([("SPY", D("2025-05-05"), 563.51, 555.70), ("SPY", D("2025-05-06"), 558.80, 551.05),
                  ("SPY", D("2025-05-07"), 561.15, 553.37)])
    want["volume"] = [45242000.0, 48264700.0, 55588000.0]  # the file's Volume column, typed above
    pd.testing.assert_frame_equal(got, want)
    with pytest.raises(PriceSourceError, match=r"spy\.csv: the header \['Date', 'Open', 'High', 'Low', 'Close', "
                                               r"'Adj Close', 'Volume'\] is a single-ticker download .* "
                                               r"ticker='SPY'.* --ticker SPY"):
        CSVSource(p)


def test_stooq_download_without_adj_close_takes_close_for_both(tmp_path):
    got = CSVSource(write(tmp_path, "q.csv", STOOQ), ticker="QQQ").daily()
    want = frame([("QQQ", D("2025-05-05"), 563.51, 563.51), ("QQQ", D("2025-05-06"), 558.80, 558.80)])
    want["volume"] = [45242000.0, 48264700.0]  # the file's volume column
    pd.testing.assert_frame_equal(got, want)


def test_close_and_volume_alone_are_never_read_as_tickers(tmp_path):
    p = write(tmp_path, "x.csv", "Date,Close,Volume\n2025-05-05,1,2\n")
    with pytest.raises(PriceSourceError, match="single-ticker download"):
        CSVSource(p)
    q = write(tmp_path, "y.csv", "date,SPY,Volume\n2025-05-05,1,2\n")
    with pytest.raises(PriceSourceError, match=r"column\(s\) \['Volume'\] name a price or return field, not a "
                                               r"ticker.*Accepted layouts: wide prices"):
        CSVSource(q)


def test_ticker_for_a_file_that_names_its_tickers_is_an_error(tmp_path):
    p = write(tmp_path, "w.csv", "date,SPY\n2025-05-05,1\n")
    with pytest.raises(PriceSourceError, match=r"ticker='QQQ' \(--ticker\) names the instrument .* leave ticker out"
                                               r".*the header has \['date', 'SPY'\]"):
        CSVSource(p, ticker="QQQ")


def test_a_close_only_file_names_its_own_column_not_adj_close(tmp_path):
    """The bug of the issue: a long file with only close said 'adj_close' when a value was bad."""
    p = write(tmp_path, "l.csv", "date,ticker,close\n2025-05-05,SPY,563.51\n2025-05-06,SPY,-1\n")
    with pytest.raises(PriceSourceError, match=r"l\.csv, line 3, column close: SPY on 2025-05-06 has close '-1', "
                                               r"a non-positive price") as exc:
        CSVSource(p)
    assert "adj_close" not in str(exc.value)
    q = write(tmp_path, "m.csv", "date,ticker,close\n2025-05-05,SPY,563.51\n2025-05-06,SPY,\n")
    with pytest.raises(PriceSourceError, match=r"line 3, column close: SPY on 2025-05-06 has close '', an empty"):
        CSVSource(q)


def test_a_header_that_fits_no_layout_shows_the_columns_and_the_layouts(tmp_path):
    p = write(tmp_path, "l.csv", "date,ticker,volume\n2025-05-05,SPY,1\n")
    with pytest.raises(PriceSourceError) as exc:
        CSVSource(p)
    text = str(exc.value)
    assert "l.csv: a long price file needs a 'close' (or 'adj_close') column" in text
    assert "the header has ['date', 'ticker', 'volume']" in text
    for layout in ("wide prices: date,TICKER,", "long prices: date,ticker,close", "single-ticker download: Date,",
                   "wide returns:", "long returns: date,ticker,return"):
        assert layout in text
    with pytest.raises(PriceSourceError, match=r"no 'date' column; the header has \['Day', 'SPY'\]"):
        CSVSource(write(tmp_path, "n.csv", "Day,SPY\n2025-05-05,1\n"))


# -- returns ----------------------------------------------------------------------------------------

def test_wide_returns_become_an_index_from_one_on_the_session_before_the_first_return(tmp_path):
    # 2025-01-02 is a Thursday after New Year's Day: SPY (registered, XNYS) starts from the previous
    # NYSE session 2024-12-31; AAA (unknown) from the previous weekday 2025-01-01. BBB starts a day
    # later (its first cell is empty): from 2025-01-02, the weekday before its first return.
    p = write(tmp_path, "r.csv", "date,SPY,AAA,BBB\n2025-01-02,0.10,0.02,\n2025-01-03,-0.10,0.05,0.5\n")
    got = CSVSource(p, kind="returns").daily()
    nan = np.nan
    want = frame([("AAA", D("2025-01-01"), nan, 1.0), ("AAA", D("2025-01-02"), nan, 1.02),
                  ("AAA", D("2025-01-03"), nan, 1.071),
                  ("BBB", D("2025-01-02"), nan, 1.0), ("BBB", D("2025-01-03"), nan, 1.5),
                  ("SPY", D("2024-12-31"), nan, 1.0), ("SPY", D("2025-01-02"), nan, 1.1),
                  ("SPY", D("2025-01-03"), nan, 0.99)])
    pd.testing.assert_frame_equal(got, want, rtol=1e-15)
    src = CSVSource(p, kind="returns", calendars={"AAA": "XNYS"})  # a calendar named for AAA: its session
    assert src.daily(["AAA"])["date"].iloc[0] == D("2024-12-31")
    assert src.levels_unknown == {"SPY", "AAA", "BBB"} and src.layout == "wide returns"


def test_round_trip_hand_made_prices_to_returns_and_back(tmp_path):
    """Prices 100, 110, 99, 108.9 have simple returns +10 %, -10 %, +10 % (log: ln 1.1, ln 0.9,
    ln 1.1). Their returns file, in percent and long, gives back exactly those returns, the first
    one included, whichever kind the study computes."""
    p = write(tmp_path, "r.csv", "date,ticker,ret\n2025-05-06,XYZ,10\n2025-05-07,XYZ,-10\n2025-05-08,XYZ,10\n")
    src = CSVSource(p, kind="returns", units="percent")
    assert src.layout == "long returns"
    simple = compute_returns(src.daily(), "simple")
    assert list(simple["date"]) == [D("2025-05-06"), D("2025-05-07"), D("2025-05-08")]  # the first is kept
    np.testing.assert_allclose(simple["ret"], [0.1, -0.1, 0.1], rtol=1e-13)
    np.testing.assert_allclose(compute_returns(src.daily(), "log")["ret"], np.log([1.1, 0.9, 1.1]), rtol=1e-13)
    assert (simple["sessions_spanned"] == 1).all()


def test_log_returns_file_is_compounded_as_log(tmp_path):
    p = write(tmp_path, "r.csv", "date,XYZ\n2025-05-06,0.05\n2025-05-07,-0.025\n")
    src = CSVSource(p, kind="returns", return_kind="log")
    np.testing.assert_allclose(src.daily()["adj_close"], [1.0, np.exp(0.05), np.exp(0.025)], rtol=1e-15)
    np.testing.assert_allclose(compute_returns(src.daily(), "log")["ret"], [0.05, -0.025], rtol=1e-13)
    np.testing.assert_allclose(compute_returns(src.daily(), "simple")["ret"], np.expm1([0.05, -0.025]), rtol=1e-13)


def test_returns_errors_name_the_fix(tmp_path):
    pct = write(tmp_path, "ff.csv", "date,Mkt-RF\n20250505,1.2\n20250506,-0.8\n20250507,0.6\n")
    with pytest.raises(PriceSourceError, match=r"ff\.csv: the median absolute return is 0\.8.*declare it: "
                                               r"units='percent'"):
        CSVSource(pct, kind="returns")
    big = write(tmp_path, "b.csv", "date,XYZ\n2025-05-05,0.01\n2025-05-06,-1.0\n2025-05-07,0.01\n")
    with pytest.raises(PriceSourceError, match=r"XYZ on 2025-05-06 has a simple return of -100 %.*units='percent'"):
        CSVSource(big, kind="returns")
    assert len(CSVSource(big, kind="returns", return_kind="log").daily()) == 4  # a log return of -1 is fine
    with pytest.raises(PriceSourceError, match=r"line 3, column return: XYZ on 2025-05-06 has return 'x', not a"):
        CSVSource(write(tmp_path, "l.csv", "date,ticker,return\n2025-05-05,XYZ,0.01\n2025-05-06,XYZ,x\n"),
                  kind="returns")
    with pytest.raises(PriceSourceError, match=r"a long returns file needs a 'return' \(or 'ret'\) column.*"
                                               r"the header has \['date', 'ticker', 'close'\]"):
        CSVSource(write(tmp_path, "c.csv", "date,ticker,close\n2025-05-05,XYZ,1\n"), kind="returns")
    with pytest.raises(PriceSourceError, match="single-ticker price download .* not a returns file"):
        CSVSource(write(tmp_path, "y.csv", YAHOO), kind="returns")
    with pytest.raises(PriceSourceError, match=r"units= and return_kind= describe a returns file; pass kind='returns'"):
        CSVSource(pct, units="percent")
    with pytest.raises(PriceSourceError, match=r"argument units='pct'; pass 'decimal'"):
        CSVSource(pct, kind="returns", units="pct")


def test_fama_french_date_forms(tmp_path):
    p = write(tmp_path, "ff.csv", "date,Mkt-RF,SMB,HML,RF\n20250505,1.00,0.50,-0.20,0.017\n")
    got = CSVSource(p, kind="returns", units="percent").daily(["Mkt-RF"])
    assert list(got["date"]) == [D("2025-05-02"), D("2025-05-05")]
    np.testing.assert_allclose(got["adj_close"], [1.0, 1.01], rtol=1e-15)
    with pytest.raises(PriceSourceError, match=r"line 2, column date: '2025/05/05' is not a YYYY-MM-DD \(or "):
        CSVSource(write(tmp_path, "g.csv", "date,Mkt-RF\n2025/05/05,1\n"), kind="returns", units="percent")
    with pytest.raises(PriceSourceError, match="a Fama-French file leaves its date column unnamed: name it date"):
        CSVSource(write(tmp_path, "h.csv", ",Mkt-RF\n20250505,1\n"), kind="returns", units="percent")


# -- factor returns in a factor model -----------------------------------------------------------

def ff_study_files(tmp_path, n=80):
    """A Fama-French style file (percent, YYYYMMDD) and an asset priced so that its simple return is
    exactly 0.0002 + 1.0 Mkt-RF + 0.5 SMB + 0 HML plus a small known disturbance."""
    rng = np.random.default_rng(7)
    days = pd.bdate_range("2024-03-01", periods=n + 1)
    f = np.round(rng.normal(0, 1, size=(n, 4)) * [1.0, 0.5, 0.4, 0.0] + [0, 0, 0, 0.02], 2)  # percent, 2 dp
    ff = pd.DataFrame(f, columns=["Mkt-RF", "SMB", "HML", "RF"])
    ff.insert(0, "date", days[1:].strftime("%Y%m%d"))
    noise = 1e-5 * np.sin(np.arange(n))
    r = 0.0002 + 1.0 * f[:, 0] / 100 + 0.5 * f[:, 1] / 100 + noise
    prices = pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "AAA": 100 * np.cumprod(np.r_[1.0, 1 + r])})
    (tmp_path / "ff.csv").write_text(ff.to_csv(index=False, float_format="%.2f"))
    (tmp_path / "aaa.csv").write_text(prices.to_csv(index=False, float_format="%.12f"))
    (tmp_path / "events.csv").write_text(f"event_id,date\ne1,{days[-5]:%Y-%m-%d}\n")
    x = np.column_stack([np.ones(n), f[:, :3] / 100])
    i0 = n - 5  # day 0 = days[n - 4] is return row n - 5; the estimation rows run up to tau -11
    expected = np.linalg.lstsq(x[:i0 - 10], r[:i0 - 10], rcond=None)[0]
    return days, f, r, expected


def test_fama_french_factors_in_a_factor_model_give_the_known_betas(tmp_path):
    days, f, r, expected = ff_study_files(tmp_path)
    src = CombinedSource([CSVSource(tmp_path / "aaa.csv"),
                          CSVSource(tmp_path / "ff.csv", kind="returns", units="percent")])
    res = EventStudy(load_events(tmp_path / "events.csv"), src, assets=["AAA"],
                     model=FactorModel(("Mkt-RF", "SMB", "HML")), estimation=(-200, -11), windows=[(0, 0)],
                     min_estimation=40).fit()
    p = res.params.iloc[0]
    assert p["n_est"] == len(r) - 15  # every return up to tau -11, the first one included
    got = [p["alpha"], p["beta[Mkt-RF]"], p["beta[SMB]"], p["beta[HML]"]]
    np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-12)  # numpy's OLS on the file's numbers
    np.testing.assert_allclose(got, [0.0002, 1.0, 0.5, 0.0], atol=2e-3)  # the construction, up to the disturbance
    with pytest.raises(PriceSourceError, match=r"ticker 'AAA' is in two inputs, .*aaa\.csv and .*aaa\.csv"):
        CombinedSource([CSVSource(tmp_path / "aaa.csv"), CSVSource(tmp_path / "aaa.csv")])


def run_cli(tmp_path, *args):
    out = tmp_path / ("out" + str(len(list(tmp_path.glob("out*")))))
    code = main(["run", *args, "--no-figures", "--no-pdf", "--placebo", "0", "--n-boot", "20", "--out", str(out)])
    assert code == 0
    return out


def test_cli_factor_returns_and_rf_is_not_an_asset(tmp_path):
    days, f, r, expected = ff_study_files(tmp_path)
    out = run_cli(tmp_path, "--prices", str(tmp_path / "aaa.csv"), "--events", str(tmp_path / "events.csv"),
                  "--factor-returns", str(tmp_path / "ff.csv"), "--factor-units", "percent",
                  "--factors", "Mkt-RF,SMB,HML", "--estimation", "-200:-11", "--window", "0:0",
                  "--min-estimation", "40")
    params = pd.read_csv(out / "params.csv")
    assert list(params["asset"]) == ["AAA"]  # RF and the factors are not studied
    np.testing.assert_allclose(params[["alpha", "beta[Mkt-RF]", "beta[SMB]", "beta[HML]"]].iloc[0], expected,
                               rtol=1e-8, atol=1e-12)
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["inputs"]) == {"prices", "factor_returns", "events"}
    assert "--factor-units percent" in manifest["command"]


# -- the same study from prices and from their returns -----------------------------------------

def test_cli_returns_file_gives_the_cars_of_the_prices_it_came_from(tmp_path):
    """Identical inputs, identical results: hand-made prices, their returns written to 17 digits."""
    days = pd.bdate_range("2024-01-01", periods=140)
    t = np.arange(140)
    mkt = 100 * np.cumprod(1 + 0.01 * np.sin(0.7 * t))
    aaa = 50 * np.cumprod(1 + 0.012 * np.sin(0.7 * t) + 0.004 * np.cos(1.3 * t))
    prices = pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "MKT": mkt, "AAA": aaa})
    (tmp_path / "p.csv").write_text(prices.to_csv(index=False, float_format="%.17g"))
    rets = pd.DataFrame({"date": days[1:].strftime("%Y-%m-%d"), "MKT": mkt[1:] / mkt[:-1] - 1,
                         "AAA": aaa[1:] / aaa[:-1] - 1})
    (tmp_path / "r.csv").write_text(rets.to_csv(index=False, float_format="%.17g"))
    (tmp_path / "e.csv").write_text(f"event_id,date\ne1,{days[100]:%Y-%m-%d}\ne2,{days[125]:%Y-%m-%d}\n")
    common = ["--events", str(tmp_path / "e.csv"), "--market", "MKT", "--estimation", "-80:-11",
              "--min-estimation", "50"]
    a = run_cli(tmp_path, "--prices", str(tmp_path / "p.csv"), *common)
    b = run_cli(tmp_path, "--returns-file", str(tmp_path / "r.csv"), *common)
    ca, cb = pd.read_csv(a / "car.csv"), pd.read_csv(b / "car.csv")
    pd.testing.assert_frame_equal(ca, cb, rtol=1e-9)
    assert len(ca) == 4 and (ca["status"] == "ok").all()
    manifest = json.loads((b / "manifest.json").read_text())
    assert set(manifest["inputs"]) == {"returns", "events"} and "--returns-file" in manifest["command"]


def test_cli_option_errors(tmp_path, capsys):
    p = write(tmp_path, "r.csv", "date,XYZ\n2025-05-06,0.01\n")
    assert main(["run", "--prices", str(p), "--returns-units", "percent", "--out", str(tmp_path / "o")]) == 2
    assert "--returns-units describes --returns-file; pass --returns-file FILE too" in capsys.readouterr().err
    assert main(["run", "--returns-file", str(p), "--factor-returns", str(p), "--out", str(tmp_path / "o")]) == 2
    assert "name the factors of the file, e.g. --factors Mkt-RF,SMB,HML" in capsys.readouterr().err
    y = write(tmp_path, "spy.csv", YAHOO)
    assert main(["run", "--prices", str(y), "--out", str(tmp_path / "o")]) == 2
    assert "CLI --prices FILE --ticker SPY" in capsys.readouterr().err


# -- claims on a returns file -------------------------------------------------------------------

def test_claims_on_a_returns_file_check_percent_moves_and_refuse_levels(tmp_path):
    from eventstudy.claims import check_claims

    p = write(tmp_path, "r.csv", "date,SPY\n2025-05-06,0.10\n2025-05-07,-0.10\n")
    claims = write(tmp_path, "c.csv", "claim_id,instrument,basis,start,end,reported_pct,reported_level,"
                                      "reported_points\n"
                                      "pct,SPY,close-to-close,2025-05-06,2025-05-07,-10,,\n"
                                      "lvl,SPY,price-level,,2025-05-07,,99,\n"
                                      "pts,SPY,close-to-close,2025-05-06,2025-05-07,,,-11\n")
    res = check_claims(claims, CSVSource(p, kind="returns")).set_index("claim_id")
    assert res.loc["pct", "verdict"] == "reproduced" and "return index" in res.loc["pct", "detail"]
    for cid, what in (("lvl", "a price level"), ("pts", "a move in points")):
        assert res.loc[cid, "verdict"] == "needs-data"
        assert "SPY comes from a returns file: its price levels are unknown" in res.loc[cid, "detail"]
        assert what in res.loc[cid, "detail"]


def test_the_readme_layouts_read_as_they_say(tmp_path):
    """The six side-by-side files of the README's 'Input layouts' block, each read in its layout."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = readme.split("### Input layouts")[1].split("```text\n")[1].split("```")[0]
    files: dict[str, list[str]] = {}
    for chunk in block.strip().split("\n\n"):
        lines = [re.split(r"\s{2,}", ln.strip()) for ln in chunk.splitlines()]  # columns 2+ spaces apart
        for k, title in enumerate(lines[0]):
            files[title] = [row[k] for row in lines[1:]]
    kw = {"wide prices": {}, "long prices": {}, "single-ticker download (Yahoo, Stooq)": {"ticker": "SPY"},
          "wide returns (decimal)": {"kind": "returns"}, "long returns": {"kind": "returns"},
          "Fama-French factors (percent, YYYYMMDD)": {"kind": "returns", "units": "percent"}}
    assert set(files) == set(kw)
    got = {}
    for k, (title, rows) in enumerate(files.items()):
        src = CSVSource(write(tmp_path, f"f{k}.csv", "\n".join(rows) + "\n"), **kw[title])
        got[title] = (src.layout, src.tickers)
    assert got["wide prices"] == ("wide prices", ["SPY", "^N225"])
    assert got["single-ticker download (Yahoo, Stooq)"] == ("single-ticker download", ["SPY"])
    assert got["long returns"] == ("long returns", ["AAA"])
    assert got["Fama-French factors (percent, YYYYMMDD)"] == ("wide returns", ["HML", "Mkt-RF", "RF", "SMB"])


# -- Excel ---------------------------------------------------------------------------------------

def test_xlsx_first_sheet_or_named_sheet(tmp_path):
    """A workbook as Excel users keep one: date cells (not text) on a prices sheet, returns on another."""
    openpyxl = pytest.importorskip("openpyxl")
    import datetime as dt

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "prices"
    for row in (["date", "SPY", "^N225"], [dt.datetime(2025, 5, 6), 558.80, None],
                [dt.datetime(2025, 5, 7), 561.15, 36779.66]):
        ws.append(row)
    rs = wb.create_sheet("returns")
    for row in (["date", "ticker", "return"], ["2025-05-06", "AAA", 1.2], ["2025-05-07", "AAA", -0.5]):
        rs.append(row)
    path = tmp_path / "book.xlsx"
    wb.save(path)
    got = CSVSource(path).daily()
    want = frame([("SPY", D("2025-05-06"), 558.80, 558.80), ("SPY", D("2025-05-07"), 561.15, 561.15),
                  ("^N225", D("2025-05-07"), 36779.66, 36779.66)])
    pd.testing.assert_frame_equal(got, want)
    idx = CSVSource(path, sheet="returns", kind="returns", units="percent").daily()
    assert list(idx["date"]) == [D("2025-05-05"), D("2025-05-06"), D("2025-05-07")]
    np.testing.assert_allclose(idx["adj_close"], [1.0, 1.012, 1.012 * 0.995], rtol=1e-15)
    with pytest.raises(PriceSourceError, match=r"book\.xlsx: not a readable \.xlsx file or sheet"):
        CSVSource(path, sheet="nope")
    with pytest.raises(PriceSourceError, match=r"sheet='prices' is for an \.xlsx file"):
        CSVSource(write(tmp_path, "p.csv", "date,SPY\n2025-05-06,1\n"), sheet="prices")


def test_xlsx_without_openpyxl_names_the_extra(tmp_path, monkeypatch):
    import sys

    from eventstudy import MissingDependencyError

    path = tmp_path / "book.xlsx"
    path.write_bytes(b"PK")  # never opened: the dependency is checked first
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # as if not installed
    with pytest.raises(MissingDependencyError, match=r"eventstudy\[excel\]"):
        CSVSource(path)
