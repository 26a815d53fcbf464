"""Proxy checks and year-to-date bases of the claims checker (issue 15).

Every expected number is worked out here BY HAND from prices read in the raw files:
SPXL/XLK 1-minute rows of ../shared/data/raw/Wat-Street__money-making/*_1min_excerpt_2025-05-06.csv
(naive UTC bar starts), the YM=F close of 2025-05-06 (40918, eventstudy/data/daily/YM%3DF.csv) and
the ^DJI closes of eventstudy/data/daily/%5EDJI.csv (2025-12-31 48063.28906, 2026-01-02 48382.39062,
2026-02-09 50135.87109). Never from the code under test.
"""

import math
from pathlib import Path

import pandas as pd
import pytest

from eventstudy.claims import (
    RESULT_COLUMNS,
    VERDICTS,
    ClaimError,
    ProxyError,
    check_claims,
    load_claims,
    load_proxies,
)
from eventstudy.claims.check import COLUMNS

ROOT = Path(__file__).resolve().parents[1]
HEADER = ("claim_id,source,quote,instrument,basis,start,end,reported_pct,reported_level,reported_points,"
          "tolerance_pct,proxy,notes\n")
# raw rows (UTC bar starts): SPXL 19:59 close 130.79 (= 15:59-16:00 EDT, the regular close), 22:59 close 134.05
# (ends 23:00 UTC = 19:00 EDT), 23:00 close 133.98 (ends 23:01), 22:00 close 132.00, 22:01 close 133.90;
# XLK 19:59 close 213.56, 22:59 close 215.75 (next row 23:05)
SPXL_CLOSE, SPXL_19ET, SPXL_2300_BAR = 130.79, 134.05, 133.98
XLK_CLOSE, XLK_19ET = 213.56, 215.75
YM_CLOSE_0506 = 40918.0
DJI_LAST_2025, DJI_FIRST_2026, DJI_0209 = 48063.28906, 48382.39062, 50135.87109


def pct(a, b):
    return 100 * (b / a - 1)


@pytest.fixture(scope="module")
def checked():
    return check_claims(ROOT / "claims.csv").set_index("claim_id")


def write(tmp_path, body, name="c.csv"):
    f = tmp_path / name
    f.write_text(HEADER + body)
    return f


# ------------------------------------------------------------------------------------------ the table
def test_bundled_proxies_table():
    p = load_proxies().set_index(["instrument", "proxy"])
    assert list(p.index) == [("ES=F", "SPXL"), ("NQ=F", "XLK"), ("YM=F", "SPXL")]
    assert p["scale"].tolist() == [3.0, 1.0, 3.0]
    assert p["band_pct"].tolist() == [0.10, 0.50, 0.30]
    assert "daily-reset leveraged" in p.loc[("ES=F", "SPXL"), "caveats"]
    assert "loosely tracks" in p.loc[("NQ=F", "XLK"), "caveats"]


