"""Read a news article, draft its market claims and place them in time: rules, not a model.

What it does, sentence by sentence (:func:`draft_claims`):

1. **Text.** :func:`article_text` turns plain text, Markdown or HTML into paragraphs (HTML: the
   visible text, without scripts, styles, ``nav``, ``aside`` and forms; Markdown: without the
   markup; a sentence wrapped over lines is joined again) and reads the publication instant an
   HTML page or a Markdown front matter declares (``article:published_time``, ``<time
   datetime>``, ``date:``). Sentences end at ``.!?``, not at "U.S.", "Nov." or "a.m." unless a
   sentence clearly starts after them ("... in the U.S. The Dow ...").
2. **Instruments.** Every phrase of the alias table (``eventstudy/data/aliases.csv``, or your own:
   columns ``phrase, instrument, futures, invert, confidence, note``) is found at word boundaries,
   longest first. "futures" after the phrase, or "futures on/tied to/tracking the" before it,
   selects the phrase's ``futures`` ticker ("Dow futures" → YM=F). A company named like an index
   (Dow Inc, S&P Global, Hang Seng Bank, "S&P 500 member Apple") is not the index. "The dollar
   ... against the yuan" is USD/CNY itself. "The index" or "the benchmark" without a name is the
   instrument of the sentence before (confidence medium). A phrase with an empty instrument is a
   market the registry lacks (the Topix, Brent): its figures are ``unplaced``, with the reason.
3. **Figures.** Each figure belongs to the nearest instrument named before it, up to another
   subject ("; Apple fell 5%", "after inflation rose 0.4%", "a 145% tariff"): a percentage, points
   ("270 points, or 0.7%" is one claim; "32-3/4 cents" for grains), a level ("closed at
   42,410.10", "to 6,782.25 points", "7.30 per dollar", "$11.57-1/4 per bushel" in the
   instrument's unit, US cents), "a record close" (``record-close``) and "its first close above
   50,000" / "closed above 50,000 for the first time" (``first-close-above``). Several moves in one
   sentence are separate claims, each with its own period ("dipped 0.3% ... but climbed 1.3%
   weekly"). The sign comes from the direction word nearest the figure ("fell", "was 0.01%
   higher"); for an inverted alias (the yuan against USD/CNY) the sign is turned and the
   percentage converted exactly. A bound ("over 3%", "past 7.3 per dollar") is not a figure:
   ``unplaced``; so is a move from another base ("down 10% from its February record").
4. **Day.** The sentence's own ("on Monday", "Tuesday evening", "yesterday", "Oct. 27"; not a day
   after "since", "from" or "than", which is a base: "up 3% from Monday" starts at Monday's close),
   else the last one named earlier in the article (confidence medium), else the last session
   closed at publication (confidence low). Weekdays and relative words are resolved against the
   publication instant (``published``) in the market's own time zone; without it they cannot be
   placed and the claim is ``unplaced``. A session still open at publication with no time of day
   said is a live figure, read at the publication instant.
5. **Time of day and period**, from the sentence or the sentence before: "by midday" (the
   exchange's lunch break from exchange_calendars, else 12:00 local), "at the open" (one minute
   in), "in early trade" (30 minutes in), "in the first 15 minutes of trading", "after hours" or
   "evening" (19:00 local, an estimate; an index has no such price: ``unplaced``), "before the
   bell" (08:00 local; "overnight" for an index is its last close), a clock time ("at 10:45 a.m.
   ET", "by 19:43 ET": on the day named, else the last such time before publication), an
   estimated time later than publication is read at publication; "so far this year",
   "year-to-date", "in 2026" (``year-to-date``: both bases are checked), "for 2025" (a full past
   year), "last week", "for the week", "weekly" (a week published on a weekend is the one just
   ended), "last month", "in April", "the second quarter" (close-to-close over the period).
6. **Basis and window.** ``year-to-date``, ``price-level``, ``record-close``,
   ``first-close-above``, ``after-hours-futures`` (a futures figure at a time of day),
   ``intraday`` (another instrument at a time of day) or ``close-to-close``; the start is the
   previous session's close by the instrument's exchange calendar, as news percentages are
   measured. A move claim on an instrument of the proxies table names its first proxy, measured
   only when the instrument's own prices are missing.

Every drafted row says why: ``why_instrument``, ``why_time`` (every estimate says it is one),
``confidence`` (high, medium, low) and, for an ``unplaced`` row, ``reason``. Nothing unplaced is
ever checked. Days outside the exchange calendars' known sessions are unplaced.
"""

from __future__ import annotations

import dataclasses
import html
import math
import os
import re
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, SpecificationError

__all__ = ["ArticleClaims", "DRAFT_COLUMNS", "article_text", "check_article", "draft_claims", "load_aliases"]

DRAFT_COLUMNS = ["claim_id", "source", "quote", "instrument", "basis", "start", "end", "reported_pct",
                 "reported_level", "reported_points", "tolerance_pct", "proxy", "notes", "status", "confidence",
                 "sentence",
                 "mention", "why_instrument", "why_time", "reason"]
"""Columns of the drafted rows: a claims file's columns first (a placed row is a claims-file row),
then ``status`` (``placed`` or ``unplaced``), ``confidence``, the ``sentence`` it came from, the
``mention`` of the instrument, ``why_instrument``, ``why_time`` and ``reason`` (why unplaced)."""

_HERE = Path(__file__).resolve().parent.parent / "data"
ALIAS_COLUMNS = ("phrase", "instrument", "futures", "invert", "confidence", "note")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = {m: i + 1 for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july",
                                            "august", "september", "october", "november", "december"))}
_MONTH_RE = (r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|"
             r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_ZONES = {"et": "America/New_York", "edt": "America/New_York", "est": "America/New_York",
          "ct": "America/Chicago", "cdt": "America/Chicago", "cst": "America/Chicago",
          "gmt": "UTC", "utc": "UTC", "bst": "Europe/London", "cet": "Europe/Paris", "cest": "Europe/Paris",
          "jst": "Asia/Tokyo", "kst": "Asia/Seoul", "hkt": "Asia/Hong_Kong", "sgt": "Asia/Singapore",
          "beijing time": "Asia/Shanghai", "aedt": "Australia/Sydney", "aest": "Australia/Sydney"}


class ArticleError(DataError):
    """An article or alias file cannot be read (the message names the file and the fix)."""


# ------------------------------------------------------------------------------------------- text
class _Visible(HTMLParser):
    """Visible text of an HTML page, one line per block element, and its declared publication time."""

    _BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article",
              "header", "footer", "blockquote", "figcaption", "title", "ul", "ol", "table"}
    _SKIP = {"script", "style", "noscript", "template", "svg", "head", "nav", "aside", "form", "button", "select"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.published: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and self.published is None:
            key = (a.get("property") or a.get("name") or a.get("itemprop") or "").lower()
            if key in ("article:published_time", "datepublished", "pubdate", "date", "dc.date.issued",
                       "og:published_time", "publish-date", "parsely-pub-date"):
                self.published = a.get("content")
        if tag == "time" and self.published is None and a.get("datetime"):
            self.published = a["datetime"]
        if tag in self._SKIP:
            self.skip += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self._SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def article_text(raw: str, kind: str | None = None) -> tuple[str, str | None]:
    """The article's text as paragraphs (one per line) and the publication time it declares.

    Parameters
    ----------
    raw : str
        The article as read from a file or pasted: plain text, Markdown or HTML.
    kind : {"text", "markdown", "html"}, optional
        What ``raw`` is; None guesses (HTML when it has tags such as ``<p>`` or ``<html>``,
        Markdown when it has headings, emphasis or links, else text).

    Returns
    -------
    tuple of (str, str or None)
        The text, one paragraph per line (a sentence wrapped over lines joined again), and the
        publication time the page declares (HTML
        ``article:published_time``/``datePublished`` meta or ``<time datetime>``, a Markdown
        front matter's ``date:`` or ``published:``, or a ``Published: ...`` line), as written,
        or None.
    """
    if kind is None:
        if re.search(r"<(html|body|p|div|article|span|meta|h[1-6])\b", raw, re.I):
            kind = "html"
        elif re.search(r"^#{1,6} |\*\*|\]\(|^---\s*$", raw, re.M):
            kind = "markdown"
        else:
            kind = "text"
    published = None
    if kind == "html":
        p = _Visible()
        p.feed(raw)
        p.close()
        text, published = "".join(p.parts), p.published
    else:
        text = raw
        if kind == "markdown":
            front = re.match(r"\A---\s*\n(.*?)\n---\s*\n", text, re.S)
            if front:
                m = re.search(r"^(?:date|published)\s*:\s*['\"]?([^'\"\n]+)", front.group(1), re.M | re.I)
                published = m.group(1).strip() if m else None
                text = text[front.end():]
            text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)  # images
            text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links -> their words
            text = re.sub(r"^#{1,6}\s*", "", text, flags=re.M)
            text = re.sub(r"(\*\*|__|\*|`)", "", text)
            text = re.sub(r"^\s*[-+]\s+", "", text, flags=re.M)
        text = html.unescape(text)
    if published is None:
        m = re.search(r"^\s*(?:published|updated|posted)\s*(?:on|:)?\s*(\d{4}-\d{2}-\d{2}[^\n]*)$", text,
                      re.M | re.I)
        published = m.group(1).strip() if m else None
    lines = [re.sub(r"[ \t\u00a0]+", " ", ln).strip() for ln in text.replace("\r", "\n").split("\n")]
    paragraphs: list[str] = []
    for ln in lines:
        if not ln:
            paragraphs.append("")
        elif paragraphs and paragraphs[-1] and not re.search(r"[.!?:;\"”’)]$", paragraphs[-1]) \
                and re.match(r"[a-z0-9%$(]", ln):
            paragraphs[-1] += " " + ln  # a sentence wrapped over lines ("... the S&P 500 lost\n4.84% and ...")
        else:
            paragraphs.append(ln)
    return "\n".join(p for p in paragraphs if p), published


