"""Research tables from a fitted study: CAR per event and market, pooled CAAR with the test
battery (clustering-robust statistics first), the day-0 alignment. Each is a :class:`Summary`
(Markdown, LaTeX with booktabs, CSV, HTML, text) whose footnote states the conventions."""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..groups import FEW_DATES, value_groups
from ..windows import Window, study_window
from .html import html_document
from .latex import compile_pdf, latex_document
from .summary import NAIVE, ROBUST_FIRST, TEST_NAMES, Summary, headline, stars

BATTERY_ORDER = (*ROBUST_FIRST, "kp_bmp", "grank", "t_cs", "bmp", "patell", "bw1980", "rank", "mrank", "gsign",
                 "sign", "wilcoxon")
NAIVE_TESTS = frozenset({"t_cs", "bmp", "patell", "bw1980", "rank", "mrank", "sign", "gsign", "wilcoxon"})


def conventions(res) -> str:
    """The footnote stating the conventions of a fitted study.

    Names the model (:func:`model_text`: benchmark, factors, lags), the return kind, the
    estimation window (and whether other events' window days or bars were excluded from it), the
    event windows, the day-0 rule (bar 0 for an intraday study; with the date-only policy for a
    daily one), the variance convention and the overlap policy; for a daily study also the number
    of excluded (event, asset) pairs, if any.

    Parameters
    ----------
    res : EventStudyResults
        The fitted study.

    Returns
    -------
    str
    """
    o = res.options
    if o.get("frequency"):
        return (f"Model: {model_text(o)}" +
                f"; {o['returns']} returns on {o['frequency']} bars; estimation window {o['estimation']} bars"
                + (" excluding other events' window bars" if o["clean_estimation"] else "") +
                f"; event windows {', '.join(o['windows'])} (bar offsets from bar 0, inclusive). Bar 0 = first bar of "
                f"each instrument ending strictly after the event instant. Variance convention {o['convention']}.")
    text = (f"Model: {model_text(o)}" +
            f"; {o['returns']} returns; estimation window {o['estimation']} sessions"
            + (" excluding other events' window days" if o["clean_estimation"] else "") +
            f"; event windows {', '.join(o['windows'])} (session offsets from day 0, inclusive). Day 0 = first "
            "session of each market whose daily price (the close, or a futures settlement) is fixed strictly after the "
            "event instant (date-only events: "
            f"{o['date_only']}). Variance convention {o['convention']}.")
    if len(res.exclusions):
        text += f" {len(res.exclusions)} (event, asset) pair(s) excluded (exclusions.csv)."
    return text + overlap_note(res)


def model_text(options: dict) -> str:
    """The normal-return model in words: its name, the benchmark (one, or one per asset listed
    as ``asset on benchmark``), the factors and the Dimson lags.

    Parameters
    ----------
    options : dict
        The study's options (:attr:`EventStudyResults.options`).

    Returns
    -------
    str
        E.g. ``market (benchmark ACWI)``, ``market (benchmark per asset: ^N225 on ACWI, SPY on VT)``,
        ``factor (factors ACWI, CNY=X; Dimson lags 0..1)``.
    """
    parts = []
    market = options.get("market")
    if isinstance(market, dict) and market:
        parts.append("benchmark per asset: " + ", ".join(f"{a} on {b}" for a, b in market.items()))
    elif market:
        parts.append(f"benchmark {market}")
    if options.get("factors"):
        parts.append("factors " + ", ".join(map(str, options["factors"])))
    if options.get("lags"):
        parts.append(f"Dimson lags 0..{options['lags']} of each regressor")
    return f"{options['model']}" + (f" ({'; '.join(parts)})" if parts else "")