def test_proxies_file_errors_name_file_line_column(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text("instrument,proxy,scale,tracks,band_pct,caveats\n"
                 "ES=F,SPXL,0,x,0.1,c\n"
                 "ES=F,FOO,3,x,-1,c\n"
                 "NQ=F,NQ=F,1,x,0.5,c\n"
                 "YM=F,SPXL,3,x,0.3,c\n"
                 "YM=F,SPXL,3,x,0.3,c\n")
    with pytest.raises(ProxyError) as err:
        load_proxies(f)
    msg = str(err.value)
    assert "5 problem(s)" in msg
    assert f"{f}, line 2, column scale: '0' is not a nonzero number" in msg
    assert f"{f}, line 3, column proxy: 'FOO' is not a registered ticker" in msg
    assert f"{f}, line 3, column band_pct: '-1' is not a number of percentage points, 0 or more" in msg
    assert f"{f}, line 4, column proxy: 'NQ=F' is the instrument itself" in msg
    assert f"{f}, line 6, column proxy: YM=F via SPXL repeats line 5" in msg
    f.write_text("instrument,proxy,scale\n")
    with pytest.raises(ProxyError, match=r"line 1: missing column\(s\) tracks, band_pct, caveats"):
        load_proxies(f)
    with pytest.raises(ProxyError, match="no such file"):
        load_proxies(tmp_path / "none.csv")


# ------------------------------------------------------------------------------------------ claims file
def test_proxy_column_and_verdicts():
    assert COLUMNS.index("proxy") == COLUMNS.index("tolerance_pct") + 1 == COLUMNS.index("notes") - 1
    assert RESULT_COLUMNS[-4:] == ["base", "flag", "proxy", "proxy_pct"]
    assert {"consistent-by-proxy", "differs-by-proxy", "unplaced"} <= set(VERDICTS)
    c = load_claims(ROOT / "claims.csv").set_index("claim_id")
    assert c.loc[["s001-es-ah", "s001-nq-ah", "s001-ym-ah"], "proxy"].tolist() == ["SPXL", "XLK", "SPXL"]
    assert (c.drop(index=["s001-es-ah", "s001-nq-ah", "s001-ym-ah"])["proxy"] == "").all()


def test_proxy_validation(tmp_path):
    f = write(tmp_path, "a,,,ES=F,after-hours-futures,2025-05-06,2025-05-06T19:00:00-04:00,0.8,,,,FOO,\n"
                        "b,,,ES=F,after-hours-futures,2025-05-06,2025-05-06T19:00:00-04:00,0.8,,,,ES=F,\n"
                        "c,,,^DJI,year-to-date,,2026-02-09,3.62,,,,SPY,\n")
    e = load_claims(f).set_index("claim_id")["error"]
    assert f"{f}, line 2, column proxy: unknown proxy 'FOO'" in e["a"]
    assert f"{f}, line 3, column proxy: 'ES=F' is the instrument itself" in e["b"]
    assert f"{f}, line 4, column proxy: a year-to-date claim cannot be checked by proxy" in e["c"]
    with pytest.raises(ClaimError, match="3 problem row"):
        load_claims(f, strict=True)


# ------------------------------------------------------------------------------------------ the seed claims
def test_es_by_proxy_spxl(checked):
    r = checked.loc["s001-es-ah"]
    move = pct(SPXL_CLOSE, SPXL_19ET)                 # +2.4926 %
    assert round(move, 3) == 2.493 and round(move / 3, 3) == 0.831
    assert r["verdict"] == "consistent-by-proxy" and r["proxy"] == "SPXL"
    assert r["proxy_pct"] == pytest.approx(move / 3, abs=1e-9)
    assert abs(move / 3 - 0.8) <= 0.05 + 0.10         # reported +0.8 %, tolerance 0.05 + band 0.10
    # the brief's reading (the 23:00 UTC bar, 133.98: +0.813 %) would agree too; bars.py's close rule takes
    # the bar ENDING by 19:00 ET, the 22:59 UTC bar
    assert abs(pct(SPXL_CLOSE, SPXL_2300_BAR) / 3 - 0.8) <= 0.15
    d = r["detail"]
    assert "close of the 1m bar 2025-05-06 15:59–16:00 EDT 130.79" in d
    assert "close of the 1m bar 2025-05-06 18:59–19:00 EDT 134.05 = +2.49 %" in d
    assert "divided by the scale 3: +0.83 %" in d and "the proxy band 0.1 pp" in d and "caveats: " in d
    assert "ES=F itself could not be checked" in d and "eventstudy fetch ES=F --interval 1h" in d
    assert math.isnan(r["measured_pct"]) and math.isnan(r["diff_pct"])  # nothing measured on ES itself


def test_nq_by_proxy_xlk(checked):
    r = checked.loc["s001-nq-ah"]
    move = pct(XLK_CLOSE, XLK_19ET)                   # +1.0255 %
    assert round(move, 3) == 1.025
    assert r["verdict"] == "consistent-by-proxy" and r["proxy_pct"] == pytest.approx(move, abs=1e-9)
    assert "15:59–16:00 EDT 213.56" in r["detail"] and "18:59–19:00 EDT 215.75" in r["detail"]
    assert "loosely tracks" in r["detail"] and "NQ=F itself could not be checked" in r["detail"]


def test_dow_points_by_proxy_use_the_dow_futures_own_close(checked):
    r = checked.loc["s001-ym-ah"]
    est = pct(SPXL_CLOSE, SPXL_19ET) / 3              # +0.8308 %
    implied = 100 * 270 / YM_CLOSE_0506               # +0.6599 %
    assert abs(est - 0.7) <= 0.05 + 0.30 and abs(est - implied) <= 100 * 5 / YM_CLOSE_0506 + 0.30
    assert r["verdict"] == "consistent-by-proxy" and r["proxy_pct"] == pytest.approx(est, abs=1e-9)
    d = r["detail"]
    assert "reported +270 points = +0.66 % of YM=F's own close 2025-05-06 40,918.00" in d
    assert f"the proxy estimate is {est * YM_CLOSE_0506 / 100:+,.0f} points" in d   # +340 points
    assert "an S&P 500 ETF for the Dow" in d


def test_without_a_proxies_row_the_claim_still_needs_data(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text("instrument,proxy,scale,tracks,band_pct,caveats\n")
    r = check_claims(ROOT / "claims.csv", proxies=f).set_index("claim_id")
    assert r.loc["s001-es-ah", "verdict"] == "needs-data"
    assert "the proxies table has no row for ES=F via SPXL" in r.loc["s001-es-ah", "detail"]
    assert "eventstudy fetch ES=F" in r.loc["s001-es-ah", "detail"]


# ------------------------------------------------------------------------------------------ other cases
def test_own_proxies_file_decides_the_band(tmp_path):
    f = write(tmp_path, "a,,,ES=F,after-hours-futures,2025-05-06,2025-05-06T19:00:00-04:00,0.8,,,0.01,SPXL,\n")
    p = tmp_path / "p.csv"
    p.write_text("instrument,proxy,scale,tracks,band_pct,caveats\nES=F,SPXL,3,the S&P 500 x3,0,none\n")
    r = check_claims(f, proxies=p).iloc[0]
    # |0.8308 - 0.8| = 0.031 > 0.01 + 0
    assert r["verdict"] == "differs-by-proxy" and "outside the tolerance ±0.01 pp + the proxy band 0 pp" in r["detail"]
    assert check_claims(f).iloc[0]["verdict"] == "consistent-by-proxy"  # bundled band 0.10


def test_proxy_between_two_instants_and_differs(tmp_path):
    # 18:01 ET = 22:01 UTC: the 22:00 bar (ends 22:01) closes 132.00; 18:02 ET: the 22:01 bar, 133.90
    f = write(tmp_path, "a,,,ES=F,intraday,2025-05-06T18:01:00-04:00,2025-05-06T18:02:00-04:00,2.0,,,,SPXL,\n")
    r = check_claims(f).iloc[0]
    est = pct(132.00, 133.90) / 3                     # +0.4798 %
    assert r["proxy_pct"] == pytest.approx(est, abs=1e-9) and r["verdict"] == "differs-by-proxy"
    assert "18:00–18:01 EDT 132.00" in r["detail"] and "18:01–18:02 EDT 133.90" in r["detail"]


def test_proxy_without_prices_needs_data_naming_both(tmp_path):
    f = write(tmp_path, "a,,,ES=F,after-hours-futures,2025-05-20,2025-05-20T19:00:00-04:00,0.5,,,,SPXL,\n")
    r = check_claims(f).iloc[0]
    assert r["verdict"] == "needs-data" and r["proxy"] == ""
    assert "needs data for both ES=F and its proxy SPXL" in r["detail"]
    assert "ES=F itself could not be checked" in r["detail"] and "eventstudy fetch SPXL" in r["detail"]


def test_regular_session_bars_only_are_no_after_hours_proxy(tmp_path):
    # SPY's bundled bars are hourly, regular session only: at 19:00 ET the close rule would give the
    # 16:00 close (a flat evening); that is missing data, not a price
    f = write(tmp_path, "a,,,ES=F,after-hours-futures,2025-05-06,2025-05-06T19:00:00-04:00,0.8,,,,SPY,\n")
    p = tmp_path / "p.csv"
    p.write_text("instrument,proxy,scale,tracks,band_pct,caveats\nES=F,SPY,1,the S&P 500,0.1,none\n")
    r = check_claims(f, proxies=p).iloc[0]
    assert r["verdict"] == "needs-data" and "no extended-hours bar" in r["detail"]


def test_the_proxy_is_not_used_when_the_instrument_has_prices(tmp_path):
    # ES=F 2025-10-24 settlement 6827.00 -> 19:00 ET Sunday 2025-10-26 6872.00 (bundled ES minute bars)
    f = write(tmp_path, "a,,,ES=F,after-hours-futures,2025-10-24,2025-10-26T19:00:00-04:00,0.66,,,,SPXL,\n")
    r = check_claims(f).iloc[0]
    assert r["verdict"] == "reproduced" and r["proxy"] == "" and math.isnan(r["proxy_pct"])
    assert r["measured_pct"] == pytest.approx(pct(6827.00, 6872.00), abs=1e-9)


# ------------------------------------------------------------------------------------------ year-to-date bases
def test_bundled_dji_ytd_matches_only_the_first_close_of_2026(checked):
    r = checked.loc["s000-dji-ytd"]
    assert round(pct(DJI_FIRST_2026, DJI_0209), 2) == 3.62 and round(pct(DJI_LAST_2025, DJI_0209), 2) == 4.31
    assert r["verdict"] == "reproduced" and r["base"] == "first close of 2026 (2026-01-02)"
    assert r["measured_pct"] == pytest.approx(pct(DJI_FIRST_2026, DJI_0209), abs=1e-9)
    assert r["flag"] == "matches only the first close of 2026, an unusual base for a year-to-date figure"
    assert "from the last close of 2025 (2025-12-31) it is +4.31 % (not a match)" in r["detail"]


def test_ytd_no_base_matches(tmp_path):
    f = write(tmp_path, "a,,,^DJI,year-to-date,,2026-02-09,5.00,,,,,\n")
    r = check_claims(f).iloc[0]
    assert r["verdict"] == "differs" and r["base"] == "last close of 2025 (2025-12-31)" and r["flag"] == ""
    assert r["measured_pct"] == pytest.approx(pct(DJI_LAST_2025, DJI_0209), abs=1e-9)
    assert "= +4.31 %" in r["detail"] and "from the first close of 2026 (2026-01-02) it is +3.62 % (not a match)" \
        in r["detail"]


def test_ytd_given_start_decides_and_the_other_base_is_shown(tmp_path):
    f = write(tmp_path, "a,,,^DJI,year-to-date,2025-12-31,2026-02-09,3.62,,,,,\n"
                        "b,,,^DJI,year-to-date,2025-12-31,2026-02-09,4.31,,,,,\n")
    r = check_claims(f).set_index("claim_id")
    assert r.loc["a", "verdict"] == "differs" and r.loc["a", "base"] == "last close of 2025 (2025-12-31)"
    assert "from the first close of 2026 (2026-01-02) it is +3.62 % (a match)" in r.loc["a", "detail"]
    assert r.loc["b", "verdict"] == "reproduced" and r.loc["b", "flag"] == ""
    assert (r["base"] != "").all() and pd.isna(r["proxy_pct"]).all()
