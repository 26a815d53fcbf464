"""The article reader: every claim of the seed articles drafted as in claims.csv, and each rule on
sentences whose answers are worked by hand from the exchange calendars."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from eventstudy.claims import article_text, check_article, draft_claims, load_aliases
from eventstudy.errors import DataError, SpecificationError

ROOT = Path(__file__).resolve().parent.parent
SEEDS = Path(__file__).parent / "data" / "articles" / "seeds"


def _published() -> dict[str, str]:
    with open(SEEDS / "published.csv", encoding="utf-8") as fh:
        return {r["file"]: r["published"] for r in csv.DictReader(fh)}


def _seed_drafts() -> pd.DataFrame:
    frames = []
    for name, pub in _published().items():
        frames.append(check_article(SEEDS / name, published=pub, draft_only=True).drafts)
    return pd.concat(frames, ignore_index=True)


def _num(x) -> float | None:
    return None if x in ("", None) or (isinstance(x, float) and pd.isna(x)) else float(x)


def test_every_claim_of_claims_csv_is_drafted_from_the_seed_text_with_its_instrument_basis_and_window():
    drafts = _seed_drafts()
    placed = drafts[drafts["status"] == "placed"]
    hand = pd.read_csv(ROOT / "claims.csv", dtype=str, keep_default_na=False)
    assert len(hand) == 13
    for row in hand.to_dict("records"):
        same = placed[(placed["source"] == row["source"]) & (placed["instrument"] == row["instrument"])
                      & (placed["basis"] == row["basis"])]
        assert len(same) == 1, row["claim_id"]
        d = same.iloc[0]
        assert d["end"] == row["end"], row["claim_id"]
        if row["basis"] == "year-to-date":
            assert d["start"] == ""  # both bases are checked; the base that matches is named by the check
        else:
            assert d["start"] == row["start"], row["claim_id"]
        for col in ("reported_pct", "reported_level", "reported_points"):
            assert _num(d[col]) == _num(row[col]), (row["claim_id"], col)
        # the tolerance the hand-written rows give is half a unit of the quoted digit: the default
        assert d["tolerance_pct"] == ""
    # nothing else is drafted as a placed claim from the seeds
    assert len(placed) == 13
    # the one unplaced figure is the heading 'Dow Jumps Over 3% In 2026': a bound, not a figure
    unplaced = drafts[drafts["status"] == "unplaced"]
    assert list(unplaced["instrument"]) == ["^DJI"]
    assert "over 3%" in unplaced.iloc[0]["reason"].lower()


def test_seed_articles_without_market_figures_give_no_claims():
    pubs = _published()
    for name in ("002_162070b13d2e3eb7.txt", "003_ba26013e67b69951.txt"):
        assert check_article(SEEDS / name, published=pubs[name], draft_only=True).drafts.empty


def test_seed_rows_say_why():
    d = _seed_drafts()
    ym = d[d["instrument"] == "YM=F"].iloc[0]
    assert ym["mention"] == "Dow futures" and "YM=F" in ym["why_instrument"]
    assert "'Tuesday' = Tue 2025-05-06" in ym["why_time"] and "after-hours" in ym["why_time"]
    assert "estimate" in ym["why_time"] and ym["confidence"] == "medium"
    n225 = d[d["instrument"] == "^N225"].iloc[0]
    assert "lunch break at 11:30" in n225["why_time"]
    ks = d[d["instrument"] == "^KS11"].iloc[0]
    assert "has no lunch break" in ks["why_time"]
    dji = d[(d["instrument"] == "^DJI") & (d["status"] == "placed")].iloc[0]
    assert dji["confidence"] == "high" and dji["sentence"].startswith("As of Monday")


def test_without_a_publication_date_relative_days_are_unplaced_not_guessed():
    d = check_article(SEEDS / "004_f4c0c73d9e903246.txt", draft_only=True).drafts
    assert set(d["status"]) == {"unplaced"} and len(d) == 3
    assert all("--published" in r for r in d["reason"])


# ------------------------------------------------------------------------------ rules, by hand
def _one(sentence: str, published: str, **kw) -> dict:
    d = draft_claims(sentence, published=published, **kw)
    assert len(d) == 1, d.to_dict("records")
    return d.iloc[0].to_dict()


@pytest.mark.parametrize("sentence, published, instrument, basis, start, end, pct", [
    # weekday: the last Monday on or before publication (2025-04-08 is a Tuesday)
    ("The Dow Jones Industrial Average fell 0.91% on Monday.", "2025-04-08T09:00:00-04:00",
     "^DJI", "close-to-close", "2025-04-04", "2025-04-07", "-0.91"),
    # 'yesterday' against a Tuesday: Monday; the previous XNYS session is Friday
    ("The tech-heavy Nasdaq rose 0.1% yesterday.", "2025-04-08T09:00:00-04:00",
     "^IXIC", "close-to-close", "2025-04-04", "2025-04-07", "0.1"),
    # an explicit date without a year: the publication's year
    ("The S&P 500 index surged 9.52% on April 9, its best day since 2008.", "2025-04-10T08:00:00-04:00",
     "^GSPC", "close-to-close", "2025-04-08", "2025-04-09", "9.52"),
    # Tokyo midday = the start of the lunch break, 11:30 JST (exchange_calendars' XTKS break_start)
    ("Japan's Nikkei share average was up 1.5% by midday on Tuesday.", "2025-04-08T13:00:00+09:00",
     "^N225", "intraday", "2025-04-07", "2025-04-08T11:30:00+09:00", "1.5"),
    # Hong Kong's lunch break starts 12:00 HKT
    ("Hong Kong's Hang Seng index lost 2% at midday.", "2025-04-08T13:00:00+08:00",
     "^HSI", "intraday", "2025-04-07", "2025-04-08T12:00:00+08:00", "-2"),
    # at the open: one minute after the 09:30 ET open
    ("The S&P 500 fell 0.3% at the open on Wednesday.", "2025-04-09T10:00:00-04:00",
     "^GSPC", "intraday", "2025-04-08", "2025-04-09T09:31:00-04:00", "-0.3"),
    # in early trade: 30 minutes after the KRX open (09:00 KST)
    ("South Korea's Kospi jumped 1.8% in early trade on Friday.", "2025-05-02T10:00:00+09:00",
     "^KS11", "intraday", "2025-04-30", "2025-05-02T09:30:00+09:00", "1.8"),
    # a clock time with its zone
    ("As of 10:45 a.m. ET on Thursday, the Dow was down 1.1%.", "2025-04-10T11:00:00-04:00",
     "^DJI", "intraday", "2025-04-09", "2025-04-10T10:45:00-04:00", "-1.1"),
    # futures after hours: 19:00 ET estimate, from the same day's settlement
    ("S&P 500 futures rose 0.5% in after-hours trading on Monday.", "2025-04-14T20:00:00-04:00",
     "ES=F", "after-hours-futures", "2025-04-14", "2025-04-14T19:00:00-04:00", "0.5"),
    # year to date: the end is the session named; both bases are left to the check
    ("The Nasdaq Composite is down 9% so far this year as of Friday's close.", "2025-04-12T09:00:00-04:00",
     "^IXIC", "year-to-date", "", "2025-04-11", "-9"),
    # last week: the previous calendar week, from the close before it (Fri 04-04) to its last (Fri 04-11)
    ("The S&P 500 gained 5.7% last week.", "2025-04-14T07:00:00-04:00",
     "^GSPC", "close-to-close", "2025-04-04", "2025-04-11", "5.7"),
    # a month: from the last close before it to its last close
    ("The Nikkei fell 1.1% in March.", "2025-04-02T09:00:00+09:00",
     "^N225", "close-to-close", "2025-02-28", "2025-03-31", "-1.1"),
])
def test_time_rules(sentence, published, instrument, basis, start, end, pct):
    r = _one(sentence, published)
    assert (r["instrument"], r["basis"], r["start"], r["end"], r["reported_pct"]) == \
        (instrument, basis, start, end, pct), r
    assert r["status"] == "placed"


def test_points_and_percent_in_one_row_and_a_level_in_its_own():
    d = draft_claims("The Dow closed down 1,679.39 points, or 4%, at 40,545.93 on Thursday.",
                     published="2025-04-04T08:00:00-04:00")
    assert list(d["basis"]) == ["close-to-close", "price-level"]
    assert d.iloc[0]["reported_points"] == "-1679.39" and d.iloc[0]["reported_pct"] == "-4"
    assert d.iloc[1]["reported_level"] == "40545.93" and d.iloc[1]["end"] == "2025-04-03"


def test_the_yuan_is_usd_cny_with_the_sign_turned_and_the_percentage_converted_exactly():
    r = _one("China's yuan weakened 0.5% against the dollar on Monday.", "2025-04-08T09:00:00+08:00")
    assert r["instrument"] == "CNY=X"
    # a yuan 0.5 % weaker is USD/CNY 1/(1-0.005) - 1 = +0.50251 % higher
    assert float(r["reported_pct"]) == pytest.approx(100 * (1 / 0.995 - 1), abs=1e-4)
    assert r["tolerance_pct"] == "0.05"
    lvl = _one("The onshore yuan closed at 7.3498 per dollar on Tuesday.", "2025-04-09T09:00:00+08:00")
    assert (lvl["instrument"], lvl["basis"], lvl["reported_level"], lvl["end"]) == \
        ("CNY=X", "price-level", "7.3498", "2025-04-08")


def test_futures_words_select_the_futures_ticker():
    for sentence, ticker in (("Dow futures fell 500 points on Sunday evening.", "YM=F"),
                             ("Futures tied to the Nasdaq 100 slid 1.2% on Sunday evening.", "NQ=F"),
                             ("Futures on the S&P 500 dropped 0.9% on Sunday evening.", "ES=F"),
                             ("E-mini S&P 500 contracts were down 0.9% on Sunday evening.", "ES=F")):
        r = _one(sentence, "2025-04-06T21:00:00-04:00")
        assert r["instrument"] == ticker, sentence
        assert r["basis"] == "after-hours-futures" and r["end"] == "2025-04-06T19:00:00-04:00"


def test_what_is_not_a_market_figure_is_not_drafted():
    text = ("Trump threatened a 100% tariff on Chinese goods. China agreed to buy 12 million metric tons of "
            "soybeans. Inflation rose 0.3% in March.")
    assert draft_claims(text, published="2025-04-10T09:00:00-04:00").empty


@pytest.mark.parametrize("sentence, reason", [
    ("Japan's broader Topix fell 1.3% on Monday.", "Topix is not in the registry"),
    ("The Nasdaq 100 index rose 1.1% on Monday.", "Nasdaq-100 index itself is not in the registry"),
    ("The Dow is up more than 3% on Monday.", "a bound"),
    ("Hang Seng: 2.1% on Monday.", "no direction word"),
    ("The Hang Seng index rose 1% on Saturday.", "not a XHKG session"),
    ("Stocks rose 2% on Monday after the talks.", "no instrument named"),
])
def test_unplaced_with_the_reason(sentence, reason):
    r = _one(sentence, "2025-04-08T09:00:00-04:00")
    assert r["status"] == "unplaced" and reason in r["reason"], r


def test_html_and_markdown_articles_and_their_declared_publication_time():
    page = ("<html><head><meta property='article:published_time' content='2025-04-08T09:00:00-04:00'>"
            "<script>var x = 'The Dow rose 9% on Monday.';</script></head><body><h1>Markets</h1>"
            "<p>The Dow Jones Industrial Average fell 0.91% on Monday.</p><p>Trump spoke.</p></body></html>")
    text, pub = article_text(page)
    assert pub == "2025-04-08T09:00:00-04:00" and "9%" not in text and "Markets\n" in text
    found = check_article(page, draft_only=True)
    assert found.published_from == "the page" and list(found.drafts["end"]) == ["2025-04-07"]
    md = ("---\ntitle: x\ndate: 2025-04-08T09:00:00-04:00\n---\n# Stocks\n"
          "**The Dow Jones Industrial Average** fell [0.91%](https://x) on Monday.\n")
    found = check_article(md, draft_only=True)
    assert list(found.drafts["reported_pct"]) == ["-0.91"] and found.published_from == "the page"


def test_bad_inputs_get_clear_errors(tmp_path):
    with pytest.raises(SpecificationError, match="no UTC offset"):
        draft_claims("The Dow fell 1% on Monday.", published="2025-04-08T09:00:00")
    with pytest.raises(SpecificationError, match="not an ISO 8601"):
        draft_claims("The Dow fell 1% on Monday.", published="next Tuesday")
    with pytest.raises(DataError, match="no such article file"):
        check_article(tmp_path / "missing.txt")
    bad = tmp_path / "aliases.csv"
    bad.write_text("phrase,instrument,futures,invert,confidence,note\nDow,^DJI,,maybe,high,\n", encoding="utf-8")
    with pytest.raises(DataError, match="line 2, column invert"):
        load_aliases(bad)


def test_a_users_alias_table_names_a_users_instrument(tmp_path):
    table = tmp_path / "aliases.csv"
    table.write_text("phrase,instrument,futures,invert,confidence,note\nthe big index,^GSPC,ES=F,,high,\n",
                     encoding="utf-8")
    r = _one("The big index fell 1.2% on Monday.", "2025-04-08T09:00:00-04:00", aliases=table)
    assert r["instrument"] == "^GSPC" and r["reported_pct"] == "-1.2"


def test_a_checked_article_reproduces_a_close_from_the_bundled_prices():
    # ^DJI closed 2025-04-04 at 38,314.86 and 2025-04-07 at 37,965.60 (-0.91 %): the bundled closes
    found = check_article("The Dow Jones Industrial Average fell 0.91% on Monday. The Dow fell 9% on Monday.",
                          published="2025-04-08T09:00:00-04:00")
    assert list(found.checked["verdict"]) == ["reproduced", "differs"]
    assert "38,314.86" in found.checked.iloc[0]["detail"] and "37,965.60" in found.checked.iloc[0]["detail"]


def test_seed_articles_checked_from_their_text_alone_get_the_hand_written_rows_verdicts():
    """The drafted seed claims against the bundled prices: the same verdicts as claims.csv's rows, the
    year-to-date figures matching (only) the first close of 2026 as the hand-written rows found, and the
    Geneva-evening futures consistent by the bundled SPXL/XLK bars."""
    from eventstudy.claims import check_claims

    hand = check_claims(ROOT / "claims.csv").set_index("claim_id")
    rows = pd.read_csv(ROOT / "claims.csv", dtype=str, keep_default_na=False).set_index("claim_id")
    pubs = _published()
    checked = pd.concat([check_article(SEEDS / n, published=p).checked for n, p in pubs.items()], ignore_index=True)
    for cid, row in rows.iterrows():
        got = checked[(checked["source"] == row["source"]) & (checked["instrument"] == row["instrument"])
                      & (checked["basis"] == row["basis"])]
        assert len(got) == 1
        g = got.iloc[0]
        assert g["verdict"] == hand.loc[cid, "verdict"], cid
        if row["basis"] == "year-to-date":
            assert g["base"] == f"first close of 2026 ({row['start']})" and "unusual" in g["flag"]
    ah = checked[checked["basis"] == "after-hours-futures"]
    assert list(ah["verdict"]) == ["consistent-by-proxy"] * 3
    assert list(ah["proxy"]) == ["SPXL", "SPXL", "XLK"]


def test_first_close_above_and_record_close_against_the_bundled_closes():
    daily = pd.read_csv(ROOT / "eventstudy" / "data" / "daily" / "%5EDJI.csv", parse_dates=["date"])
    first = daily[daily["close"] > 50000].iloc[0]  # the Dow's first close above 50,000 in the data
    day = first["date"]
    text = f"The Dow Jones Industrial Average notched its first close above 50,000 on {day:%B} {day.day}."
    found = check_article(text, published=f"{day + pd.Timedelta(days=1):%Y-%m-%d}")
    r = found.checked.iloc[0]
    assert (r["basis"], r["end"], r["verdict"]) == ("first-close-above", f"{day:%Y-%m-%d}", "reproduced")
    nxt = daily[daily["date"] > day].iloc[0]["date"]
    late = check_article(f"The Dow notched its first close above 50,000 on {nxt:%B} {nxt.day}.",
                         published=f"{nxt:%Y-%m-%d}").checked.iloc[0]
    assert late["verdict"] == "differs" and f"{day:%Y-%m-%d} closed above it already" in late["detail"]
    top = daily.loc[daily["close"].idxmax()]  # the highest close in the data is a record in the data
    rec = check_article(f"The Dow closed at a record {top['close']:,.2f} on {top['date']:%B} {top['date'].day}.",
                        published=f"{top['date']:%Y-%m-%d}").checked
    assert list(rec["basis"]) == ["price-level", "record-close"]
    assert list(rec["verdict"]) == ["reproduced", "reproduced"]


def test_cli_article_drafts_checks_and_draft_only(tmp_path, capsys):
    from eventstudy.cli import main

    src = SEEDS / "001_9f6a4ecfc386d3f4.txt"
    assert main(["claims", "--article", str(src), "--published", "2025-05-06T20:00:00-04:00",
                 "--out", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    assert "3 consistent-by-proxy" in out
    draft = pd.read_csv(tmp_path / "a" / "claims_draft.csv", dtype=str, keep_default_na=False)
    check = pd.read_csv(tmp_path / "a" / "claims_check.csv", dtype=str, keep_default_na=False)
    assert list(draft["instrument"]) == ["YM=F", "ES=F", "NQ=F"] and set(check["verdict"]) == {"consistent-by-proxy"}
    # the placed drafts are a claims file: checking the draft file gives the same verdicts
    assert main(["claims", "--claims", str(tmp_path / "a" / "claims_draft.csv"), "--out", str(tmp_path / "b")]) == 0
    again = pd.read_csv(tmp_path / "b" / "claims_check.csv", dtype=str, keep_default_na=False)
    assert list(again["verdict"]) == list(check["verdict"])
    capsys.readouterr()
    assert main(["claims", "--article", str(src), "--published", "2025-05-06T20:00:00-04:00", "--draft-only",
                 "--out", str(tmp_path / "c")]) == 0
    assert (tmp_path / "c" / "claims_draft.csv").is_file() and not (tmp_path / "c" / "claims_check.csv").exists()
    assert "time: no day in the sentence" in capsys.readouterr().out
    assert main(["claims", "--article", str(src), "--claims", "x.csv"]) == 2
    assert "--article and --claims" in capsys.readouterr().err
    assert main(["claims", "--article", str(src), "--published", "2025-05-06T20:00:00"]) == 2
    assert "no UTC offset" in capsys.readouterr().err


def test_a_draft_file_with_unplaced_rows_checks_them_as_unplaced(tmp_path):
    from eventstudy.claims import check_claims

    # ^N225 closed 33,780.58 on 2025-04-04 and 31,136.58 on 2025-04-07 (-7.83 %), the bundled closes
    text = "Japan's broader Topix fell 1.3% on Monday. The Nikkei share average fell 7.83% on Monday."
    drafts = check_article(text, published="2025-04-08T09:00:00+09:00", draft_only=True).drafts
    drafts.to_csv(tmp_path / "claims_draft.csv", index=False)
    res = check_claims(tmp_path / "claims_draft.csv")
    assert list(res["verdict"]) == ["unplaced", "reproduced"]
    assert "Topix is not in the registry" in res.iloc[0]["detail"]


def test_a_sentence_wrapped_over_lines_is_read_whole_and_a_level_is_not_an_approximation():
    text = ("Wall Street tumbled on Thursday.\nThe Dow Jones Industrial Average fell 1,679.39 points, or 4%, to\n"
            "40,545.93, while the S&P 500 lost\n4.84% and the tech-heavy Nasdaq slid 5.97%.\nHeadline Without Stop\n"
            "Another paragraph.")
    text, _ = article_text(text, "text")
    assert text.split("\n")[1].endswith("slid 5.97%.") and "Headline Without Stop" in text.split("\n")
    d = draft_claims(text, published="2025-04-04T07:00:00-04:00")
    assert list(d["instrument"]) == ["^DJI", "^DJI", "^GSPC", "^IXIC"]
    assert not any("approximate" in n for n in d["notes"])
    assert d.iloc[2]["claim_id"].endswith("-gspc-cc")
    topix = draft_claims("Japan's broader Topix fell 1.3% on Monday.", published="2025-04-08")
    assert topix.iloc[0]["claim_id"] == "article-01-topix-unplaced"


def test_a_users_own_instrument_prices_and_aliases_through_the_cli(tmp_path, capsys):
    """An instrument outside the registry, named by the user's alias table, with the user's prices:
    its sessions are its price dates; its closes are checked, a time of day cannot be placed."""
    from eventstudy.cli import main

    prices = tmp_path / "prices.csv"
    prices.write_text("date,ticker,close\n2025-04-03,ACME,100.00\n2025-04-04,ACME,104.20\n2025-04-07,ACME,101.00\n",
                      encoding="utf-8")
    aliases = tmp_path / "aliases.csv"
    aliases.write_text("phrase,instrument,futures,invert,confidence,note\nAcme index,ACME,,,high,\n", encoding="utf-8")
    article = tmp_path / "a.txt"
    # 104.20 / 100.00 - 1 = +4.20 %; 101.00 / 104.20 - 1 = -3.07 %
    article.write_text("The Acme index jumped 4.2% on Friday. The Acme index fell 3.07% on Monday. "
                       "The Acme index was down 1% at midday on Monday.", encoding="utf-8")
    assert main(["claims", "--article", str(article), "--published", "2025-04-08", "--prices", str(prices),
                 "--aliases", str(aliases), "--out", str(tmp_path / "o")]) == 0
    res = pd.read_csv(tmp_path / "o" / "claims_check.csv", dtype=str, keep_default_na=False)
    assert list(res["verdict"]) == ["reproduced", "reproduced", "unplaced"]
    assert list(res["start"][:2]) == ["2025-04-03", "2025-04-04"]
    assert "exchange hours are unknown" in res.iloc[2]["detail"]
    # without the prices, the instrument cannot be placed and says what to give
    d = draft_claims("The Acme index fell 3.07% on Monday.", published="2025-04-08", aliases=aliases)
    assert d.iloc[0]["status"] == "unplaced" and "--prices" in d.iloc[0]["reason"]


def test_cli_article_default_folder_is_its_own(tmp_path, monkeypatch, capsys):
    from eventstudy.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "claims_check.csv").write_text("a run's own\n", encoding="utf-8")
    assert main(["claims", "--article", str(SEEDS / "004_f4c0c73d9e903246.txt"), "--published", "2025-10-27"]) == 0
    assert (tmp_path / "results" / "claims_check.csv").read_text(encoding="utf-8") == "a run's own\n"
    assert (tmp_path / "article_checks" / "004_f4c0c73d9e903246" / "claims_check.csv").is_file()
    # a rerun of the main job replaces results/ whole: the article's check is outside it
    assert not (tmp_path / "results" / "article_004_f4c0c73d9e903246").exists()


def test_a_present_tense_figure_is_as_of_publication_not_the_last_day_named():
    """Paraphrased from a syndicated Yahoo Finance report of Monday 2025-05-12
    (http://goldberglawma.com/?id=news%2Fdow-soars-1-100-points-202157564.html): after 'the Nasdaq ...
    had entered a bear market on April 4', 'the index is still down about 3.1% this year' is as of
    the Monday close, not of April 4."""
    daily = pd.read_csv(ROOT / "eventstudy" / "data" / "daily" / "%5EIXIC.csv", parse_dates=["date"])
    c = daily.set_index("date")["close"]
    ytd = 100 * (c[pd.Timestamp("2025-05-12")] / c[pd.Timestamp("2024-12-31")] - 1)  # the usual base
    assert round(ytd, 1) == -3.1
    text = ("The Dow closed higher by 1,161 points, or 2.81%.\n"
            "The Nasdaq, which had entered a bear market on April 4, closed up more than 20% from its lowest point "
            "this year.\nIt has been a swift recovery for the Nasdaq, though the index is still down about 3.1% this "
            "year.")
    found = check_article(text, published="2025-05-12T17:30:00-04:00")
    d, r = found.drafts, found.checked
    assert list(d["status"]) == ["placed", "unplaced", "placed"]
    assert d.iloc[2]["end"] == "2025-05-12" and "present tense" in d.iloc[2]["why_time"]
    assert r.iloc[2]["verdict"] == "reproduced" and r.iloc[2]["base"].startswith("last close of 2024")


def test_an_asian_close_report_read_whole():
    """Paraphrased from an MT Newswires report of Tuesday 2025-04-15, 06:38 EDT
    (https://citiadr.factsetdigitalsolutions.com/news/global_story.idms?ID_NEWS=1146687829&type=global):
    'opened higher ... finishing up 0.8%' is a close; 'rose 285.18 to 34,267.54' is points and a level;
    the Hang Seng TECH index, the ASX 200 and S&P Global Ratings are not the registry's instruments.
    Bundled closes: ^N225 33,982.36 (04-14) -> 34,267.54 (04-15), +285.18, +0.84 %; ^HSI 21,417.40 ->
    21,466.27, +48.87, +0.23 %."""
    text = ("Asian stock markets largely gained on Tuesday.\n"
            "In Japan, the Nikkei 225 opened higher and held ground, finishing up 0.8% on hopes for milder tariffs.\n"
            "The benchmark Nikkei 225 rose 285.18 to 34,267.54.\n"
            "In Hong Kong, the Hang Seng Index opened evenly but finished up 0.2%. The broad gauge Hang Seng rose "
            "48.87 to 21,466.27. The Hang Seng TECH Index lost 0.7% on the day.\n"
            "The Australian ASX 200 inclined 0.2%.\n"
            "GDP growth could slip by 0.2% to 0.4%, S&P Global Ratings said.")
    found = check_article(text, published="2025-04-15T06:38:00-04:00")
    d, r = found.drafts, found.checked
    placed = d[d["status"] == "placed"]
    assert list(zip(placed["instrument"], placed["basis"])) == [
        ("^N225", "close-to-close"), ("^N225", "close-to-close"), ("^N225", "price-level"),
        ("^HSI", "close-to-close"), ("^HSI", "close-to-close"), ("^HSI", "price-level")]
    assert set(placed["end"]) == {"2025-04-15"} and placed.iloc[1]["reported_points"] == "285.18"
    assert (r.loc[r["instrument"] != "", "verdict"] == "reproduced").all()
    unplaced = d[d["status"] == "unplaced"]
    assert len(unplaced) == 2 and "Hang Seng Tech index is not in the registry" in unplaced.iloc[0]["reason"]


def test_a_claims_file_naming_a_users_instrument_is_checked_against_the_users_prices(tmp_path):
    from eventstudy.cli import main

    prices = tmp_path / "prices.csv"
    prices.write_text("date,ticker,close\n2025-04-03,ACME,100.00\n2025-04-04,ACME,104.20\n", encoding="utf-8")
    claims = tmp_path / "claims.csv"
    claims.write_text("claim_id,instrument,basis,start,end,reported_pct\n"
                      "a,ACME,close-to-close,2025-04-03,2025-04-04,4.2\n", encoding="utf-8")  # 104.20/100 - 1
    assert main(["claims", "--claims", str(claims), "--prices", str(prices), "--out", str(tmp_path / "o")]) == 0
    res = pd.read_csv(tmp_path / "o" / "claims_check.csv", dtype=str, keep_default_na=False)
    assert list(res["verdict"]) == ["reproduced"]