def overlap_note(res) -> str:
    """A warning when events share sessions of their windows on a market (:mod:`eventstudy.overlaps`).

    Parameters
    ----------
    res : EventStudyResults
        The fitted study.

    Returns
    -------
    str
        Empty when no events overlap.
    """
    ov = res.overlaps
    if ov is None or not len(ov):
        return ""
    same = int(ov["same_day0"].sum())
    return (f" Warning: {len(ov)} pair(s) of events share sessions of their windows on a market ({same} of them "
            f"the same day 0), listed in overlaps.csv; overlap policy '{res.plan.overlap}'.")


def car_by_event(res, window: str | Window) -> Summary:
    """Wide table: one row per event, one column per market, cells 'CAR % (t) stars'; the day-0
    session of each market is in the long CSV (car.csv) and the alignment table.

    Parameters
    ----------
    res : EventStudyResults
        The fitted study.
    window : str
        Window label as in the study, e.g. ``"-1:1"``.

    Returns
    -------
    Summary
        Columns ``event_id``, ``first day 0`` (the earliest day-0 session across markets,
        ``YYYY-MM-DD``) and one per market, events and markets in the order of ``res.members``; a
        cell is empty where there is no finite CAR. CAR in percent with 2 decimals, t with 2.

    Raises
    ------
    ValueError
        If ``window`` is not a window of the study.
    """
    window = study_window(res.plan.windows, window).label
    car = res.car[res.car["window"] == window]
    if car.empty:
        raise ValueError(f"window {window!r} is not in the study; it has {sorted(set(res.car['window']))}")
    cell = car.apply(lambda r: "" if not np.isfinite(r["car"]) else
                     f"{100 * r['car']:.2f} ({r['t']:.2f}){stars(r['pvalue'])}", axis=1)
    wide = car.assign(cell=cell).pivot(index="event_id", columns="asset", values="cell")
    events = list(dict.fromkeys(res.members["event_id"]))
    assets = list(dict.fromkeys(res.members["asset"]))
    wide = wide.reindex(index=[e for e in events if e in wide.index], columns=[a for a in assets if a in wide.columns])
    day0 = pd.to_datetime(res.members["day0"]).groupby(res.members["event_id"]).min()
    wide.insert(0, "first day 0", [f"{pd.Timestamp(day0[e]):%Y-%m-%d}" for e in wide.index])
    wide = wide.fillna("").reset_index()
    note = (conventions(res) + f" Cells: CAR over {window} in % (t from the CLM prediction-error variance, "
            "t with M-k df); * p<0.10, ** p<0.05, *** p<0.01. 'first day 0' is the earliest day-0 session "
            "across markets; each market's own day 0 is in car.csv and the alignment table.")
    return Summary(wide, f"Cumulative abnormal returns by event and market, window {window}", note)


def car_long(res, window: str | Window) -> Summary:
    """One row per event and market: the market's own day-0 session, CAR and its standard error in %,
    t, p with stars, BHAR and the status (exclusions and stale quotes are named there).

    Parameters
    ----------
    res : EventStudyResults
        The fitted study.
    window : str
        Window label as in the study, e.g. ``"-1:1"``.

    Returns
    -------
    Summary
        Columns ``event_id, market, day 0, CAR %, SE %, t stat, t p, BHAR %, status``, in the order
        of ``res.car``; percentages rounded to 3 decimals.

    Raises
    ------
    ValueError
        If ``window`` is not a window of the study.
    """
    window = study_window(res.plan.windows, window).label
    car = res.car[res.car["window"] == window]
    if car.empty:
        raise ValueError(f"window {window!r} is not in the study; it has {sorted(set(res.car['window']))}")
    out = pd.DataFrame({
        "event_id": car["event_id"].to_numpy(), "market": car["asset"].to_numpy(), "day 0": car["day0"].to_numpy(),
        "CAR %": (100 * car["car"]).round(3).to_numpy(), "SE %": (100 * car["se"]).round(3).to_numpy(),
        "t stat": car["t"].to_numpy(), "t p": car["pvalue"].to_numpy(),
        "BHAR %": (100 * car["bhar"]).round(3).to_numpy(), "status": car["status"].to_numpy(),
    })
    note = conventions(res) + f" CAR over {window}; SE from the CLM prediction-error variance; p from t(M-k)."
    return Summary(out, f"Cumulative abnormal returns per event and market, window {window}", note)