_ABBREV = re.compile(r"\b(?:U\.S|U\.K|U\.N|a\.m|p\.m|Inc|Corp|Co|Ltd|Mr|Mrs|Ms|Dr|St|vs|No|Jan|Feb|Mar|Apr|Jun|Jul|"
                     r"Aug|Sep|Sept|Oct|Nov|Dec|Gov|Sen|Rep|approx|est)\.$")


_STARTER = (r"(?:The|A|An|It|Its|This|That|These|Those|But|And|In|On|At|Meanwhile|However|Stocks|Shares|He|She|"
            r"They|We|Investors|Markets)\b")


def _sentences(paragraph: str) -> list[str]:
    """Split a paragraph at sentence ends, not at abbreviations (U.S., Nov., a.m.) or decimals."""
    out, start = [], 0
    for m in re.finditer(r"[.!?][\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9])", paragraph):
        head = paragraph[start:m.start() + 1]
        starts = re.match(_STARTER, paragraph[m.end():])  # "... in the U.S. The Dow ...": a new sentence
        if (_ABBREV.search(head) or re.search(r"\b[A-Z]\.$", head)) and not starts:
            continue
        out.append(paragraph[start:m.end()].strip())
        start = m.end()
    if paragraph[start:].strip():
        out.append(paragraph[start:].strip())
    return out


