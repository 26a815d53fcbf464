"""Day 0 of every (event, asset): the event instant placed on each market's own sessions.

The rule (GUIDE.md, "Conventions"): day 0 is the first session of the market whose close is
strictly after the event instant. A US-evening announcement is day 0 on the next Tokyo session,
and on CME equity futures it is the trade date whose evening session opens that night. Events
whose time of day is unknown follow the ``date_only`` policy (:data:`~eventstudy.calendars.DateOnlyPolicy`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

import numpy as np
import pandas as pd

from .assets import DEFAULT_ASSETS, sessions_for
from .calendars import DateOnlyPolicy, SessionTable, check_policy, first_price_after, first_session_on_or_after
from .errors import AlignmentError
from .events import expand_assets

ALIGN_COLUMNS = [
    "event_id", "asset", "event_time_utc", "time_precision", "rule", "calendar", "market_tz",
    "event_time_market", "day0", "day0_open_utc", "day0_close_utc", "day0_price_utc", "price_fixed",
]

_RULES = {
    "instant": "first session whose daily price is fixed strictly after the event instant",
    "session-date": "date-only: first session on or after the event date",
    "start-of-day": "date-only: first session whose daily price is fixed after 00:00 of the event date",
    "end-of-day": "date-only: first session whose daily price is fixed after 24:00 of the event date",
}


def align(
    events: pd.DataFrame,
    assets: Iterable[str] | None = None,
    *,
    date_only: DateOnlyPolicy = "session-date",
    sessions: Mapping[str, SessionTable] | None = None,
    outside: Literal["raise", "report"] = "raise",
) -> pd.DataFrame:
    """Map each (event, asset) to its day-0 session.

    Parameters
    ----------
    events
        A validated catalog from :func:`eventstudy.load_events`. If it has an ``asset`` or
        ``assets`` column those pairs are used; otherwise every event meets every asset.
    assets
        Tickers to align (default: every registered asset). Ignored for events that name assets.
    date_only
        Policy for events with ``time_precision == 'date-only'``.
    sessions
        Session tables for tickers the registry does not know (``data_sessions(dates)``), or to
        override a registered calendar.
    outside
        An event beyond a market's sessions: ``"raise"`` an :class:`AlignmentError`, or
        ``"report"`` it as a row with ``day0`` NaT and the reason in ``rule``. An event in a gap of
        the sessions (a hole in a ticker's data) is treated the same way.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ALIGN_COLUMNS`, one row per (event, asset), in event then asset order.
        ``day0`` is the naive session date; the open/close instants are UTC; ``event_time_market``
        is the event instant in the market's time zone as text (``"2025-05-06 20:00 Tue"``).

    Raises
    ------
    AlignmentError
        If ``date_only`` is not a policy, or (with ``outside="raise"``) an event falls after a
        market's last session, more than 7 days before its first, or in a gap of its sessions
        (day 0 more than :func:`max_day0_delay` days after the event's date).
    UnknownTickerError
        If a ticker is neither registered nor in ``sessions``.
    """
    policy = check_policy(date_only)
    pairs = expand_assets(events, list(assets) if assets is not None else list(DEFAULT_ASSETS))
    sessions = dict(sessions or {})
    order, tables, positions = [], [], []
    by_table: dict[int, tuple[SessionTable, list]] = {}
    for ticker, idx in pairs.groupby("asset", sort=False).indices.items():
        table = sessions[ticker] if ticker in sessions else sessions_for(ticker)
        by_table.setdefault(id(table), (table, []))[1].append((ticker, idx))
    needed = pairs[["event_id", "event_time_utc", "event_date", "time_precision"]]  # what the searches read
    for table, members in by_table.values():  # one search per distinct calendar, not per ticker
        idx = np.concatenate([ix for _, ix in members])
        ticker = members[0][0] if len(members) == 1 else f"{members[0][0]} and {len(members) - 1} more"
        rows = needed.iloc[idx]
        pos = day0_positions(table, pd.DatetimeIndex(rows["event_time_utc"]), rows["event_date"],
                             rows["time_precision"].ne("date-only").to_numpy(), policy)
        bad = _check_bounds(rows, pos, table, ticker, raise_=outside == "raise")
        late = _check_gaps(rows, np.where(bad, 0, pos), table, ticker, policy, raise_=outside == "raise") & ~bad
        pos = np.where(bad, -1, np.where(late, -2, pos))
        order.append(idx)
        tables.append((table, len(idx)))
        positions.append(pos)
    # the results laid out in the pairs' own order: no reordered copy of the pairs, no sort at the end
    n = len(pairs)
    idx = np.concatenate(order)
    back = np.empty(n, dtype=np.int64)  # each pair's place in the table-by-table order
    back[idx] = np.arange(n)
    which = np.empty(n, dtype=np.int64)  # each pair's table
    which[idx] = np.repeat(np.arange(len(tables)), [k for _, k in tables])
    pos = np.concatenate(positions)[back]
    timed = pairs["time_precision"].ne("date-only").to_numpy()

    def labels(values: list, codes: np.ndarray):
        """``values[codes]`` as a text column: each distinct text made once, then taken row by row
        (no Python string per row for pandas to convert)."""
        return pd.Series(values, dtype=None if values else object).array.take(codes)

    def take(attr: str) -> pd.DatetimeIndex:  # the sessions' dates or instants; NaT where outside
        parts = [getattr(t, attr)[np.maximum(p, 0)].where(p >= 0) for (t, _), p in zip(tables, positions)]
        joined = parts[0].append(parts[1:]) if len(parts) > 1 else parts[0]
        return pd.DatetimeIndex(joined).take(back)

    k = len(tables)
    # rule codes: 0 timed, 1 date-only, 2 + table outside its sessions, 2 + k + table in a gap of them
    rule = np.where(pos == -1, 2 + which, np.where(pos == -2, 2 + k + which, np.where(timed, 0, 1)))
    rules = [_RULES["instant"], _RULES[policy],
             *(f"outside the sessions of {t.calendar}, {t.sessions[0]:%Y-%m-%d} to {t.sessions[-1]:%Y-%m-%d}"
               for t, _ in tables),
             *(f"in a gap of the sessions of {t.calendar}: none within {max_day0_delay(t)} days after the event"
               for t, _ in tables)]
    out = pd.DataFrame({
        "event_id": pairs["event_id"].array,
        "asset": pairs["asset"].array,
        "event_time_utc": pd.DatetimeIndex(pairs["event_time_utc"]),
        "time_precision": pairs["time_precision"].array,
        "rule": labels(rules, rule),
        "calendar": labels([t.calendar for t, _ in tables], which),
        "market_tz": labels([t.tz for t, _ in tables], which),
        "day0": take("sessions"),
        "day0_open_utc": take("opens"),
        "day0_close_utc": take("closes"),
        "day0_price_utc": take("price_instants"),
        "price_fixed": labels([t.fixing for t, _ in tables], which),
    })
    # the event instant in each market's zone, formatted once per distinct (instant, calendar)
    inst_codes, instants = pd.factorize(pd.DatetimeIndex(pairs["event_time_utc"]))
    codes, uniq = pd.factorize(inst_codes.astype(np.int64) * k + which)
    local = np.empty(len(uniq), dtype=object)
    zones = np.array([t.tz for t, _ in tables], dtype=object)[uniq % k]
    for tz in pd.unique(zones):  # one conversion per time zone
        ix = np.flatnonzero(zones == tz)
        local[ix] = pd.DatetimeIndex(instants[uniq[ix] // k]).tz_convert(tz).strftime("%Y-%m-%d %H:%M %a")
    out["event_time_market"] = labels(list(local), codes)
    return out[ALIGN_COLUMNS]


def day0_positions(table: SessionTable, instants_utc: pd.DatetimeIndex, dates, timed: np.ndarray,
                   policy: DateOnlyPolicy) -> np.ndarray:
    """The day-0 rule: positions in ``table`` of each event's day 0 (``len(table)`` past its end).

    A timed event's day 0 is the first session whose daily price is fixed strictly after its
    instant; a date-only one follows ``policy``. :func:`align` places the catalog's events with it,
    the placebo-date test its pseudo events.

    Parameters
    ----------
    table : SessionTable
        The market's sessions.
    instants_utc : pandas.DatetimeIndex
        Event instants (date-only events: 00:00 UTC of their date, as :func:`load_events` gives).
    dates : array-like of datetime64
        Event dates (naive), used by the ``session-date`` policy.
    timed : ndarray of bool
        Which events have a time of day.
    policy : {"session-date", "start-of-day", "end-of-day"}
        The date-only policy.

    Returns
    -------
    ndarray of int
    """
    inst = pd.DatetimeIndex(instants_utc)
    probe = inst.where(timed, inst + pd.Timedelta(days=1)) if policy == "end-of-day" else inst
    pos = first_price_after(table, probe)
    if policy == "session-date" and not np.all(timed):
        pos = np.where(timed, pos, first_session_on_or_after(table, dates))
    return pos


def day0_anchors(table: SessionTable, instants_utc: pd.DatetimeIndex, dates, timed: np.ndarray,
                 policy: DateOnlyPolicy) -> np.ndarray:
    """The date from which each event's day-0 rule starts on a market: day 0 is the first session
    on or after it (:func:`day0_positions`), but a holiday of that market can push day 0 later.

    For a timed event it is the event's local date (in the zone that fixes the market's daily
    price, :attr:`~eventstudy.calendars.SessionTable.price_tz`), or the next date when that date
    is a session whose price was already fixed at the event instant; for a date-only event under
    ``session-date``, its date. Whole business days before the anchor are the same news moved
    back by whole days: the test battery lays every member's estimation rows on business-day
    offsets from its anchor (:func:`eventstudy.eventtime.event_offsets`), so New York's day and
    Tokyo's next morning stay paired even when a Tokyo holiday pushes Tokyo's day 0 a day later.

    Parameters
    ----------
    table, instants_utc, dates, timed, policy
        As for :func:`day0_positions`.

    Returns
    -------
    ndarray of datetime64[D]
    """
    inst = pd.DatetimeIndex(instants_utc)
    probe = inst.where(timed, inst + pd.Timedelta(days=1)) if policy == "end-of-day" else inst
    local = probe.tz_convert(table.price_tz).tz_localize(None).normalize().to_numpy().astype("datetime64[D]")
    sessions = table.sessions.to_numpy().astype("datetime64[D]")
    pos = np.minimum(np.searchsorted(sessions, local), max(len(sessions) - 1, 0))
    fixed = (sessions[pos] == local) & (table.price_instants.asi8[pos] <= probe.tz_convert("UTC").asi8)
    anchor = local + fixed.astype("timedelta64[D]")
    if policy == "session-date":
        anchor = np.where(timed, anchor, pd.DatetimeIndex(pd.to_datetime(pd.Index(dates))).to_numpy()
                          .astype("datetime64[D]"))
    return anchor


def max_day0_delay(table: SessionTable) -> int:
    """Calendar days by which day 0 may follow the date its rule starts from
    (:func:`day0_anchors`) before the event counts as lying in a gap of the sessions: 14, or three
    times the median spacing of the sessions when that is longer (weekly or monthly data).

    No exchange closes for 14 days (the longest closures, the Lunar New Year and Golden Week in
    Shanghai, delay day 0 by up to 10), so a longer wait is a hole in the data: the return on
    that day 0 would span months and be scored as one day.
    """
    s = table.sessions.asi8
    spacing = int(np.median(np.diff(s)) // 86_400_000_000_000) if len(s) > 1 else 1
    return max(14, 3 * spacing)


def _check_gaps(rows: pd.DataFrame, pos: np.ndarray, table: SessionTable, ticker: str, policy: DateOnlyPolicy,
                *, raise_: bool) -> np.ndarray:
    """Mask of events whose day 0 lies more than :func:`max_day0_delay` days after its anchor."""
    if not len(rows) or not len(table):
        return np.zeros(len(rows), dtype=bool)
    anchor = day0_anchors(table, pd.DatetimeIndex(rows["event_time_utc"]), rows["event_date"],
                          rows["time_precision"].ne("date-only").to_numpy(), policy)
    day0 = table.sessions.to_numpy().astype("datetime64[D]")[np.minimum(pos, len(table) - 1)]
    limit = max_day0_delay(table)
    late = (day0 - anchor).astype(np.int64) > limit
    if raise_ and late.any():
        first = np.flatnonzero(late)[0]
        ids = ", ".join(dict.fromkeys(rows.loc[late, "event_id"]))
        raise AlignmentError(
            f"event(s) {ids} fall in a gap of the sessions of {ticker} ({table.calendar}): the first session "
            f"after {anchor[first]} is {day0[first]}, more than {limit} days later; supply prices that cover "
            "the event or drop it for this asset"
        )
    return late


def _check_bounds(rows: pd.DataFrame, pos: np.ndarray, table: SessionTable, ticker: str, *, raise_: bool) -> np.ndarray:
    """Mask of events beyond the market's sessions; raise naming them unless ``raise_`` is False."""
    after = pos >= len(table)
    before = rows["event_date"].to_numpy() < (table.sessions[0] - pd.Timedelta(days=7)).to_datetime64()
    if raise_:
        for mask, where in ((after, f"after its last session {table.sessions[-1]:%Y-%m-%d}"),
                            (before, f"before its first session {table.sessions[0]:%Y-%m-%d}")):
            if mask.any():
                ids = ", ".join(dict.fromkeys(rows.loc[mask, "event_id"]))
                raise AlignmentError(
                    f"event(s) {ids} fall {where} on {ticker} ({table.calendar}); "
                    "drop those events for this asset or supply prices/sessions that cover them"
                )
    return after | before


def to_csv_frame(aligned: pd.DataFrame) -> pd.DataFrame:
    """The alignment table with ISO strings (what ``eventstudy align --format csv`` prints).

    Parameters
    ----------
    aligned : pandas.DataFrame
        A table from :func:`align` (or an intraday study's alignment).

    Returns
    -------
    pandas.DataFrame
        A copy with ``event_time_utc``, ``day0_open_utc``, ``day0_close_utc`` and ``day0_price_utc``
        (where present) as
        ``YYYY-MM-DDTHH:MM:SSZ`` and ``day0`` as ``YYYY-MM-DD``, or as ``YYYY-MM-DDTHH:MM:SSZ`` when it
        is tz-aware (a bar-end instant); NaT becomes NaN.
    """
    out = aligned.copy()
    for col in ("event_time_utc", "day0_open_utc", "day0_close_utc", "day0_price_utc"):
        if col in out.columns:
            out[col] = out[col].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    # a session date, or (intraday studies) the bar-end instant in UTC
    timed = getattr(out["day0"].dt, "tz", None) is not None
    out["day0"] = out["day0"].dt.strftime("%Y-%m-%dT%H:%M:%SZ" if timed else "%Y-%m-%d")
    return out