def few_dates_note() -> str:
    """What the ``dates`` column counts and what "few dates" means (:func:`eventstudy.groups.effective_sample`)."""
    return (f" dates = independent event dates (events whose windows overlap on a market count once); 'few dates' = "
            f"fewer than {FEW_DATES}: the tests judge those days' moves against normal volatility, but so few dates "
            "cannot tell the news from anything else that moved markets on them, nor how the reaction varies "
            "between events.")


def caar_table(res) -> Summary:
    """The headline: CAAR per group and window, robust statistics first, naive t beside."""
    names = ", ".join(f"{t} = {TEST_NAMES[t]}" for t in ROBUST_FIRST)
    note = (conventions(res) + f" Statistics for the whole window (CAR). {names} (the tests that hold their size "
            f"when news clusters); {NAIVE} = {TEST_NAMES[NAIVE]} shown beside them." + few_dates_note()
            + " * p<0.10, ** p<0.05, *** p<0.01.")
    return Summary(with_window_sets(headline(res.tests, res.caar), res), "Cumulative average abnormal returns", note)


def with_window_sets(frame: pd.DataFrame, res) -> pd.DataFrame:
    """``frame`` with a ``set`` column after ``window`` naming the window's named set(s)
    (``"announcement"``; several joined by ``", "``), when the study's windows came as named sets;
    else ``frame``.

    Parameters
    ----------
    frame : pandas.DataFrame
        A table with a ``window`` column of window labels.
    res : EventStudyResults
        The fitted study (its ``options["window_sets"]``).

    Returns
    -------
    pandas.DataFrame
    """
    sets = res.options.get("window_sets")
    if not sets or "window" not in frame.columns:
        return frame
    of = {}
    for name, labels in sets.items():
        for label in labels:
            of.setdefault(label, []).append(name)
    out = frame.copy()
    out.insert(list(out.columns).index("window") + 1, "set", out["window"].map(lambda w: ", ".join(of.get(w, []))))
    return out


def _p_short(p: float) -> str:
    """A p-value for a screen: ``<0.001``, three decimals below 0.10, two above."""
    return "" if not np.isfinite(p) else "<0.001" if p < 0.001 else f"{p:.3f}" if p < 0.10 else f"{p:.2f}"