# ---------------------------------------------------------------------------------------- aliases
def load_aliases(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """The alias table: which words name which instrument.

    Parameters
    ----------
    path : str or os.PathLike, optional
        A CSV with columns ``phrase`` (the words, matched case-insensitively at word boundaries;
        a phrase in capitals such as ``SPY`` only in capitals or as a name, Spy), ``instrument`` (a ticker; empty for
        a market the registry lacks, whose figures are then unplaced with ``note`` as the
        reason), ``futures`` (the ticker meant when "futures" follows the phrase), ``invert``
        (``yes`` when a rise in the words is a fall of the ticker, as for the yuan against
        USD/CNY), ``confidence`` (``high`` or ``medium``) and ``note``. None: the bundled table
        ``eventstudy/data/aliases.csv``.

    Returns
    -------
    pandas.DataFrame
        The table, longest phrase first, with a compiled ``pattern`` column.

    Raises
    ------
    ArticleError
        If the file is missing or lacks a column, or a row has an empty phrase, a confidence other
        than high/medium or an invert other than yes/empty.
    """
    p = Path(path) if path is not None else _HERE / "aliases.csv"
    if not p.is_file():
        raise ArticleError(f"{p}: no such alias file; pass a CSV with columns {', '.join(ALIAS_COLUMNS)}")
    table = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    missing = [c for c in ALIAS_COLUMNS if c not in table.columns]
    if missing:
        raise ArticleError(f"{p}, line 1: missing column(s) {', '.join(missing)}; the header must name "
                           f"{', '.join(ALIAS_COLUMNS)}")
    problems = []
    for i, r in table.iterrows():
        line = i + 2
        if not r["phrase"].strip():
            problems.append(f"{p}, line {line}, column phrase: empty")
        if r["confidence"] not in ("high", "medium"):
            problems.append(f"{p}, line {line}, column confidence: {r['confidence']!r}; use high or medium")
        if r["invert"] not in ("", "yes"):
            problems.append(f"{p}, line {line}, column invert: {r['invert']!r}; use yes or leave it empty")
    if problems:
        raise ArticleError("bad alias table:\n  " + "\n  ".join(problems))
    table = table.assign(length=table["phrase"].str.len()).sort_values("length", ascending=False, kind="stable")

    def compile_(phrase: str):
        words = [re.escape(w) for w in re.split(r"[\s-]+", phrase.strip())]
        body = r"[\s-]+".join(words)
        flags = re.I
        if phrase.upper() == phrase and re.search(r"[A-Z]", phrase):  # KOSPI, SPY: in capitals or as a name
            flags = 0
            body = f"(?:{body}|{re.escape(phrase.strip().capitalize())})"
        return re.compile(rf"(?<![\w&]){body}(?![\w&])", flags)

    return table.assign(pattern=table["phrase"].map(compile_)).drop(columns="length").reset_index(drop=True)


@cache
def _bundled_aliases() -> list[dict]:
    """The bundled alias table as records, read and compiled once per process."""
    return load_aliases().to_dict("records")


def _first_proxies(table: pd.DataFrame) -> pd.Series:
    return table.drop_duplicates("instrument").set_index("instrument")["proxy"]


@cache
def _bundled_first_proxies() -> pd.Series:
    """Instrument -> its first proxy in the bundled proxies table, read once per process."""
    from .proxies import load_proxies

    return _first_proxies(load_proxies())


@dataclass
class _Mention:
    start: int
    end: int
    text: str
    instrument: str
    why: str
    confidence: str
    invert: bool
    unsupported: str = ""


_COMPANY_AFTER = re.compile(r"\A(?:\s*&\s*Co\b|-listed\b|\s+(?:Inc|Corp|Corporation|Co|Chemical|Global|Ratings|Bank|"
                            r"Asia|Holdings|Group|Ltd|Indices|Indexes|Dow\s+Jones\s+Indices|member|members|"
                            r"constituent|constituents|component|components|heavyweight|heavyweights|company|"
                            r"companies)\b)")
"""What follows a name when it is a company's, not an index's: Dow Inc, S&P Global, Nasdaq Inc,
Hang Seng Bank, Nikkei Asia, Dow Jones & Co., S&P Dow Jones Indices, Nasdaq-listed, "S&P 500 member
Apple"."""
_DOLLAR_YUAN = re.compile(r"\b(?:the\s+)?(?:U\.?S\.?\s+)?dollar\b(?=(?:[^.;]|\.(?=\d))*?\b(?:against|versus|vs\.?|to)"
                          r"\s+(?:the\s+)?(?:Chinese\s+|onshore\s+)?(?P<y>yuan|renminbi)\b)", re.I)
"""'The dollar rose 0.3% against the yuan': the subject is USD/CNY itself (no sign turned)."""
_FUT_AFTER = re.compile(r"\A(?:'s?|’s?)?\s*(?:index\s+)?(?:stock\s+|equity\s+|index\s+)?(?:futures|e-minis?)\b", re.I)
_FUT_BEFORE = re.compile(r"\bfutures\s+(?:contracts\s+)?(?:on|tied\s+to|tracking|linked\s+to|for)\s+(?:the\s+)?\Z",
                         re.I)


def _mentions(sentence: str, aliases: list[dict]) -> list[_Mention]:
    taken = np.zeros(len(sentence) + 1, dtype=bool)
    found: list[_Mention] = []
    for m in _DOLLAR_YUAN.finditer(sentence):
        y0 = sentence.lower().find(m.group("y").lower(), m.end())
        taken[m.start():m.end()] = True
        taken[y0:y0 + len(m.group("y"))] = True
        found.append(_Mention(m.start(), m.end(), m.group(0), "CNY=X",
                              f"'{m.group(0)}' against the {m.group('y')} is USD/CNY, CNY=X (the dollar's own move)",
                              "high", False))
    for a in aliases:
        for m in a["pattern"].finditer(sentence):
            if taken[m.start():m.end()].any():
                continue
            company = _COMPANY_AFTER.match(sentence[m.end():])
            if company:  # a company's name: taken, so that no shorter phrase inside it is read as the index
                taken[m.start():m.end() + company.end()] = True
                continue
            taken[m.start():m.end()] = True
            end = m.end()
            inst, why = a["instrument"], f"'{m.group(0)}' is {a['instrument'] or 'not in the registry'} (alias table)"
            after = _FUT_AFTER.match(sentence[end:])
            before = _FUT_BEFORE.search(sentence[:m.start()])
            if (after or before) and a["futures"]:
                inst = a["futures"]
                why = f"'{m.group(0)}' with 'futures' is {inst} (alias table: the phrase's futures)"
                if after:
                    end += after.end()
                    taken[m.end():end] = True
            found.append(_Mention(m.start(), end, sentence[m.start():end], inst, why, a["confidence"],
                                  a["invert"] == "yes" and inst == a["instrument"],
                                  "" if inst else (a["note"] or f"{m.group(0)} is not in the registry")))
    found.sort(key=lambda x: x.start)
    return found


# ---------------------------------------------------------------------------------------- figures
_UP = (r"skyrocketed|rocketed|zoomed|leapt|leaped|boosted|boost|popped|pops|"
       r"rose|rises|rising|risen|gained|gains|gaining|climbed|climbs|climbing|jumped|jumps|jumping|advanced|advances|"
       r"advancing|rallied|rallies|rallying|added|adds|adding|surged|surges|surging|soared|soars|spiked|rebounded|"
       r"rebounds|bounced|increased|edged up|ticked up|inched up|firmed|strengthened|appreciated|higher|up|gain|rise|"
       r"jump|rally|advance|surge|climb|positive")
_DOWN = (r"tanked|crashed|cratered|nosedived|losses|"
         r"fell|falls|falling|fallen|dropped|drops|dropping|declined|declines|declining|lost|loses|losing|slid|slides|"
         r"sliding|slipped|slips|tumbled|tumbles|plunged|plunges|plummeted|sank|sinks|sinking|shed|sheds|retreated|"
         r"retreats|eased|eases|weakened|weakens|depreciated|lower|down|decline|drop|fall|loss|slump|slumped|dipped|"
         r"dips|sagged|skidded|retreat|negative|off")
_DIRECTION = re.compile(rf"\b(?:(?P<up>{_UP})|(?P<down>{_DOWN}))\b", re.I)
_FRAC = r"(?:[-\s]\d/(?:2|4|8))"
_NUM = (rf"[+\-−]?\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?{_FRAC}?|[+\-−]?\d+(?:\.\d+)?{_FRAC}?")
_PCT = re.compile(rf"(?<![\w.,])(?P<n>{_NUM})\s?(?:%|percent\b|per\s+cent\b|pct\b)", re.I)
_POINTS = re.compile(rf"(?<![\w.,])(?P<n>{_NUM})\s+(?:index\s+)?(?:points?|cents?)\b", re.I)
_OR_POINTS = re.compile(rf"(?:%|percent|per\s+cent)\)?\s*,?\s*or\s+(?:by\s+)?(?P<n>{_NUM})"
                        r"(?![\d,.]*\s*(?:%|per|points?))", re.I)
_VERB_POINTS = re.compile(rf"\b(?:{_UP}|{_DOWN})\s+(?:by\s+)?(?P<n>\d{{1,3}}(?:,\d{{3}})*(?:\.\d+)?)\s+to\s+"
                          r"(?:a\s+(?:record|new|fresh)\s+)?\$?\d", re.I)
_LEVEL = re.compile(
    r"\b(?P<lead>at|to|of|near|around|above|below|past|over|under|beyond|through|topped|crossed|breached)\s+"
    r"(?P<rec>(?:a|an|its|their)\s+(?:fresh\s+|new\s+)?(?:record|all-time)(?:\s+(?:closing\s+)?(?:high|close|level))?"
    r"\s+(?:of\s+)?)?(?P<cur>[$¥₩€£]|HK\$|US\$)?"
    r"(?P<n>\d{1,3}(?:,\d{3})+,\d\d(?![\d,])|\d{1,3}(?:,\d{3})+(?:\.\d+)?(?:[-\s]\d/[248])?|"
    r"\d+\.\d+(?:[-\s]\d/[248])?|\d{2,})(?![\d,.]*\s*%)"
    r"(?P<unit>\s+(?:yuan\s+)?(?:per|to\s+the|against\s+the|a)\s+(?:U\.?S\.?\s+)?dollar)?", re.I)
_NOT_MARKET = re.compile(r"\A\s*(?:-?\s*)?(?:tariffs?|duty|duties|levy|levies|stake|tax|taxes|interest|chance|"
                         r"probability|of\b|owned|ownership|rate\b|inflation|growth|unemployment|margin|discount|"
                         r"premium|more tariffs?|additional|reciprocal|import|export)", re.I)
_BOUND = re.compile(r"\b(?:over|above|more\s+than|below|under|less\s+than|at\s+least|past|beyond|topped|crossed|"
                    r"breached|nearly|almost|about|around|roughly|some|close\s+to|approximately)\s*$", re.I)
_APPROX = ("nearly", "almost", "about", "around", "roughly", "some", "close to", "approximately")
_RECORD = re.compile(r"\b(?:a|an|its|their|another|fresh|new)\s+(?:fresh\s+|new\s+)?(?:record|all-time)\s*"
                     r"(?:closing\s+)?(?:high|close|level|peak)?\b|\brecord\s+(?:high|close|closing high)\b", re.I)
_FIRST_ABOVE = re.compile(r"\b(?:its|the|a)\s+first\s+close\s+(?:above|over)\s+\$?"
                          r"(?P<n>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)|\bclosed\s+(?:above|over)\s+\$?"
                          r"(?P<n2>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:\s+points)?\s+for\s+the\s+first\s+time", re.I)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_FROM_PEAK = re.compile(r"(?:[\s,]*(?:from|since)|\s+(?:off|below|above))\s+(?:its|their|the|a|an)?\s*"
                        r"(?:[\w'’-]+\s+){0,3}?(?:record|peak|high|low|top|bottom|highs|lows)\b", re.I)
_FROM_WEEKDAY = re.compile(r"[\s,]*(?:from|since)\s+(?:last\s+)?(monday|tuesday|wednesday|thursday|friday)(?:'s|’s)?"
                           r"(?:\s+close)?\b", re.I)
_OTHER_SUBJECT = re.compile(
    r"\b(?:tariffs?|duty|duties|levy|levies|tax(?:es)?|inflation|CPI|PPI|GDP|economy|(?:retail\s+)?sales|exports?|"
    r"imports?|earnings|revenues?|profits?|unemployment|jobless|payrolls|wages|interest\s+rates?|compan(?:y|ies)|"
    r"members|constituents|polls?|approval|voters|survey|production|output|orders|spending|deficit|surplus|"
    r"shares\s+of|stock\s+of|[A-Z][\w.&-]*\s+shares)\b")
"""A subject other than the instrument: a figure after it in the segment is that subject's ("as China
raised tariffs to 84%", "after retail sales rose 1.4%", "Earnings of S&P 500 companies rose 12%",
"while Apple shares lost 5%"), not a market move of the instrument named before."""


@dataclass
class _Figure:
    kind: str  # pct | points | level | bound | record | first-above
    text: str
    value: float
    start: int
    end: int
    qualifier: str = ""
    shown: str = ""
    currency: str = ""


def _value(text: str) -> float:
    """'1,234.5' -> 1234.5; '37,705,74' (a decimal comma, as printed) -> 37705.74; '11.57-1/4' -> 11.5725."""
    t = text.replace("−", "-").strip()
    frac = re.search(r"[-\s](\d)/(\d)$", t)
    extra = 0.0
    if frac:
        t, extra = t[:frac.start()], int(frac.group(1)) / int(frac.group(2))
    if re.fullmatch(r"[+-]?\d{1,3}(?:,\d{3})+,\d\d", t):
        t = t[:-3].replace(",", "") + "." + t[-2:]
    v = float(t.replace(",", ""))
    if extra:  # a fraction of the last quoted unit: 11.57-1/4 is 11.5725, 32-3/4 is 32.75
        unit = 10.0 ** -len(t.split(".", 1)[1]) if "." in t else 1.0
        v += math.copysign(extra * unit, v if v else 1.0)
    return v


def _figures(seg: str) -> list[_Figure]:
    """Every market figure of a sentence segment (an instrument mention to the next one)."""
    used = np.zeros(len(seg) + 1, dtype=bool)
    out: list[_Figure] = []
    for m in _FIRST_ABOVE.finditer(seg):
        n = m.group("n") or m.group("n2")
        out.append(_Figure("first-above", n, _value(n), m.start(), m.end()))
        used[m.start():m.end()] = True
    for rx, kind in ((_PCT, "pct"), (_POINTS, "points")):
        for m in rx.finditer(seg):
            if used[m.start():m.end()].any():
                continue
            if kind == "pct" and _NOT_MARKET.match(seg[m.end():]):
                continue
            if kind == "points" and re.search(r"percentage\s*$|basis\s*$|\b(?:to|at|of)\s+$", seg[:m.start()], re.I):
                continue
            used[m.start():m.end()] = True
            bound = _BOUND.search(seg[:m.start()])
            q = bound.group(0).strip().lower() if bound else ""
            k = kind if (not q or any(q.startswith(a) for a in _APPROX)) else "bound"
            out.append(_Figure(k, m.group("n"), _value(m.group("n")), m.start(), m.end(), q,
                               f"{q} {m.group(0)}".strip()))
    for m in _VERB_POINTS.finditer(seg):  # "rose 285.18 to 34,267.54": the change is in points
        if not used[m.start("n"):m.end("n")].any():
            used[m.start("n"):m.end("n")] = True
            out.append(_Figure("points", m.group("n"), _value(m.group("n")), m.start("n"), m.end("n")))
    for m in _OR_POINTS.finditer(seg):
        if not used[m.start("n"):m.end("n")].any():
            used[m.start("n"):m.end("n")] = True
            out.append(_Figure("points", m.group("n"), _value(m.group("n")), m.start("n"), m.end("n")))
    for m in _LEVEL.finditer(seg):
        n = m.group("n")
        if used[m.start("n"):m.end("n")].any():
            continue
        plain = not (m.group("cur") or m.group("rec") or m.group("unit") or "," in n or "." in n)
        if plain and (_YEAR.fullmatch(n) or len(n) < 3):
            continue
        if re.match(r"\s*(?:million|billion|trillion|tons?|tonnes|bushels|percent|%|times|years?|days?|minutes?)\b",
                    seg[m.end("n"):], re.I):
            continue
        lead = m.group("lead").lower()
        used[m.start():m.end()] = True
        if lead in ("above", "below", "past", "over", "under", "beyond", "topped", "crossed", "breached", "through"):
            out.append(_Figure("bound", n, _value(n), m.start(), m.end(), lead, m.group(0)))
        elif m.group("rec"):
            out.append(_Figure("level", n, _value(n), m.start("n"), m.end(), shown=m.group(0),
                               currency=m.group("cur") or ""))
            out.append(_Figure("record", n, _value(n), m.start(), m.start("n")))
        else:
            out.append(_Figure("level", n, _value(n), m.start(), m.end(), shown=m.group(0),
                               currency=m.group("cur") or ""))
    if not any(f.kind in ("record", "first-above") for f in out):
        r = _RECORD.search(seg)
        if r and re.search(r"\b(?:clos|end|finish|settl|hit|reach|set|notch)", seg, re.I):
            lv = next((f for f in out if f.kind == "level"), None)
            out.append(_Figure("record", lv.text if lv else "", lv.value if lv else math.nan, r.start(), r.end()))
    out.sort(key=lambda f: f.start)
    other = _OTHER_SUBJECT.search(seg)
    if other:
        out = [f for f in out if f.start < other.start()]
    return out


def _sign(seg: str, fig: _Figure) -> int | None:
    """+1/-1 from the direction word nearest the figure in the segment; None when there is none."""
    if fig.text.startswith(("-", "−")):
        return -1
    if fig.text.startswith("+"):
        return 1
    best, sign = None, None
    for m in _DIRECTION.finditer(seg):
        d = fig.start - m.end() if m.end() <= fig.start else m.start() - fig.end + 0.5
        if d < 0:
            continue
        if best is None or d < best:
            best, sign = d, (1 if m.group("up") else -1)
    return sign


# ------------------------------------------------------------------------------------------- time
@dataclass
class _When:
    """What a sentence says about time: a day, a part of the day, a period."""

    day: pd.Timestamp | None = None
    day_words: str = ""
    part: str = ""  # close | midday | open | early | after | premarket | clock
    part_words: str = ""
    clock: tuple[int, int, str] | None = None  # hh, mm, zone
    period: str = ""  # ytd | week | lastweek | month
    period_words: str = ""
    month: tuple[int, int] | None = None
    year: int | None = None
    unresolved: str = ""  # a relative day word with no publication date
    weekday: int | None = None  # the weekday named (0 = Monday), resolved again in the market's zone
    parts: tuple = ()  # every (start, part, words) of the sentence: a figure takes the nearest one


def _part_near(when: _When, at: int) -> _When:
    """``when`` with the part of the day nearest before sentence position ``at`` (else nearest after):
    "opened higher ... finishing up 0.8%" is a close, "closed up 1% after opening 2% higher" two."""
    if len(when.parts) < 2:
        return when
    before = [p for p in when.parts if p[0] <= at]
    start, part, words = before[-1] if before else when.parts[0]
    return dataclasses.replace(when, part=part, part_words=words)


def _published_day(published: pd.Timestamp | None) -> pd.Timestamp | None:
    if published is None:
        return None
    return pd.Timestamp(published.year, published.month, published.day)


def _read_when(s: str, published: pd.Timestamp | None) -> _When:
    w = _When()
    pub = _published_day(published)
    dates = re.finditer(rf"\b(?:on\s+)?{_MONTH_RE}\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+((?:19|20)\d\d))?\b",
                        s, re.I)
    m = next((d for d in dates  # "since Sept. 3", "from Oct. 27": a base or a comparison, not the claim's day
              if not re.search(r"\b(?:since|from|than|until|till|before)\s+$", s[:d.start()], re.I)), None)
    if m:
        month = _MONTHS[next(k for k in _MONTHS if k.startswith(m.group(1).lower()[:3]))]
        year = int(m.group(3)) if m.group(3) else (pub.year if pub is not None else None)
        if year is not None:
            try:
                d = pd.Timestamp(year, month, int(m.group(2)))
            except ValueError:
                d = None
            if d is not None and pub is not None and not m.group(3) and d > pub:
                d = pd.Timestamp(year - 1, month, int(m.group(2)))
            if d is not None and (pub is None or d <= pub):
                w.day, w.day_words = d, m.group(0).strip()
        else:
            w.unresolved = m.group(0).strip()
    if w.day is None:
        m = re.search(r"\b(today|this morning|this afternoon|this evening|tonight|yesterday|last night)\b", s, re.I)
        wd = re.search(r"(?<!from\s)(?<!since\s)(?<!than\s)(?<!with\s)\b(?:(?:on|late|early|last)\s+)?"
                       r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday)(?!'s\s+(?:close|level|finish))"
                       r"(?:'s|’s)?\b", s, re.I)
        if m or wd:
            words = (m or wd).group(0)
            if pub is None:
                w.unresolved = words
            elif m:
                back = 1 if m.group(1).lower() in ("yesterday", "last night") else 0
                w.day, w.day_words = pub - pd.Timedelta(days=back), words
            else:
                k = _WEEKDAYS.index(wd.group(1).lower())
                w.day, w.day_words, w.weekday = pub - pd.Timedelta(days=(pub.day_of_week - k) % 7), words, k
    clock = re.search(r"\b(\d{1,2})(?::(\d{2}))?\s*(a\.?m\.?|p\.?m\.?)\s*(?:\(?\s*(ET|EDT|EST|CT|CDT|CST|GMT|UTC|BST|"
                      r"AEDT|AEST|"
                      r"CET|CEST|JST|KST|HKT|SGT|Beijing time)\b)?", s, re.I)
    if clock is None:
        clock = re.search(r"\b([01]?\d|2[0-3]):([0-5]\d)\s*(?:hrs\s+)?"
                          r"(ET|EDT|EST|CT|GMT|UTC|BST|JST|KST|HKT|SGT|AEDT)\b", s)
        if clock:
            w.clock = (int(clock.group(1)), int(clock.group(2)), _ZONES[clock.group(3).lower()])
    else:
        hh = int(clock.group(1)) % 12 + (12 if clock.group(3).lower().startswith("p") else 0)
        zone = _ZONES.get((clock.group(4) or "").lower(), "")
        w.clock = (hh, int(clock.group(2) or 0), zone)
    if w.clock:
        w.part, w.part_words = "clock", clock.group(0)
    else:
        found = []
        for part, rx in (
            ("midday", r"\b(?:by|at|around|near|until|before|through|in)\s+(?:the\s+)?(?:midday|noon|lunch(?:time)?|"
                       r"lunch\s+break|midday\s+break|morning\s+session|morning\s+trade|morning\s+trading)\b|\bmidday\b"),
            ("early", r"\bin\s+early\s+(?:trade|trading|deals|dealings|hours)\b|\bearly\s+in\s+the\s+session\b|"
                      r"\bshortly\s+after\s+the\s+open(?:ing)?(?:\s+bell)?\b|\bafter\s+the\s+opening\s+bell\b"),
            ("open", r"\bat\s+the\s+open(?:ing)?(?:\s+bell)?\b|\bopened\b|\bat\s+the\s+start\s+of\s+trad(?:e|ing)\b"),
            ("first", r"\b(?:within|in|during)\s+the\s+first\s+(\d+)\s+minutes\s+of\s+"
                      r"(?:trade|trading|the\s+session)\b"),
            ("after", r"\bafter[\s-]hours\b|\bextended[\s-](?:hours|trading)\b|\bevening\b|\btonight\b|"
                      r"\blate\s+(?:on\s+)?(?:monday|tuesday|wednesday|thursday|friday|sunday)\b|\bsunday\s+night\b"),
            ("premarket", r"\bpre-?market\b|\bbefore\s+the\s+(?:opening\s+)?bell\b|\bovernight\b|"
                          r"\bearly\s+(?:monday|tuesday|wednesday|thursday|friday)\b"),
            ("close", r"\b(?:closed|closing|ended|ending|finished|finishing|settled|settling|at\s+the\s+close|"
                      r"by\s+the\s+close|at\s+the\s+end\s+of\s+"
                      r"(?:trading|the\s+session|the\s+day)|for\s+the\s+day|on\s+the\s+day)\b"),
        ):
            for m in re.finditer(rx, s, re.I):
                found.append((m.start(), f"first{m.group(1)}" if part == "first" else part, m.group(0)))
        if found:  # the first kind in the order above, unless a figure is nearer another (see _part_near)
            w.part, w.part_words = found[0][1], found[0][2]
            w.parts = tuple(sorted(found))
    w.period, w.period_words, w.month, w.year = _read_period(s, pub, w.day)
    if w.period == "unresolved":
        w.unresolved, w.period = w.unresolved or w.period_words, ""
    return w


_QUARTERS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}


