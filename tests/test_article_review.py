"""A hostile second read of the article reader: each test is a bug found by pasting real-looking
text, with the right answer worked by hand (the exchange calendars, the bundled daily closes)."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import exchange_calendars as xcals
import pandas as pd
import pytest

from eventstudy.claims import article_text, check_article, draft_claims

ROOT = Path(__file__).resolve().parent.parent


def _placed(text, published):
    d = draft_claims(text, published=published)
    return d[d["status"] == "placed"] if len(d) else d


# ------------------------------------------------------------------ 1. numbers that are not market moves
@pytest.mark.parametrize("sentence", [
    "Dow Inc shares fell 5% on Tuesday.",
    "Dow Chemical fell 4% on Tuesday.",
    "S&P Global shares rose 3% on Tuesday.",
    "Nasdaq Inc reported earnings up 12% on Tuesday.",
    "Nasdaq-listed shares of Tesla fell 5% on Tuesday.",
    "Hang Seng Bank shares fell 3% on Tuesday.",
    "Dow Jones & Co. said ad revenue fell 10% on Tuesday.",
    "Nikkei Asia reported that exports fell 5% in March.",
])
def test_a_company_named_like_an_index_is_not_the_index(sentence):
    assert len(_placed(sentence, "2025-04-08T18:00:00-04:00")) == 0


def test_s_and_p_dow_jones_indices_is_the_index_provider_not_two_indices():
    d = _placed("S&P Dow Jones Indices said the S&P 500 fell 1.57% on Tuesday.", "2025-04-08T18:00:00-04:00")
    assert list(d["instrument"]) == ["^GSPC"]
    assert list(d["reported_pct"]) == ["-1.57"]


@pytest.mark.parametrize("sentence", [
    "The S&P 500 fell 1% on Tuesday as China raised tariffs to 84% from 34%.",
    "The S&P 500 fell 1% on Tuesday after inflation rose 0.4%.",
    "The S&P 500 fell 1% on Tuesday, while Apple shares lost 5%.",
])
def test_a_percentage_of_another_subject_after_the_index_move_is_not_the_index(sentence):
    d = _placed(sentence, "2025-04-08T18:00:00-04:00")
    assert list(d["reported_pct"]) == ["-1"]  # only the index's own move


@pytest.mark.parametrize("sentence", [
    "Earnings of S&P 500 companies rose 12% in the first quarter.",
    "The Dow fell 1% on Tuesday after retail sales rose 1.4% in March.",
])
def test_macro_and_earnings_growth_are_not_index_moves(sentence):
    d = _placed(sentence, "2025-04-08T18:00:00-04:00")
    assert "12" not in set(d["reported_pct"]) and "1.4" not in set(d["reported_pct"])


# ------------------------------------------------------------------ 2. the wrong day, the wrong window
def test_since_a_date_is_not_the_claims_day():
    # the move is Tuesday 2025-04-08's; Sept. 3 is only the comparison
    d = _placed("The S&P 500 fell 1% on Tuesday, the biggest drop since Sept. 3.", "2025-04-08T18:00:00-04:00")
    assert list(d["end"]) == ["2025-04-08"] and list(d["start"]) == ["2025-04-07"]


def test_a_drawdown_from_a_peak_is_not_a_one_day_move():
    d = draft_claims("The S&P 500 is down 10% from its February record.", published="2025-04-10T18:00:00-04:00")
    assert list(d["status"]) == ["unplaced"]
    assert "record" in d.iloc[0]["reason"]


def test_a_move_from_monday_is_measured_from_mondays_close():
    # Thursday 2025-04-10 after the close: "up 3% from Monday" is Monday 2025-04-07's close -> 2025-04-10's
    d = _placed("The Dow is up 3% from Monday.", "2025-04-10T18:00:00-04:00")
    assert (d.iloc[0]["start"], d.iloc[0]["end"]) == ("2025-04-07", "2025-04-10")
    # the previous session named as the base is the usual window
    d = _placed("The Dow rose 3% on Wednesday from Tuesday.", "2025-04-10T18:00:00-04:00")
    assert (d.iloc[0]["start"], d.iloc[0]["end"]) == ("2025-04-08", "2025-04-09")


def test_a_clock_time_with_its_zone_keeps_the_sentences_day():
    # "at 10:30 a.m. ET on Monday" published Wednesday is Monday 2025-04-07 10:30 ET, from Friday
    # 2025-04-04's close (the NYSE session before Monday), not Wednesday 10:30
    d = _placed("SPY was down 1% at 10:30 a.m. ET on Monday.", "2025-04-09T12:00:00-04:00")
    assert d.iloc[0]["end"] == "2025-04-07T10:30:00-04:00"
    assert d.iloc[0]["start"] == "2025-04-04"
    # a Saturday has no session: no SPY price at 10:30 that day, not Wednesday's
    d = draft_claims("SPY was down 1% at 10:30 a.m. ET on Saturday.", published="2025-04-09T12:00:00-04:00")
    assert list(d["status"]) == ["unplaced"]


def test_the_bundled_hourly_bars_then_check_mondays_figure():
    # SPY 1h bars: Monday 2025-04-07 09:30-10:30 closes at 498.18 (eventstudy/data/intraday/SPY_1h.csv.gz);
    # Friday 2025-04-04's close is 505.28 (eventstudy/data/daily/SPY.csv): -1.41 %, not Wednesday's +0.50 %
    bars = pd.read_csv(ROOT / "eventstudy/data/intraday/SPY_1h.csv.gz", header=None)
    bar = bars[bars[0] == "2025-04-07T13:30:00Z"].iloc[0]
    daily = pd.read_csv(ROOT / "eventstudy/data/daily/SPY.csv")
    friday = float(daily.loc[daily["date"] == "2025-04-04", "close"].iloc[0])
    want = 100 * (float(bar[4]) / friday - 1)
    r = check_article("SPY was down 1% at 10:30 a.m. ET on Monday.", published="2025-04-09T12:00:00-04:00")
    assert r.checked.iloc[0]["measured_pct"] == pytest.approx(want, abs=1e-6)


@pytest.mark.parametrize("sentence, published, day", [
    # 23:00 Monday in New York is 12:00 Tuesday in Tokyo: Tokyo's Tuesday is 2025-04-08
    ("Tokyo stocks fell on Tuesday, with the Nikkei down 1.2%.", "2025-04-07T23:00:00-04:00", "2025-04-08"),
    # 22:00 Sunday in New York is 11:00 Monday in Tokyo: Tokyo's Monday is 2025-04-07, not 2025-03-31
    ("The Nikkei fell 2.5% on Monday.", "2025-04-06T22:00:00-04:00", "2025-04-07"),
])
def test_a_weekday_is_the_markets_day(sentence, published, day):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sessions = xcals.get_calendar("XTKS", start="2025-03-01", end="2025-05-01").sessions
    assert pd.Timestamp(day) in sessions
    prev = sessions[sessions < pd.Timestamp(day)][-1].strftime("%Y-%m-%d")
    d = _placed(sentence, published)
    assert d.iloc[0]["end"][:10] == day
    assert d.iloc[0]["start"] == prev


# ------------------------------------------------------------------ 3. page furniture
def test_html_navigation_and_sidebar_tickers_are_not_claims():
    page = ("<html><body><nav><a>Dow 38,000 +1.2%</a></nav><aside>S&amp;P 500 5,074.08 -1.57%</aside>"
            "<p>The Dow fell 0.84% on Tuesday.</p></body></html>")
    text, _ = article_text(page)
    assert "+1.2%" not in text and "5,074.08" not in text
    d = _placed(text, "2025-04-08T18:00:00-04:00")
    assert list(d["reported_pct"]) == ["-0.84"]


# ------------------------------------------------------------------ 4. crashes
@pytest.mark.parametrize("text, published", [
    ("The Dow fell 2%.", "1990-01-03T10:00:00-05:00"),
    ("The Dow fell 2% in 1999.", "2025-01-03"),
    ("The Dow fell 2% so far this year.", "1999-01-03"),
    ("The Dow fell 2%.", "2040-01-04T10:00:00-05:00"),
])
def test_a_publication_date_outside_the_calendars_is_unplaced_not_a_crash(text, published):
    d = draft_claims(text, published=published)
    assert list(d["status"]) == ["unplaced"]
    assert "outside" in d.iloc[0]["reason"] or "no XNYS session" in d.iloc[0]["reason"]


def test_a_future_monday_outside_the_calendar_is_not_called_a_holiday():
    # Monday 2028-03-06 is an ordinary NYSE weekday; the toolkit's sessions end in 2027
    d = draft_claims("The Dow fell 2% on Monday.", published="2028-03-08")
    assert "weekend or holiday" not in d.iloc[0]["reason"]


def test_cli_stdin_not_utf8_is_an_error_message_not_a_traceback(tmp_path):
    r = subprocess.run([sys.executable, "-m", "eventstudy", "claims", "--article", "-", "--published", "2025-04-08",
                        "--out", str(tmp_path / "o")], input="The Dow fell 2% on Monday, café.\n".encode("latin-1"),
                       capture_output=True, cwd=ROOT)
    assert r.returncode == 2
    assert b"Traceback" not in r.stderr and b"not UTF-8" in r.stderr


# ------------------------------------------------------------------ 5. a guess dressed as a check
def test_an_etf_after_hours_figure_without_extended_hours_bars_is_not_checked_at_the_close():
    # the bundled SPY hourly bars hold the regular session only: its last bar ends at the 16:00 close
    r = check_article("SPY fell 1% in after-hours trading on Tuesday.", published="2025-04-08T20:00:00-04:00")
    assert r.checked.iloc[0]["verdict"] == "needs-data"
    assert "no extended-hours bar" in r.checked.iloc[0]["detail"]


def test_an_index_after_hours_is_not_drafted_as_an_intraday_index_figure():
    d = draft_claims("The Dow fell 1% in after-hours trading on Tuesday.", published="2025-04-08T20:00:00-04:00")
    assert list(d["status"]) == ["unplaced"] and "is an index" in d.iloc[0]["reason"]


def test_a_company_after_a_semicolon_is_not_the_index():
    d = _placed("The S&P 500 fell 1% on Tuesday; Apple fell 5%.", "2025-04-08T18:00:00-04:00")
    assert list(d["reported_pct"]) == ["-1"]


def test_the_dollar_against_the_yuan_is_usd_cny_itself_and_the_yuan_against_the_dollar_is_turned():
    up = _placed("The dollar was up 0.3% against the yuan on Monday.", "2025-04-08T09:00:00-04:00")
    assert (up.iloc[0]["instrument"], up.iloc[0]["reported_pct"]) == ("CNY=X", "0.3")
    down = _placed("The yuan weakened 0.3% against the dollar on Monday.", "2025-04-08T09:00:00-04:00")
    assert float(down.iloc[0]["reported_pct"]) == pytest.approx(100 * (1 / 0.997 - 1), abs=1e-4)


def test_an_index_member_is_not_the_index_and_a_sentence_after_us_is_split():
    assert draft_claims("S&P 500 member Apple fell 3% on Monday.", published="2025-04-08T09:00:00-04:00").empty
    d = _placed("Tariffs hit the U.S. The Dow fell 2% on Monday.", "2025-04-08T09:00:00-04:00")
    assert list(d["sentence"]) == ["The Dow fell 2% on Monday."]
    d = _placed("The U.S. Treasury said the Dow fell 2% on Monday.", "2025-04-08T09:00:00-04:00")
    assert list(d["instrument"]) == ["^DJI"]


def test_a_figure_measured_at_a_close_after_publication_is_unplaced():
    # published Monday 2025-05-12 14:05 ET, with XNYS open until 16:00: the year-to-date figure and a
    # 'closed' figure cannot be that day's close; the live figure is read at publication
    text = ("U.S. stocks roared back on Monday. The S&P 500 popped 3%. The benchmark has cut its year-to-date "
            "losses to just 0.9%. The Dow closed up 2.8% on Monday.")
    d = draft_claims(text, published="2025-05-12T14:05:00-04:00")
    assert list(d["status"]) == ["placed", "unplaced", "unplaced"]
    assert d.iloc[0]["end"] == "2025-05-12T14:05:00-04:00" and d.iloc[0]["basis"] == "intraday"
    assert all("came after publication" in r for r in d["reason"][1:])