def headline_table(res, placebo: pd.DataFrame | None = None, signed=None) -> Summary:
    """The headline that fits a screen: per pooled group (``all`` and each value of the group
    column, not each event) and window, the CAAR with the robust lead's statistics, the placebo-date
    p-value, KP-BMP and the naive t, each test's statistic with its p in brackets. The full battery of
    every group, events included, is :func:`caar_table` and :func:`battery_table`.

    Parameters
    ----------
    res : EventStudyResults
        The fitted study.
    placebo : DataFrame, optional
        :func:`eventstudy.placebo.placebo_test` of the study; adds the ``placebo date`` column (its p-value).
    signed : EventStudyResults, optional
        The same study fitted with signed abnormal returns (:attr:`EventStudy.sign`); its ``all``
        group is added as the rows ``all x <column>`` (opposite reactions added, not averaged away).

    Returns
    -------
    Summary
        Columns ``group`` (the first row of a group says how many events it pools), ``window``,
        ``N``, ``dates`` (independent event dates, ``few`` below
        :data:`~eventstudy.groups.FEW_DATES`), ``CAAR (%)``, then ``<test> t (p)`` for the lead
        (:data:`~eventstudy.report.summary.ROBUST_FIRST`; the resampling test's p-value alone, as
        ``resampling``), ``placebo date`` (its p-value), ``KP-BMP t (p)`` and ``naive t``: text cells, p-values as
        ``<0.001``, three decimals below 0.10, two above.
    """
    columns = {"bw1985": "BW 1985 t (p)", "kp_patell": "KP-Patell z (p)", "bootstrap": "resampling",
               "kp_bmp": "KP-BMP t (p)", NAIVE: "naive t"}
    placebo_p = ({(g, w): p for g, w, p in zip(placebo["group"], placebo["window"], placebo["pvalue"])}
                 if placebo is not None else None)

    def rows_of(r, pooled, name) -> list[dict]:
        caar = r.caar[r.caar["group"].isin(pooled)]
        win = r.tests[r.tests["tau"].isna()]
        stat = {(g, w, t): (s, p) for g, w, t, s, p in zip(win["group"], win["window"], win["test"],
                                                            win["statistic"], win["pvalue"])}
        first = win.drop_duplicates(["group", "window"]).set_index(["group", "window"])

        def both(key) -> str:
            s, p = stat.get(key, (np.nan, np.nan))
            return "" if not np.isfinite(s) else f"{s:.2f} ({_p_short(p)})"

        out, seen = [], set()
        for g, w, c, n in zip(caar["group"], caar["window"], caar["caar"], caar["n"]):
            row = {"group": name(g), "window": w, "N": int(n)}
            if (g, w) in first.index and "dates" in first.columns:
                ev, d = first.loc[(g, w), "events"], first.loc[(g, w), "dates"]
                if g not in seen and pd.notna(ev):
                    row["group"] = f"{name(g)} ({int(ev)} event{'' if int(ev) == 1 else 's'})"
                row["dates"] = "" if pd.isna(d) else f"{int(d)}" + (", few" if d < FEW_DATES else "")
            seen.add(g)
            row["CAAR (%)"] = f"{100 * c:.2f}" if np.isfinite(c) else ""
            for t in ROBUST_FIRST:
                key = (g, w, t)
                if t == "bootstrap":
                    row[columns[t]] = _p_short(stat.get(key, (np.nan, np.nan))[1])
                else:
                    row[columns.get(t, f"{t} (p)")] = both(key)
            if placebo_p is not None:
                row["placebo date"] = _p_short(placebo_p.get((name(g), w), np.nan))
            row[columns["kp_bmp"]] = both((g, w, "kp_bmp"))
            naive = stat.get((g, w, NAIVE), (np.nan, np.nan))[0]
            row[columns[NAIVE]] = f"{naive:.2f}" if np.isfinite(naive) else ""
            out.append(row)
        return out

    rows = rows_of(res, {"all", *value_groups(res.members, res.plan.group)}, str)
    signed_note = ""
    if signed is not None:
        col = signed.plan.sign
        rows += rows_of(signed, {"all"}, lambda g: f"all x {col}")
        signed_note = (f"all x {col}: every member's abnormal returns times the sign of its event's {col} "
                       f"(opposite reactions added, not averaged away; members without one left out). ")
    o = res.options
    note = ("Lead: BW 1985 portfolio t, Kolari-Pynnonen Patell, estimation-window resampling (they hold their "
            "size when news clusters); KP-BMP also allows for the event days' own variance; the naive t treats "
            "markets hit on one date as independent. resampling, placebo date: p-values. dates: independent event "
            f"dates (few: under {FEW_DATES}). "
            f"Model {model_text(o)}, estimation {o['estimation']} "
            + ("bars; bar 0 = the first bar ending after the event. " if o.get("frequency") else
               "sessions; day 0 = the first session priced after the event. ")
            + signed_note
            + "Every group and event with the full battery: tables/caar_by_group, battery_*, tests.csv.")
    return Summary(with_window_sets(pd.DataFrame(rows), res), "Headline: cumulative average abnormal returns", note)