def _read_period(s: str, pub: pd.Timestamp | None, day: pd.Timestamp | None):
    """(period, words, month, year) a text names: ``ytd`` (to date; ``year`` = a past calendar
    year's full-year figure), ``week``/``lastweek``, ``month`` (``month`` = (year, month)),
    ``quarter`` (``month`` = (year, first month)), ``unresolved`` (needs the publication date) or ``""``."""
    pub = _published_day(pub)
    m = re.search(r"\bso\s+far\s+in\s+((?:19|20)\d\d)\b|\bsince\s+the\s+(?:start|beginning)\s+of\s+((?:19|20)\d\d)\b|"
                  r"\b(?:in|for|during)\s+((?:19|20)\d\d)\b", s, re.I) or \
        re.search(r"\byear[\s-]to[\s-]date\b|\bYTD\b|\bso\s+far\s+(?:this\s+year|in\s+((?:19|20)\d\d))\b|"
                  r"\bthis\s+year\b|\bsince\s+the\s+(?:start|beginning)\s+of\s+(?:the\s+year|((?:19|20)\d\d))\b|"
                  r"\b(?:in|for|during)\s+((?:19|20)\d\d)\b|\bfor\s+the\s+year\b|\bannual\s+(?:gain|loss|rise|fall|decline)\b",
                  s, re.I)
    if m:
        year = next((int(g) for g in m.groups() if g), None)
        if year is None or pub is None or year == pub.year or (day is not None and year == day.year):
            return "ytd", m.group(0), None, year
        if year < pub.year:
            return "year", m.group(0), None, year
    m = re.search(r"\b(last\s+week|the\s+previous\s+week|this\s+week|for\s+the\s+week|on\s+the\s+week|"
                  r"(?:second|third|fourth|fifth|sixth|\d+(?:st|nd|rd|th))\s+(?:consecutive|straight)\s+week|"
                  r"weekly|week-to-date|week\s+to\s+date)\b", s, re.I)
    if m:
        last = re.match(r"last|the previous", m.group(1), re.I)
        return ("lastweek" if last else "week"), m.group(1), None, None
    m = re.search(r"\b(first|1st|second|2nd|third|3rd|fourth|4th)\s+quarter\b|\bQ([1-4])\b", s, re.I)
    if m:
        if pub is None:
            return "unresolved", m.group(0), None, None
        q = _QUARTERS[m.group(1).lower()] if m.group(1) else int(m.group(2))
        y = pub.year if pd.Timestamp(pub.year, 3 * q - 2, 1) <= pub else pub.year - 1
        return "quarter", m.group(0), (y, 3 * q - 2), None
    m = re.search(rf"\b(last\s+month|this\s+month|for\s+the\s+month|month[\s-]to[\s-]date|"
                  rf"(?:in|for|during)\s+(?:the\s+month\s+of\s+)?{_MONTH_RE}\b(?!\.?\s+\d))", s, re.I)
    if m:
        if pub is None:
            return "unresolved", m.group(0), None, None
        words = m.group(1).lower()
        if words.startswith("last"):
            first = pub.replace(day=1) - pd.Timedelta(days=1)
            month = (first.year, first.month)
        elif words.startswith(("this", "for the month", "month")):
            month = (pub.year, pub.month)
        else:
            mon = _MONTHS[next(k for k in _MONTHS if k.startswith(m.group(2).lower()[:3]))]
            month = (pub.year if mon <= pub.month else pub.year - 1, mon)
        return "month", m.group(0), month, None
    return "", "", None, None