def bhar_table(res) -> Summary:
    """Mean buy-and-hold abnormal return per pooled group (``all`` and the group column's values)
    and window, with the ordinary t, Lyon-Barber-Tsai's skewness-adjusted t and its bootstrapped p
    (:attr:`EventStudyResults.bhar_tests`).

    Parameters
    ----------
    res : EventStudyResults
        The fitted study.

    Returns
    -------
    Summary
    """
    b = res.bhar_tests
    pooled = ["all", *value_groups(res.members, res.plan.group)]
    b = b[b["group"].isin(pooled)]
    out = pd.DataFrame({"group": b["group"], "window": b["window"], "N": b["n"].astype(int),
                        "mean BHAR (%)": (100 * b["mean"]).map(lambda v: f"{v:.3f}"),
                        "skewness": b["skewness"].map(lambda v: f"{v:.2f}"),
                        "t stat": b["t"], "t p": b["p_normal"], "LBT t stat": b["t_sa"], "LBT t p": b["p_sa"],
                        "LBT bootstrap p": b["p_boot"]})
    first = b.iloc[0] if len(b) else None
    note = ("BHAR: compounded return minus compounded normal return over the window. LBT t: Lyon, Barber & Tsai "
            "(1999) skewness-adjusted t, normal p; bootstrap p: its distribution over "
            + (f"{int(first['n_boot']):,} resamples of n/4 BHARs" if first is not None else "resamples")
            + ". Both treat the members as independent: markets hit on one date are correlated, so pooled p-values "
            "are too small when events share dates (the CAR battery's robust tests allow for it). " + conventions(res))
    return Summary(out.reset_index(drop=True), "Buy-and-hold abnormal returns", note)


def battery_table(res, group: str = "all", window: str | Window | None = None) -> Summary:
    """Every test of the battery for one group and window (CAR statistics), robust ones first.

    Parameters
    ----------
    res : EventStudyResults
        The fitted study.
    group : str, default "all"
        Group name as in ``res.tests`` (``"all"``, a group value or an event id).
    window : str, optional
        Window label, e.g. ``"-1:1"``; None for the study's first window.

    Returns
    -------
    Summary
        Columns ``test``, ``robust to common dates`` (``yes``/``no``), ``statistic stat``,
        ``p-value p``, ``N`` and ``distribution``, tests in the order of :data:`BATTERY_ORDER`
        (tests not listed there last).

    Raises
    ------
    ValueError
        If the battery has no whole-window test for that group and window.
    """
    window = study_window(res.plan.windows, window).label if window is not None else res.plan.windows[0].label
    t = res.tests[(res.tests["group"] == group) & (res.tests["window"] == window) & res.tests["tau"].isna()]
    if t.empty:
        raise ValueError(f"no tests for group {group!r}, window {window!r}; groups: {sorted(set(res.tests['group']))}")
    order = {k: i for i, k in enumerate(BATTERY_ORDER)}
    t = t.assign(_o=t["test"].map(order).fillna(len(order))).sort_values("_o")
    out = pd.DataFrame({
        "test": t["test"].to_numpy(),
        "robust to common dates": np.where(t["test"].isin(NAIVE_TESTS), "no", "yes"),
        "statistic stat": t["statistic"].to_numpy(),
        "p-value p": t["pvalue"].to_numpy(),
        "N": t["n"].to_numpy(),
        "distribution": t["distribution"].to_numpy(),
    })
    first = t.iloc[0]
    sample = ""
    if "dates" in t.columns:
        d = int(first["dates"])
        sample = (f" Effective sample: {int(first['events'])} event(s) on {d} independent date(s) (events whose "
                  f"windows overlap on a market count once), {int(first['markets'])} market(s)."
                  + (f" Few dates (fewer than {FEW_DATES}): the tests judge those days' moves against normal "
                     "volatility, but cannot tell the news from anything else that moved markets on them."
                     if d < FEW_DATES else ""))
    note = (conventions(res) + " Robust tests allow for cross-correlation of markets hit on the same dates." + sample)
    return Summary(out, f"Test battery, group {group}, window {window}", note)


def alignment_table(res) -> Summary:
    """Day 0 of each event on each market (bar 0 on each instrument for an intraday study).

    Parameters
    ----------
    res : EventStudyResults
        The fitted study.

    Returns
    -------
    Summary
        Daily study: ``event_id, asset, event time (market local), precision, day 0`` (session
        date, or ``outside data``). Intraday study: ``event_id, asset, event time (UTC), precision,
        bar 0 ends (UTC)`` (or ``excluded (exclusions.csv)``).
    """
    a = res.alignment
    if res.is_intraday:  # an intraday study: bar 0 is an instant
        out = pd.DataFrame({
            "event_id": a["event_id"], "asset": a["asset"],
            "event time (UTC)": a["event_time_utc"].dt.strftime("%Y-%m-%d %H:%M"), "precision": a["time_precision"],
            "bar 0 ends (UTC)": a["day0"].dt.strftime("%Y-%m-%d %H:%M").fillna("excluded (exclusions.csv)"),
        })
        note = (f"Bar 0 = first {res.options['frequency']} bar of the instrument ending strictly after the event "
                "instant; windows count bars of each instrument's own series.")
        return Summary(out, "Bar 0 of each event on each instrument", note)
    out = pd.DataFrame({
        "event_id": a["event_id"], "asset": a["asset"], "event time (market local)": a["event_time_market"],
        "precision": a["time_precision"], "day 0": a["day0"].dt.strftime("%Y-%m-%d").fillna("outside data"),
    })
    note = ("Day 0 = first session of the market whose daily price (the close, or a futures settlement) is "
            "fixed strictly after the event instant; date-only events: "
            f"{res.options['date_only']}. Each market on its own exchange calendar.")
    return Summary(out, "Day 0 of each event on each market", note)


def claims_table(checked: pd.DataFrame) -> Summary:
    """The reported-move check (``eventstudy.claims.check_claims``) as a table; ``detail`` stays in the CSV."""
    cols = ["claim_id", "instrument", "basis", "reported_pct", "measured_pct", "diff_pct", "reported_level",
            "measured_level", "proxy", "proxy_pct", "base", "verdict"]
    out = checked.reindex(columns=cols).copy()
    for c in ("reported_pct", "measured_pct", "diff_pct", "reported_level", "measured_level", "proxy_pct"):
        out[c] = pd.to_numeric(out[c], errors="coerce").map(lambda v: "" if not np.isfinite(v) else f"{v:,.3f}")
    for c in ("proxy", "base"):
        out[c] = out[c].fillna("")
    note = ("reproduced = within the claim's tolerance (half a unit of the last quoted digit); differs = outside "
            "it; consistent-by-proxy / differs-by-proxy = the instrument's own prices are missing and a proxy "
            "(proxy_pct: its move divided by its scale, e.g. 3 for a 3x ETF) is within / outside the tolerance plus "
            "the proxy's declared band (eventstudy/data/proxies.csv), a plausibility check, not a reproduction; "
            "needs-data = the figure refers to an instant daily data cannot reach (midday, after hours) or data "
            "that are not bundled; base = the close a year-to-date figure is measured from (the first close of "
            "the year is an unusual base, flagged in claims_check.csv). claims_check.csv names the exact prices "
            "and timestamps used, or the fetch command. Level claims use raw (unadjusted) closes.")
    return Summary(out, "Did the market move as reported?", note)