# ----------------------------------------------------------------------------------------- drafting
_NEW_SUBJECT = re.compile(
    r"(?:;|,?\s+(?:while|and|but|whereas|as|with))\s+(?:the\s+)?"
    rf"(?!(?:{'|'.join(w.capitalize() for w in _WEEKDAYS)}|(?i:{_MONTH_RE}))\b)"
    r"(?!U\.S\.)[A-Z][\w&'.-]*")
_PRESENT = re.compile(r"\b(?:is|are|has|have)\s+(?:still\s+|now\s+|so\s+far\s+|already\s+)?(?:up|down|higher|lower|"
                      r"gained|lost|risen|fallen|climbed|dropped|declined|added|shed|rallied|slipped|slumped|"
                      r"jumped|tumbled|surged|sunk|sank)\b", re.I)
"""A figure in the present tense ("the index is still down 3.1% this year") is as of publication,
not of the last day the article named ("entered a bear market on April 4")."""
_ANAPHORA = re.compile(r"\b(?:the|that)\s+(?:index|benchmark|gauge|benchmark\s+index)\b(?!\s+(?:of|for)\b)", re.I)


@dataclass
class _Context:
    last: _Mention | None = None
    day: pd.Timestamp | None = None
    day_words: str = ""
    prev_part: str = ""
    prev_part_words: str = ""
    prev_clock: tuple | None = None


@dataclass
class ArticleClaims:
    """An article's drafted claims and, unless only drafted, their check.

    Attributes
    ----------
    drafts : pandas.DataFrame
        One row per claim found, columns :data:`DRAFT_COLUMNS`, in the article's order.
    checked : pandas.DataFrame or None
        :func:`~eventstudy.claims.check_claims`' result for the placed rows, and a row with the
        verdict ``unplaced`` (its reason in ``detail``) for each unplaced one, in the drafts' order;
        None for drafts only.
    published : pandas.Timestamp or None
        The publication instant (or day) the relative words were resolved against.
    published_from : str
        Where it came from: ``"argument"``, ``"the page"``, or ``""`` when unknown.
    """

    drafts: pd.DataFrame
    checked: pd.DataFrame | None = None
    published: pd.Timestamp | None = None
    published_from: str = ""
    source: str = "article"

    def check(self, prices=None, *, proxies=None, **check) -> pd.DataFrame:
        """Check the drafts against prices: the placed rows by :func:`~eventstudy.claims.check_claims`,
        each unplaced one kept with the verdict ``unplaced`` (its reason in ``detail``).

        Parameters
        ----------
        prices : PriceSource, optional
            Prices to check against; None for the bundled snapshot.
        proxies : pandas.DataFrame or str or os.PathLike, optional
            The proxies table; None for the bundled one.
        **check
            Passed to :func:`~eventstudy.claims.check_claims` (e.g. ``on_fetch_error``).

        Returns
        -------
        pandas.DataFrame
            The result, one row per draft in the drafts' order; also stored in :attr:`checked`.
        """
        from ..assets import REGISTRY
        from .check import check_claims, claims_frame

        placed = self.drafts.loc[self.drafts["status"] == "placed", "instrument"]
        known = set(REGISTRY) | set(placed)  # a placed instrument outside the registry has prices
        self.checked = check_claims(claims_frame(self.drafts, label=self.source, instruments=known), prices,
                                    proxies=proxies, **check)
        return self.checked

    def claims_rows(self) -> pd.DataFrame:
        """The placed drafts as claims-file rows (the columns of ``claims.csv``), ready to append
        to a claims file once reviewed.

        Returns
        -------
        pandas.DataFrame
        """
        from .check import COLUMNS

        placed = self.drafts[self.drafts["status"] == "placed"]
        return placed[[c for c in COLUMNS if c in placed.columns]].reset_index(drop=True)


def _parse_published(published) -> pd.Timestamp | None:
    if published is None or (isinstance(published, str) and not published.strip()):
        return None
    if isinstance(published, str) and re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", published):
        return pd.Timestamp(published.strip())  # a day: weekdays resolve, no instant
    try:
        ts = pd.Timestamp(published)
    except (ValueError, TypeError):
        raise SpecificationError(f"published={published!r} is not an ISO 8601 date or instant; give e.g. "
                                 "2025-05-06T20:15:00-04:00, or 2025-05-06 for the day only") from None
    if ts.tzinfo is None and (ts.hour or ts.minute or ts.second):
        raise SpecificationError(
            f"published={published!r} has no UTC offset (a naive time would be read as UTC); write it with its "
            f"offset, e.g. {ts:%Y-%m-%dT%H:%M:%S}-04:00 for US Eastern summer time, or give only the date")
    return ts