def placebo_table(placebo: pd.DataFrame) -> Summary:
    """The placebo-date permutation test (:func:`eventstudy.placebo.placebo_test`) as a table."""
    out = pd.DataFrame({
        "group": placebo["group"], "window": placebo["window"], "N": placebo["n_members"],
        "CAAR %": 100 * placebo["caar"].to_numpy(float),
        "placebo 95% band %": [f"[{100 * a:.3f}, {100 * b:.3f}]" for a, b in zip(placebo["q025"], placebo["q975"])],
        "placebo stat": placebo["z"].to_numpy(float), "placebo p": placebo["pvalue"].to_numpy(float),
    })
    first = placebo.iloc[0]
    note = ("placebo stat = (CAAR - mean of the placebo CAARs) / their SD. In each of "
            f"{int(first['n_draws']):,} draws every cluster of events (events whose windows overlap on a market) "
            "moves by one whole number of weeks, and each member is placed on its own market as the real event "
            "(the same time of day and weekday, so events of one day stay on one day and an evening event keeps its "
            "next-morning day 0 in Asia); the markets of an event move together, so the null keeps their "
            "cross-correlation. "
            + ("Shifts whose windows touch a real event window are not drawn; "
               if placebo["note"].str.contains("clear of real windows").all() else "")
            + f"at least {int(placebo['n_dates'].min()):,} eligible shifts per cluster; every pseudo member is "
            "re-estimated on its own estimation window. p = equal-tailed share of placebo CAARs beyond the "
            "observed one; * p<0.10, ** p<0.05, *** p<0.01.")
    return Summary(out, "Placebo-date permutation test of the CAAR", note)


def file_tag(name: str) -> str:
    """A group value (or column) as part of a file name: letters, digits, '-', '_', '.'; runs of
    others -> '_' (``"region=east asia"`` -> ``region_east_asia``).

    Parameters
    ----------
    name : str
        The group value or column.

    Returns
    -------
    str
        Never empty (``"group"`` when nothing is left).
    """
    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(name)).strip("_") or "group"


def study_tables(res, *, claims: pd.DataFrame | None = None, placebo: pd.DataFrame | None = None,
                 regressions: Sequence = (), signed=None, volume=None, volatility=None) -> dict[str, Summary]:
    """Every research table of a study, by the file name it is written under.

    Tables: ``headline`` (:func:`headline_table`, the one printed by ``eventstudy run``), the full
    ``caar_by_group``, ``alignment``, ``bhar`` (:func:`bhar_table`), ``battery_all`` and one battery
    table per value of the study's group column, ``car_by_event_<window>`` and ``car_long_<window>``
    per window, and ``claims`` / ``placebo``, ``regression_<k>_<window>`` (the k-th formula),
    ``volume`` and ``volatility`` when given. In the names a window ``-1:1`` is written ``m1_1``
    (``:`` -> ``_``, ``-`` -> ``m``) and a group value keeps only letters, digits, ``.``, ``-`` and
    ``_``; values that would share a name (``energy`` and ``=energy``, or ``A`` and ``a``) get ``_2``,
    ``_3``, ... in the order of the groups.

    Parameters
    ----------
    res : EventStudyResults
        The fitted study.
    claims : pandas.DataFrame, optional
        Result of :func:`eventstudy.claims.check_claims`; adds the ``claims`` table.
    placebo : pandas.DataFrame, optional
        Result of :func:`eventstudy.placebo.placebo_test`; adds the ``placebo`` table.
    regressions : sequence of (int, Regression), optional
        Cross-sectional regressions (:func:`eventstudy.regress.cross_section`), each with the
        number of its formula.
    signed : EventStudyResults, optional
        The study fitted with signed abnormal returns; its pooled rows join the headline
        (:func:`headline_table`).
    volume : VolumeStudy, optional
        :func:`eventstudy.volume.volume_study` of ``res``; adds the ``volume`` table.
    volatility : VolatilityStudy, optional
        :func:`eventstudy.volatility.volatility_study` of ``res``; adds the ``volatility`` table.

    Returns
    -------
    dict of str to Summary
        In the order they are written and shown.

    Raises
    ------
    ValueError
        If a battery table has no tests for its group and the first window (see :func:`battery_table`).
    """
    tables = {"headline": headline_table(res, placebo, signed), "caar_by_group": caar_table(res),
              "alignment": alignment_table(res),
              "battery_all": battery_table(res, "all"), "bhar": bhar_table(res)}
    for w in res.plan.windows:
        tag = _window_tag(w.label)
        tables[f"car_by_event_{tag}"] = car_by_event(res, w.label)
        tables[f"car_long_{tag}"] = car_long(res, w.label)
    used = {name.lower() for name in tables}  # a case-insensitive file system would merge "A" and "a" too
    for g in value_groups(res.members, res.plan.group):
        name = base = f"battery_{file_tag(g)}"
        k = 2
        while name.lower() in used:  # two values with one tag ("energy", "=energy"): neither table is lost
            name, k = f"{base}_{k}", k + 1
        used.add(name.lower())
        tables[name] = battery_table(res, g)
    if claims is not None:
        tables["claims"] = claims_table(claims)
    if placebo is not None:
        tables["placebo"] = placebo_table(placebo)
    for k, reg in regressions:
        tables[f"regression_{k}_{_window_tag(reg.table['window'].iloc[0])}"] = reg.summary()
    for name, extra in (("volume", volume), ("volatility", volatility)):
        if extra is not None:
            tables[name] = extra.table(res)
    return tables