def _slug(ticker: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", ticker.lower().replace("=f", "f")) or "x"


_BASIS_SHORT = {"close-to-close": "cc", "year-to-date": "ytd", "price-level": "level", "intraday": "intraday",
                "after-hours-futures": "ah", "record-close": "record", "first-close-above": "first-above",
                "": "unplaced"}


def draft_claims(text: str, *, published=None, source: str = "article", aliases=None, proxies=None,
                 prices=None) -> pd.DataFrame:
    """Find the article's market claims and draft a claims row for each, placed in time.

    Parameters
    ----------
    text : str
        The article's text, one paragraph per line (:func:`article_text` makes it from HTML or
        Markdown).
    published : str or pandas.Timestamp, optional
        When the article was published: an ISO 8601 instant with its UTC offset, or a date.
        Weekdays, "yesterday", "last week" and a date without a year are resolved against it;
        without it such claims are ``unplaced``.
    source : str, default "article"
        The ``source`` of every row (the file name); it also prefixes the claim ids.
    aliases : pandas.DataFrame or str or os.PathLike, optional
        The alias table (:func:`load_aliases`); None for the bundled one.
    proxies : pandas.DataFrame or str or os.PathLike, optional
        The proxies table (:func:`~eventstudy.claims.load_proxies`); None for the bundled one. A
        placed move claim whose instrument has a proxy there names the first one in ``proxy``
        (measured only when the instrument's own prices are missing).
    prices : PriceSource, optional
        Where an instrument outside the asset registry (named by your own alias table) finds its
        sessions: the dates of its daily prices there. Such an instrument has no exchange hours,
        so only its closes can be placed (a time of day is ``unplaced``). None: registry only.

    Returns
    -------
    pandas.DataFrame
        One row per claim found, in the article's order, columns :data:`DRAFT_COLUMNS`. A placed
        row is a valid claims-file row; an unplaced one gives its ``reason``.

    Raises
    ------
    SpecificationError
        If ``published`` is not a date or an instant with a UTC offset.
    ArticleError
        If the alias file cannot be read.
    """
    assets = _Assets(prices)

    pub = _parse_published(published)
    table = (aliases if isinstance(aliases, pd.DataFrame) else load_aliases(aliases)).to_dict("records") \
        if aliases is not None else _bundled_aliases()
    prefix = re.sub(r"[^A-Za-z0-9]+", "-", Path(source).stem)[:24].strip("-") or "article"
    rows: list[dict] = []
    ctx = _Context()
    prev_market = False
    for para in text.split("\n"):
        for sent in _sentences(para):
            when = _read_when(sent, pub)
            mentions = _mentions(sent, table)
            back = _ANAPHORA.search(sent) if not mentions else None
            if back and ctx.last is not None:  # "The index closed at ...": the instrument of the sentence before
                m0 = ctx.last
                mentions = [_Mention(back.start(), back.end(), back.group(0), m0.instrument,
                                     f"'{back.group(0)}' = {m0.instrument}, '{m0.text}' of the sentence before",
                                     "medium", m0.invert, m0.unsupported)]
            ctx.last = mentions[-1] if mentions else (ctx.last if back else None)
            market = bool(mentions) or bool(re.search(r"\b(?:stocks?|shares|index|indices|futures|markets?)\b", sent,
                                                      re.I))
            inherited = ""
            if not when.part and ctx.prev_part and prev_market and market:
                # the time of day of the sentence before ("... in after-hours trading. Dow futures were up ...")
                when.part, when.clock, inherited = ctx.prev_part, ctx.prev_clock, ctx.prev_part_words
                when.part_words = ctx.prev_part_words
            found = []
            for i, men in enumerate(mentions):
                seg_end = mentions[i + 1].start if i + 1 < len(mentions) else len(sent)
                seg = sent[men.start:seg_end]
                cut = _NEW_SUBJECT.search(seg, len(men.text))
                if cut:  # "...; Apple fell 5%": what follows is about another subject
                    seg = seg[:cut.start()]
                # figures of the segment, positions relative to the segment
                figs = [f for f in _figures(seg[len(men.text):])]
                for f in figs:
                    f.start += len(men.text)
                    f.end += len(men.text)
                found.append((men, seg, figs))
            for men, seg, figs in found:
                if not figs:
                    continue
                rows.extend(_draft_rows(men, seg, figs, sent, when, ctx, pub, source, assets, inherited))
            # loose figures: a market sentence with a moving figure and no instrument named
            if not mentions and market and _PCT.search(sent) and _DIRECTION.search(sent):
                figs = [f for f in _figures(sent) if f.kind in ("pct", "points")]
                if figs and re.search(r"\b(?:stocks?|shares|index|indices|futures)\b", sent, re.I):
                    rows.append(_unplaced_row(source, sent, sent[:160], "", "",
                                              "a market figure with no instrument named (which index, ETF or "
                                              "futures?): write the row by hand", ""))
            if when.day is not None:
                ctx.day, ctx.day_words = when.day, when.day_words
            last_part = _part_near(when, len(sent))
            ctx.prev_part = last_part.part if (market and last_part.part not in ("", "close")) else ""
            when = last_part
            ctx.prev_part_words = when.part_words if ctx.prev_part else ""
            ctx.prev_clock = when.clock if ctx.prev_part == "clock" else None
            prev_market = market
    out = pd.DataFrame(rows, columns=DRAFT_COLUMNS)
    if len(out):
        from .check import PROXY_BASES
        from .proxies import load_proxies

        first_proxy = _first_proxies(proxies if isinstance(proxies, pd.DataFrame) else load_proxies(proxies)) \
            if proxies is not None else _bundled_first_proxies()
        has = (out["status"] == "placed") & out["basis"].isin(PROXY_BASES) & out["instrument"].isin(first_proxy.index)
        out.loc[has, "proxy"] = out.loc[has, "instrument"].map(first_proxy)
    # unique ids in article order
    seen: dict[str, int] = {}
    ids = []
    for k, r in enumerate(out.itertuples(index=False), start=1):
        base = f"{prefix}-{k:02d}-{_slug(r.instrument or r.mention or 'none')}-{_BASIS_SHORT.get(r.basis, 'x')}"
        seen[base] = seen.get(base, 0) + 1
        ids.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    out["claim_id"] = ids
    return out.fillna("").astype(str) if len(out) else out


def _unplaced_row(source, sentence, quote, instrument, mention, reason, why_instrument) -> dict:
    return {"claim_id": "", "source": source, "quote": quote, "instrument": instrument, "basis": "", "start": "",
            "end": "", "reported_pct": "", "reported_level": "", "reported_points": "", "tolerance_pct": "",
            "proxy": "", "notes": "", "status": "unplaced", "confidence": "", "sentence": sentence, "mention": mention,
            "why_instrument": why_instrument, "why_time": "", "reason": reason}


def _fmt_num(x: float, like: str) -> str:
    """``x`` with as many decimals as the article's figure ``like`` (at least as written)."""
    t = like.replace(",", "").lstrip("+-−")
    dec = len(t.split(".", 1)[1]) if "." in t else 0
    return f"{x:.{dec}f}"


class _Unplaced(Exception):
    """A claim that cannot be placed; args[0] says why."""


def _move_groups(seg: str, figs: list[_Figure]) -> list[dict]:
    """The figures of a segment as claims: a percentage with the points said beside it ("270 points,
    or 0.7%"), and a level with the move it ends ("rose 0.5% to 46,758.28"); each with its own text
    span, so that "dipped 0.3% ... but climbed 1.3% weekly" are two claims over two periods."""
    groups: list[dict] = []
    for f in figs:
        last = groups[-1] if groups else None
        between = seg[last["end"]:f.start] if last else ""
        near = bool(last) and re.fullmatch(r"[\s,()]*(?:or|and)?[\s,()]*(?:by\s+)?", between) is not None
        if f.kind in ("pct", "points"):
            other = "pts" if f.kind == "pct" else "pct"
            mine = "pct" if f.kind == "pct" else "pts"
            if last and last[mine] is None and last[other] is not None and last["level"] is None and near:
                last[mine], last["end"] = f, f.end
            else:
                groups.append({"pct": f if f.kind == "pct" else None, "pts": f if f.kind == "points" else None,
                               "level": None, "start": f.start, "end": f.end})
        elif f.kind == "level":
            if last and last["level"] is None and (last["pct"] or last["pts"]) and len(between) < 60:
                last["level"], last["end"] = f, f.end
            else:
                groups.append({"pct": None, "pts": None, "level": f, "start": f.start, "end": f.end})
    return groups


def _draft_rows(men: _Mention, seg: str, figs: list[_Figure], sentence: str, when: _When, ctx: _Context,
                pub, source, assets: _Assets, inherited: str) -> list[dict]:
    last = max((f.end for f in figs), default=len(seg))
    tail = re.match(r"(?:(?!\s+(?:and|while|whereas|but|as)\b)[^,;.])*", seg[last:])  # the figure's own words
    quote = re.sub(r"[\s,;:]+(?:and|while|whereas|but|with|as)?[\s,;:]*$", "",
                   (seg[:last] + (tail.group(0) if tail else "")).strip())[:200]
    base = {"claim_id": "", "source": source, "quote": quote, "instrument": men.instrument, "basis": "", "start": "",
            "end": "", "reported_pct": "", "reported_level": "", "reported_points": "", "tolerance_pct": "",
            "proxy": "", "notes": "", "status": "placed", "confidence": "", "sentence": sentence, "mention": men.text,
            "why_instrument": men.why, "why_time": "", "reason": ""}
    if men.unsupported:
        return [{**base, "status": "unplaced", "reason": men.unsupported}]
    asset, why_not = assets.get(men.instrument)
    if asset is None:
        return [{**base, "status": "unplaced", "reason": why_not}]
    try:
        tense = _PRESENT.search(seg)
        place = _Placer(asset, men.instrument, when, ctx, pub, inherited, present=tense.group(0) if tense else "")
    except _Unplaced as exc:
        return [{**base, "status": "unplaced", "reason": exc.args[0]}]
    groups = _move_groups(seg, figs)
    rec = next((f for f in figs if f.kind == "record"), None)
    first = next((f for f in figs if f.kind == "first-above"), None)
    bound = next((f for f in figs if f.kind == "bound"), None)
    cents = asset.currency == "USc"
    rows: list[dict] = []
    for k, g in enumerate(groups):
        lo = groups[k - 1]["end"] if k else 0
        hi = groups[k + 1]["start"] if k + 1 < len(groups) else len(seg)
        local = _read_period(seg[lo:hi], pub, when.day)
        if local[0] == "unresolved":
            rows.append({**base, "status": "unplaced", "reason": f"'{local[1]}' needs the publication date: pass "
                                                                  "published (--published)"})
            continue
        if not local[0] and when.period and len(groups) > 1:
            others = "".join(seg[(groups[j - 1]["end"] if j else 0):(groups[j + 1]["start"] if j + 1 < len(groups)
                                                                   else len(seg))]
                             for j in range(len(groups)) if j != k)
            local = ("", "", None, None) if when.period_words in others else \
                (when.period, when.period_words, when.month, when.year)
        elif not local[0]:
            local = (when.period, when.period_words, when.month, when.year)
        gp = place
        try:
            if len(when.parts) > 1:  # several parts of the day named: this figure's is the nearest
                fig0 = g["pct"] or g["pts"] or g["level"]
                gp = _Placer(asset, men.instrument, _part_near(when, men.start + fig0.start), ctx, pub, inherited,
                             present=tense.group(0) if tense else "")
            timing, why_time, conf, tnotes = gp.timing(*local)
        except _Unplaced as exc:
            rows.append({**base, "status": "unplaced", "reason": exc.args[0], "why_time": gp.day_why})
            continue
        notes = list(tnotes)
        approx = [f.qualifier for f in (g["pct"], g["pts"], g["level"]) if f is not None and f.qualifier]
        if approx:
            notes.append(f"an approximate figure ('{approx[0]}'): checked against half a unit of its last digit")
        pct, pts, lvl = g["pct"], g["pts"], g["level"]
        if pct is not None or pts is not None:
            after = seg[g["end"]:]
            peak = _FROM_PEAK.match(after)
            if peak:
                rows.append({**base, "status": "unplaced", "why_time": why_time,
                             "reason": f"a move measured '{peak.group(0).strip(' ,')}', not from the previous "
                                       "close: write the row by hand with that base"})
                continue
            since = _FROM_WEEKDAY.match(after)
            if since and timing["basis"] in ("close-to-close", "intraday", "after-hours-futures"):
                k = _WEEKDAYS.index(since.group(1).lower())
                end_day = pd.Timestamp(timing["end"][:10])
                base_day = end_day - pd.Timedelta(days=(end_day.day_of_week - k) % 7 or 7)
                if not place.is_session(base_day):
                    rows.append({**base, "status": "unplaced", "why_time": why_time,
                                 "reason": f"'{since.group(0).strip(' ,')}' = {base_day:%a %Y-%m-%d}, not a "
                                           f"{place.cal} session: no close to measure from"})
                    continue
                timing = {**timing, "start": f"{base_day:%Y-%m-%d}"}
                why_time += f"; '{since.group(0).strip(' ,')}': from the {base_day:%Y-%m-%d} close"
            sign = _sign(seg, pct or pts)
            if sign is None:
                rows.append({**base, "status": "unplaced", "why_time": why_time,
                             "reason": "no direction word (rose, fell, higher, lower ...) for the figure: its sign "
                                       "is unknown"})
                continue
            move = {}
            if pct is not None:
                p = sign * abs(pct.value)
                if men.invert:
                    conv = 100.0 * (1.0 / (1.0 + p / 100.0) - 1.0)
                    notes.append(f"the article's {p:+g} % for '{men.text}' is {conv:+.4f} % of {men.instrument} "
                                 f"(1/(1{p / 100:+g}) - 1): a {'stronger' if p > 0 else 'weaker'} yuan is a "
                                 f"{'fall' if p > 0 else 'rise'} of USD/CNY; tolerance kept at the article's digits")
                    move["reported_pct"] = f"{conv:.4f}"
                    move["tolerance_pct"] = f"{0.5 * 10.0 ** -_decimals(pct.text):g}"
                else:
                    move["reported_pct"] = _fmt_num(p, pct.text)
            if pts is not None:
                move["reported_points"] = _fmt_num(sign * abs(pts.value), re.sub(r"[-\s]\d/\d$", ".00", pts.text))
            rows.append({**base, **timing, **move, "confidence": conf, "why_time": why_time,
                         "notes": "; ".join(notes)})
        if lvl is not None:
            value = lvl.value
            if cents and lvl.currency in ("$", "US$"):
                value *= 100.0
                notes.append(f"${_fmt_num(lvl.value, '0.0000')} is {value:g} US cents, {men.instrument}'s unit")
            end = timing["end"]
            rows.append({**base, "basis": "price-level", "start": "", "end": end,
                         "reported_level": f"{value:.10g}", "confidence": conf,
                         "why_time": why_time + ("; the level at that close" if "T" not in end else
                                                 "; the level at that instant"), "notes": "; ".join(notes)})
    if rec is not None or first is not None or (bound is not None and not rows):
        try:
            timing, why_time, conf, tnotes = place.timing(when.period if when.period != "ytd" else "", "", when.month,
                                                          when.year)
        except _Unplaced as exc:
            return rows + [{**base, "status": "unplaced", "reason": exc.args[0], "why_time": place.day_why}]
        end = timing["end"][:10]
        if rec is not None:
            rows.append({**base, "basis": "record-close", "start": "", "end": end, "confidence": conf,
                         "why_time": why_time + "; a record: the highest close in the data up to that session",
                         "notes": "; ".join(tnotes)})
        if first is not None:
            rows.append({**base, "basis": "first-close-above", "start": "", "end": end,
                         "reported_level": f"{first.value:.10g}", "confidence": conf,
                         "why_time": why_time + f"; the first close above {first.text}", "notes": "; ".join(tnotes)})
        if bound is not None and not rows:
            return [{**base, "status": "unplaced", "why_time": why_time,
                     "reason": f"a bound ('{bound.shown}'), not a figure: the checker compares figures"}]
    return rows


@dataclass(frozen=True)
class _DataAsset:
    """An instrument outside the registry: sessions from the dates of its prices, no exchange hours."""

    ticker: str
    sessions: object  # SessionTable
    kind: str = "data"
    currency: str = ""

    @property
    def tz(self) -> str:
        return self.sessions.tz

    @property
    def calendar(self) -> str:
        return self.sessions.calendar


class _Assets:
    """The registry's assets, and the others' sessions from the dates of their prices in ``prices``."""

    def __init__(self, prices=None):
        from ..assets import REGISTRY

        self.registry, self.prices, self.seen = REGISTRY, prices, {}

    def get(self, ticker: str):
        """(asset, "") or (None, why it cannot be placed)."""
        if ticker in self.registry:
            return self.registry[ticker], ""
        if ticker not in self.seen:
            from ..assets import sessions_for
            from ..errors import EventStudyError

            if self.prices is None:
                self.seen[ticker] = (None, f"{ticker} is not in the asset registry: its sessions are unknown to the "
                                           "reader; give its prices (--prices) so that its dates are its sessions")
            else:
                try:
                    dates = self.prices.daily([ticker])["date"]
                    self.seen[ticker] = (_DataAsset(ticker, sessions_for(ticker, dates)), "")
                except EventStudyError as exc:
                    self.seen[ticker] = (None, f"{ticker} is not in the asset registry and has no daily prices in the "
                                               f"{self.prices.name} source to take its sessions from ({exc})")
        return self.seen[ticker]


class _Placer:
    """Places a claim on one instrument's sessions: the day, then the window of each period."""

    def __init__(self, asset, ticker: str, when: _When, ctx: _Context, pub, inherited: str, present: str = ""):
        self.asset, self.ticker, self.when, self.pub = asset, ticker, when, pub
        table = asset.sessions
        self.sessions, self.opens, self.closes = table.sessions, table.opens, table.price_instants
        self.cal, self.tz, self.fut = asset.calendar, asset.tz, asset.kind == "future"
        day, day_why, conf = when.day, "", "high"
        if when.unresolved and day is None:
            raise _Unplaced(f"'{when.unresolved}' needs the publication date: pass published (--published), e.g. "
                            "2025-05-06T20:00:00-04:00")
        self.day_said = day is not None  # the sentence names its own day
        if day is not None and when.weekday is not None and pub is not None and pub.tzinfo is not None:
            # a weekday is the market's: "Tokyo stocks fell on Tuesday" published Monday 23:00 in New York
            # (Tuesday 12:00 in Tokyo) is Tokyo's Tuesday, resolved against publication in the market's zone
            local = _published_day(pub.tz_convert(self.tz))
            day = local - pd.Timedelta(days=(local.day_of_week - when.weekday) % 7)
            day_why = (f"'{when.day_words}' = {day:%a %Y-%m-%d} (the week of publication {local:%a %Y-%m-%d} in "
                       f"{self.tz}, the market's zone)")
        elif day is not None:
            day_why = f"'{when.day_words}' = {day:%a %Y-%m-%d}" + (
                f" (the week of publication {pub:%a %Y-%m-%d})" if pub is not None
                and not re.search(r"\d", when.day_words) else "")
        elif ctx.day is not None and present:
            day_why = f"'{present}', in the present tense: as of publication, not the article's last day"
        elif ctx.day is not None:
            day, conf = ctx.day, "medium"
            day_why = f"no day in the sentence: the article's last, '{ctx.day_words}' = {day:%a %Y-%m-%d}"
        part, clock = when.part, when.clock
        if part == "premarket" and not self.fut and re.search(r"overnight", when.part_words, re.I):
            part = ""  # an index 'overnight' (an Asian report on the US session) is its last close
        self.said = f"'{when.part_words}'" + (" (the sentence before)" if inherited else "")
        if inherited:
            conf = "medium"
        if day is None and pub is None and when.period not in ("month", "quarter"):
            raise _Unplaced("no day in the article's words and no publication date: pass published (--published)")
        first, last = self.sessions[0], self.sessions[-1]
        data = asset.kind == "data"  # sessions = the price dates: publication may come after the last one
        for what, d in (("the day", day), ("the publication date", _published_day(pub))):
            if d is not None and not (first <= d <= last) and not (data and what != "the day" and d > last):
                where = f"{ticker}'s price dates" if data else f"the {self.cal} sessions the toolkit knows"
                raise _Unplaced(f"{what} {d:%Y-%m-%d} is outside {where} ({first:%Y-%m-%d} to {last:%Y-%m-%d}): "
                                "write the row by hand")
        self.live = False
        if part == "" and pub is not None and pub.tzinfo is not None and not when.period:
            # no time of day and a session still open at publication: the figure is live, read at publication
            i = int(np.searchsorted(self.closes.asi8, pub.tz_convert("UTC").as_unit("ns").value, side="right"))
            if i < len(self.sessions) and self.opens[i] <= pub and (day is None or self.sessions[i] == day):
                self.live, day = True, self.sessions[i]
                day_why = (f"{day_why + '; ' if day_why else ''}the {self.cal} session of {day:%Y-%m-%d} was open at "
                           f"publication ({pub.isoformat()}): the figure is read at that instant")
                conf = "low" if not when.day_words else "medium"
        if day is None and part not in ("", "close") and not when.period:  # a time of day: publication's day
            day = _published_day(pub)
            day_why = f"no day in the article: the publication date {day:%a %Y-%m-%d}"
            conf = "low"
        if day is None and pub is not None:  # only the publication date: the last session closed at publication
            if pub.tzinfo is not None:
                day = self.last_closed(pub)
                day_why = ((f"{day_why}: " if day_why else "no day in the article: ")
                           + f"the last {ticker} session closed at publication ({pub.isoformat()}) = {day:%a %Y-%m-%d}")
            else:
                day = _published_day(pub)
                day_why = f"no day in the article: the publication date {day:%a %Y-%m-%d}"
            conf = "low"
        self.day, self.day_why, self.conf, self.part, self.clock = day, day_why, conf, part, clock

    def last_closed(self, t: pd.Timestamp) -> pd.Timestamp | None:
        i = int(np.searchsorted(self.closes.asi8, t.tz_convert("UTC").as_unit("ns").value, side="right")) - 1
        return self.sessions[i] if i >= 0 else None

    def prev_session(self, d: pd.Timestamp) -> pd.Timestamp | None:
        i = int(np.searchsorted(self.sessions.asi8, d.as_unit("ns").value, side="left")) - 1
        return self.sessions[i] if i >= 0 else None

    def is_session(self, d: pd.Timestamp) -> bool:
        i = int(np.searchsorted(self.sessions.asi8, d.as_unit("ns").value, side="left"))
        return i < len(self.sessions) and self.sessions[i] == d

    def closed_by_publication(self, session: pd.Timestamp, what: str) -> None:
        """A figure measured at ``session``'s close must have been published after that close."""
        pub = self.pub
        if pub is None or pub.tzinfo is None:
            return
        k = int(np.searchsorted(self.sessions.asi8, session.as_unit("ns").value))
        if k < len(self.sessions) and self.closes[k] > pub:
            raise _Unplaced(f"{self.day_why}: {what} to the {session:%Y-%m-%d} close, which came after publication "
                            f"({pub.isoformat()}): it was quoted during the session, and closes only can check it; "
                            "write the row by hand with the instant it was quoted")

    def span(self, first: pd.Timestamp, last: pd.Timestamp, words: str, what: str):
        inside = self.sessions[(self.sessions >= first) & (self.sessions <= last)]
        if not len(inside):
            raise _Unplaced(f"no {self.cal} session in {what} (by publication)")
        end, start = inside[-1], self.prev_session(first)
        self.closed_by_publication(end, f"a move over {what}")
        if start is None:
            raise _Unplaced(f"no {self.cal} session the toolkit knows before {what}")
        return ({"basis": "close-to-close", "start": f"{start:%Y-%m-%d}", "end": f"{end:%Y-%m-%d}"},
                f"'{words}' = {what}: from the last close before it ({start:%Y-%m-%d}) to its last close "
                f"({end:%Y-%m-%d})")

    def timing(self, period: str, words: str, month, year):
        """(window columns, why, confidence, notes) of a figure over ``period``."""
        day, conf, notes, pub = self.day, self.conf, [], self.pub
        pubday = _published_day(pub)
        if period == "ytd":
            end = day if self.is_session(day) else self.prev_session(day)
            self.closed_by_publication(end, "a year-to-date figure")
            return ({"basis": "year-to-date", "start": "", "end": f"{end:%Y-%m-%d}"},
                    f"{self.day_why}; '{words}': year-to-date to the {end:%Y-%m-%d} close, both bases checked (the "
                    f"last close of {end.year - 1}, the first close of {end.year})", conf, notes)
        if period == "year":
            end = self.prev_session(pd.Timestamp(year + 1, 1, 1))
            if end is None or end.year != year:
                raise _Unplaced(f"'{words}': no {self.cal} session of {year} the toolkit knows (its sessions run "
                                f"{self.sessions[0]:%Y-%m-%d} to {self.sessions[-1]:%Y-%m-%d})")
            return ({"basis": "year-to-date", "start": "", "end": f"{end:%Y-%m-%d}"},
                    f"'{words}' = the calendar year {year}: to its last close ({end:%Y-%m-%d}), both bases checked",
                    "medium" if conf == "high" else conf, notes)
        if period in ("week", "lastweek"):
            ref = pubday if period == "lastweek" else day
            monday = ref - pd.Timedelta(days=ref.day_of_week)
            if period == "lastweek" and ref.day_of_week < 5:  # on a weekday, last week is the one before
                monday -= pd.Timedelta(days=7)
            sunday = monday + pd.Timedelta(days=6)
            limit = sunday if period == "lastweek" else min(sunday, day)
            t, why = self.span(monday, limit, words, f"the week of {monday:%Y-%m-%d}")
            return t, why, "medium" if conf == "high" else conf, notes
        if period in ("month", "quarter"):
            y, mth = month
            first = pd.Timestamp(y, mth, 1)
            last = first + pd.offsets.MonthEnd(3 if period == "quarter" else 1) - pd.Timedelta(days=0)
            last = (first + pd.offsets.MonthEnd(0)) if period == "month" else \
                (pd.Timestamp(y, mth + 2, 1) + pd.offsets.MonthEnd(0))
            limit = min(last, pubday) if pubday is not None else last
            what = f"{first:%B %Y}" if period == "month" else f"Q{(mth + 2) // 3} {y}"
            t, why = self.span(first, limit, words, what)
            return t, why, "medium" if conf == "high" else conf, notes
        part, clock, tz, said = self.part, self.clock, self.tz, self.said
        if self.live:
            t = pub.tz_convert(tz)
            prev = self.last_closed(t)
            basis = "after-hours-futures" if self.fut else "intraday"
            return ({"basis": basis, "start": f"{prev:%Y-%m-%d}", "end": t.isoformat()},
                    f"{self.day_why}; from the previous close ({prev:%Y-%m-%d})", conf, notes)
        if part in ("", "close") or (part == "clock" and clock is None):
            if not self.is_session(day):
                raise _Unplaced(f"{self.day_why}, which is not a {self.cal} session (a weekend or holiday): "
                                f"{self.ticker} has no close that day")
            self.closed_by_publication(day, "a move")
            start = self.prev_session(day)
            what = f"{said}: " if part == "close" else "no time of day: "
            return ({"basis": "close-to-close", "start": f"{start:%Y-%m-%d}", "end": f"{day:%Y-%m-%d}"},
                    f"{self.day_why}; {what}the {day:%Y-%m-%d} close against the previous session's "
                    f"({start:%Y-%m-%d}, {self.cal})", conf, notes)
        est = ""

        def at(d: pd.Timestamp, hh: int, mm: int, zone: str) -> pd.Timestamp:
            return pd.Timestamp(d.year, d.month, d.day, hh, mm).tz_localize(zone)

        if part == "clock":
            hh, mm, zone = clock
            if self.day_said:  # the sentence's own day, at its clock time
                if not self.fut and not self.is_session(day):
                    raise _Unplaced(f"{self.day_why}, which is not a {self.cal} session (a weekend or holiday)")
                # the day is the market's; a clock in another zone ("10:45 am AEDT on Sunday evening" for US
                # futures) is the instant at that clock whose date in the market's zone is that day
                t = next((c for c in (at(day + pd.Timedelta(days=k), hh, mm, zone or tz) for k in (0, 1, -1))
                          if c.tz_convert(tz).tz_localize(None).normalize() == day), at(day, hh, mm, zone or tz))
                est = said + ("" if zone else f" read in {tz}, the market's zone")
            elif zone and pub is not None and pub.tzinfo is not None:
                local_pub = pub.tz_convert(zone)
                t = at(_published_day(local_pub), hh, mm, zone)
                if t > pub:
                    t -= pd.Timedelta(days=1)
                est = f"{said}: the last such time before publication"
            else:
                t = at(day, hh, mm, zone or tz)
                est = said + ("" if zone else f" read in {tz}, the market's zone")
        elif part in ("after", "premarket") and self.asset.kind == "index":
            raise _Unplaced(f"{said}: {self.ticker} is an index, which has no price after hours or before the "
                            "open; the figure is probably its futures' or an ETF's: name them")
        elif part == "after":
            t = at(day, 19, 0, tz)
            est = f"{said}: 19:00 {tz} (an estimate: the article gives no time)"
        elif part == "premarket":
            t = at(day, 8, 0, tz)
            est = f"{said}: 08:00 {tz} (an estimate: the article gives no time)"
        else:
            if self.asset.kind == "data":
                raise _Unplaced(f"{said}: {self.ticker} is not in the asset registry, so its exchange hours are "
                                "unknown; only its closes can be placed")
            if not self.is_session(day):
                raise _Unplaced(f"{self.day_why}, which is not a {self.cal} session (a weekend or holiday)")
            table = self.asset.sessions
            k = int(np.searchsorted(self.sessions.asi8, day.as_unit("ns").value))
            o = table.opens[k]
            brk = None if table.break_starts is None or pd.isna(table.break_starts[k]) else table.break_starts[k]
            if part == "midday":
                t = brk if brk is not None else at(day, 12, 0, tz)
                est = (f"{said}: the {self.cal} lunch break at {t.tz_convert(tz):%H:%M} {tz}" if brk is not None
                       else f"{said}: 12:00 {tz} ({self.cal} has no lunch break)")
            elif part == "open":
                t = o + pd.Timedelta(minutes=1)
                est = f"{said}: one minute after the {self.cal} open ({o.tz_convert(tz):%H:%M} {tz})"
            elif part.startswith("first"):
                n = int(part[5:])
                t = o + pd.Timedelta(minutes=n)
                est = f"{said}: {n} minutes after the {self.cal} open ({o.tz_convert(tz):%H:%M} {tz})"
            else:
                t = o + pd.Timedelta(minutes=30)
                est = f"{said}: 30 minutes after the {self.cal} open ({o.tz_convert(tz):%H:%M} {tz}), an estimate"
        t = t.tz_convert(tz)
        if pub is not None and pub.tzinfo is not None and t > pub:
            est += f"; after publication ({pub.isoformat()}): read at publication instead"
            t = pub.tz_convert(tz)
        prev = self.last_closed(t - pd.Timedelta(seconds=1))
        basis = "after-hours-futures" if self.fut else "intraday"
        if part != "clock":
            conf = "medium" if conf == "high" else conf
        return ({"basis": basis, "start": f"{prev:%Y-%m-%d}", "end": t.isoformat()},
                f"{self.day_why}; {est}; from the previous close ({prev:%Y-%m-%d}), as news figures are measured",
                conf, notes)


def _decimals(text: str) -> int:
    t = text.replace(",", "")
    return len(t.split(".", 1)[1]) if "." in t else 0


# ----------------------------------------------------------------------------------------- checking
def check_article(article, *, published=None, source=None, aliases=None, proxies=None, name: str | None = None,
                  draft_only: bool = False, **check) -> ArticleClaims:
    """Read an article, draft its claims and check the placed ones against prices.

    Parameters
    ----------
    article : str or os.PathLike
        A path to a ``.txt``, ``.md`` or ``.html`` file, or the article's text itself (plain text,
        Markdown or HTML).
    published : str or pandas.Timestamp, optional
        The publication instant (ISO 8601 with offset) or date; None uses the one the page
        declares (HTML meta, Markdown front matter), if any.
    source : PriceSource, optional
        Prices to check against; None for the bundled snapshot.
    aliases : pandas.DataFrame or str or os.PathLike, optional
        The alias table (:func:`load_aliases`); None for the bundled one.
    proxies : pandas.DataFrame or str or os.PathLike, optional
        The proxies table (:func:`~eventstudy.claims.load_proxies`); None for the bundled one.
    name : str, optional
        The ``source`` written in each row; default the file name, or ``"article"``.
    draft_only : bool, default False
        Only draft the rows (no prices are read).
    **check
        Passed to :func:`~eventstudy.claims.check_claims` (e.g. ``on_fetch_error``).

    Returns
    -------
    ArticleClaims
        The drafts and, unless ``draft_only``, the check (``checked``).

    Raises
    ------
    ArticleError
        If ``article`` names a file that cannot be read.
    SpecificationError
        If ``published`` is not a date or an instant with a UTC offset.
    """
    kind, label = None, name or "article"
    raw = None
    if isinstance(article, os.PathLike) or (isinstance(article, str) and "\n" not in article and len(article) < 4096
                                            and Path(article).suffix.lower() in (".txt", ".md", ".markdown", ".html",
                                                                                 ".htm")):
        p = Path(article)
        if not p.is_file():
            raise ArticleError(f"{p}: no such article file; pass the path of a .txt, .md or .html file, or the text")
        try:
            raw = p.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ArticleError(f"{p}: not UTF-8 ({exc}); save the article as UTF-8 text") from exc
        kind = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}.get(p.suffix.lower())
        label = name or p.name
    else:
        raw = str(article)
    text, declared = article_text(raw, kind)
    pub_from = "argument" if published is not None else ("the page" if declared else "")
    pub = _parse_published(published if published is not None else declared)
    drafts = draft_claims(text, published=pub, source=label, aliases=aliases, proxies=proxies, prices=source)
    out = ArticleClaims(drafts=drafts, published=pub, published_from=pub_from, source=label)
    if not draft_only:
        out.check(source, proxies=proxies, **check)
    return out