def _window_tag(label: str) -> str:
    """A window label as part of a file name: ``-1:1`` -> ``m1_1``."""
    return label.replace(":", "_").replace("-", "m")


def write_tables(res, out: str | Path, *, claims: pd.DataFrame | None = None,
                 placebo: pd.DataFrame | None = None, pdf: bool = False,
                 tables: dict[str, Summary] | None = None) -> list[Path]:
    """Every table in Markdown, LaTeX, CSV and HTML under ``out``.

    The tables are those of :func:`study_tables`. Each is written as ``<name>.md``, ``.tex``,
    ``.csv`` and ``.html`` (a complete page with :data:`eventstudy.report.html.STYLE`); existing
    files are overwritten. ``tables.tex`` is a LaTeX document that inputs every ``.tex`` table
    (:data:`eventstudy.report.latex.PREAMBLE`), compiled to ``tables.pdf`` with ``pdf=True`` when
    ``pdflatex`` is installed.

    Parameters
    ----------
    res : EventStudyResults
        The fitted study.
    out : str or pathlib.Path
        Output directory; created (with its parents) if missing.
    claims : pandas.DataFrame, optional
        Result of :func:`eventstudy.claims.check_claims`; adds the ``claims`` table.
    placebo : pandas.DataFrame, optional
        Result of :func:`eventstudy.placebo.placebo_test`; adds the ``placebo`` table.
    pdf : bool, default False
        Compile ``tables.tex`` to ``tables.pdf`` when ``pdflatex`` is on the path (a problem its
        log reports is a warning naming the table); ``eventstudy run`` does unless ``--no-pdf``.
    tables : dict of str to Summary, optional
        The tables, when already made by :func:`study_tables` (``claims`` and ``placebo`` are then
        not used); default: made here.

    Returns
    -------
    list of Path
        The files written: four per table, ``tables.tex`` and ``tables.pdf`` when compiled.

    Raises
    ------
    ValueError
        If a battery table has no tests for its group and the first window (see :func:`battery_table`).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if tables is None:
        tables = study_tables(res, claims=claims, placebo=placebo)
    files = []
    for name, tab in tables.items():
        for ext, text in (("md", tab.as_markdown()), ("tex", tab.as_latex()), ("csv", tab.as_csv()),
                          ("html", html_document(tab.title, tab.as_html()))):
            p = out / f"{name}.{ext}"
            p.write_text(text, encoding="utf-8")
            files.append(p)
    doc = out / "tables.tex"  # every table in one document: pdflatex tables.tex
    doc.write_text(latex_document(list(tables)))
    files.append(doc)
    if pdf:
        written, problems = compile_pdf(out)
        if written is not None:
            files.append(written)
        for problem in problems:
            warnings.warn(f"tables.pdf: {problem}", stacklevel=2)
    return files


__all__ = ["ROBUST_FIRST", "alignment_table", "battery_table", "bhar_table", "caar_table", "car_by_event",
           "car_long", "claims_table", "conventions", "file_tag", "headline_table", "model_text", "placebo_table",
           "study_tables", "with_window_sets", "write_tables"]
