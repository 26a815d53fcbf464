"""Market sessions and the day-0 rule.

Sessions come from ``exchange_calendars`` (holidays, lunch breaks, early closes, Tokyo's 15:30
close since November 2024), plus two calendars it does not have, defined here on top of its
machinery:

* ``CME_EQUITY`` — CME Globex equity-index futures (ES, NQ, YM). Trade date *D* opens 18:00 ET on the
  previous business evening and closes 17:00 ET on *D*; holidays follow the NYSE (on a US holiday
  Globex trades a shortened session that belongs to the next trade date, and Yahoo's daily ES=F
  series has no row for it), except 2025-01-09 (national day of mourning for President Carter)
  when the NYSE closed but CME equity futures traded until 09:30 ET. Early closes 13:15 ET.
  ``exchange_calendars``' own ``CMES`` closes at 18:00 ET and keeps holiday sessions, so it does
  not match the ES=F bars.
* ``CBOT_GRAIN`` — CBOT soybeans (ZS=F): trade date *D* opens 19:00 CT the previous evening and
  closes 13:20 CT; NYSE holidays, 2025-01-09 open.

A ticker the registry does not know gets a :class:`DataCalendar` whose sessions are the dates of
its data, each closing at the end of its date in a stated zone (default UTC).

The day-0 rule (GUIDE.md): day 0 of an event on a market is the first session whose close is
**strictly after** the event instant. Date-only events follow an explicit ``date_only`` policy,
see :data:`DateOnlyPolicy`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from datetime import time
from functools import cache
from pathlib import Path
from typing import Literal, get_args

import numpy as np
import pandas as pd

from .errors import AlignmentError

CALENDAR_START = "2019-01-01"

DateOnlyPolicy = Literal["session-date", "start-of-day", "end-of-day"]
"""How a date-only event (time of day unknown) is placed on a market's sessions.

``"session-date"`` (default)
    Day 0 is the market's first session whose *date* is on or after the event's date (the
    date as written, in the event's own UTC offset). The convention of daily-data event studies.
``"start-of-day"``
    Treat the event as happening at 00:00 local time of its date (the earliest it can have
    happened) and apply the close-after rule: a market whose session closed in the hours before
    can be day 0 a calendar day earlier.
``"end-of-day"``
    Treat it as happening at 24:00 local time (the latest): day 0 is surely after the news, at
    the cost of missing a same-day reaction.
"""
DATE_ONLY_POLICIES: tuple[str, ...] = get_args(DateOnlyPolicy)


@cache
def calendar_library():
    """``exchange_calendars`` with the two calendars defined here registered (imported on first
    use: it costs a tenth of a second at import)."""
    import exchange_calendars as xcals
    from exchange_calendars.exchange_calendar_xnys import XNYSExchangeCalendar

    class CMEEquityFuturesCalendar(XNYSExchangeCalendar):
        """CME Globex equity-index futures trade dates (ES=F, NQ=F, YM=F); see module docstring."""

        name = "CME_EQUITY"
        open_times = ((None, time(18)),)
        close_times = ((None, time(17)),)
        regular_early_close = time(13, 15)

        @property
        def open_offset(self) -> int:  # the session of trade date D opens the evening before
            return -1

        @property
        def adhoc_holidays(self):
            return [d for d in super().adhoc_holidays if pd.Timestamp(d) != pd.Timestamp("2025-01-09")]

        @property
        def special_closes_adhoc(self):
            return super().special_closes_adhoc + [(time(9, 30), pd.DatetimeIndex(["2025-01-09"]))]

    class CBOTGrainCalendar(CMEEquityFuturesCalendar):
        """CBOT grain futures trade dates (ZS=F): 19:00 CT previous evening to 13:20 CT."""

        name = "CBOT_GRAIN"
        tz = XNYSExchangeCalendar.tz.__class__("America/Chicago")
        open_times = ((None, time(19)),)
        close_times = ((None, time(13, 20)),)
        regular_early_close = time(12, 5)

        @property
        def special_closes_adhoc(self):
            return XNYSExchangeCalendar.special_closes_adhoc.fget(self)

    for cal in (CMEEquityFuturesCalendar, CBOTGrainCalendar):
        xcals.register_calendar_type(cal.name, cal, force=True)
    return xcals


@dataclass(frozen=True)
class SessionTable:
    """Sessions of one market: naive session dates with their UTC open and close instants, and the
    instant each session's daily price is fixed (``fixes``: the close, unless the instrument's
    daily price is a settlement fixed earlier, as for CME equity futures at 16:00 ET)."""

    calendar: str
    tz: str
    sessions: pd.DatetimeIndex  # naive dates
    opens: pd.DatetimeIndex  # tz-aware UTC
    closes: pd.DatetimeIndex  # tz-aware UTC
    fixes: pd.DatetimeIndex | None = None  # tz-aware UTC; None: the closes
    fixing: str = "close"  # what fixes the daily price, in words
    from_data: bool = False  # the sessions are the dates of a price series (no exchange calendar)
    fixing_tz: str | None = None  # the zone the fixing time is set in, when not :attr:`tz`
    break_starts: pd.DatetimeIndex | None = None  # tz-aware UTC, NaT without a lunch break; None: unknown

    @property
    def price_tz(self) -> str:
        """The time zone whose wall clock fixes the daily price: :attr:`tz`, or the fixing's own
        zone (Yahoo's FX days: Europe/London). Whole weeks in this zone keep an event on the same
        side of the fixing across daylight-saving changes (the placebo-date test shifts by them)."""
        return self.fixing_tz or self.tz

    @property
    def price_instants(self) -> pd.DatetimeIndex:
        """The instant each session's daily price is fixed (UTC): :attr:`fixes`, else the closes."""
        return self.closes if self.fixes is None else self.fixes

    def fixed_at(self, local_time: str) -> SessionTable:
        """This table with each session's daily price fixed at ``local_time`` in its zone, or at
        the close when the session closes earlier (an early close).

        Parameters
        ----------
        local_time : str
            ``"HH:MM"`` in the calendar's time zone, e.g. ``"16:00"`` for CME equity-index
            futures, whose daily settlement price is fixed at 15:00 CT; or ``"HH:MM Area/City"``
            in another zone, e.g. ``"23:59 Europe/London"`` for Yahoo's FX days.

        Returns
        -------
        SessionTable
        """
        clock, _, zone = local_time.partition(" ")
        zone = zone.strip() or self.tz
        hh, mm = (int(x) for x in clock.split(":"))
        at = (self.sessions + pd.Timedelta(hours=hh, minutes=mm)).tz_localize(zone).tz_convert("UTC")
        fixes = pd.DatetimeIndex(np.minimum(at.asi8, self.closes.asi8)).tz_localize("UTC")
        return dataclasses.replace(self, fixes=fixes.astype("datetime64[ns, UTC]"),
                                   fixing=f"daily price fixed at {clock} {zone} (or the close if earlier)",
                                   fixing_tz=None if zone == self.tz else zone)

    def __len__(self) -> int:
        return len(self.sessions)

    def frame(self) -> pd.DataFrame:
        """The table as a DataFrame, one row per session.

        Returns
        -------
        pandas.DataFrame
            Columns ``session`` (naive session date), ``open_utc`` and ``close_utc`` (tz-aware UTC
            instants), in session order.
        """
        return pd.DataFrame({"session": self.sessions, "open_utc": self.opens, "close_utc": self.closes})

    def in_range(self, start, end) -> pd.DatetimeIndex:
        """Session dates from ``start`` to ``end``, both ends inclusive.

        Parameters
        ----------
        start : str, datetime-like
            First date; anything :class:`pandas.Timestamp` accepts. The time of day is dropped
            (normalized to midnight), so a session on the date of ``start`` is included.
        end : str, datetime-like
            Last date, normalized the same way; a session on the date of ``end`` is included.

        Returns
        -------
        pandas.DatetimeIndex
            The naive session dates ``d`` with ``start <= d <= end``; empty if none.
        """
        lo, hi = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
        return self.sessions[(self.sessions >= lo) & (self.sessions <= hi)]


@cache
def exchange_sessions(name: str) -> SessionTable:
    """Sessions of an ``exchange_calendars`` calendar (or one registered here) from 2019 on.

    Parameters
    ----------
    name
        Calendar name (``"XNYS"``, ``"XTKS"``, ``"CME_EQUITY"`` ...).

    Returns
    -------
    SessionTable

    Raises
    ------
    AlignmentError
        For a name exchange_calendars does not know.
    """
    xcals = calendar_library()
    key = _cache_key(name, xcals.__version__)
    cached = _read_sessions(key)
    if cached is not None:
        return cached
    try:
        with warnings.catch_warnings():
            # exchange_calendars 4.x calls Series.values on tz-aware data, which pandas 3.1
            # deprecates; the warning is theirs and harmless here (we convert to UTC ourselves)
            warnings.simplefilter("ignore", DeprecationWarning)
            cal = xcals.get_calendar(name, start=CALENDAR_START)
            sched = cal.schedule
    except xcals.errors.InvalidCalendarName as exc:
        raise AlignmentError(
            f"unknown exchange calendar {name!r}; use a name from exchange_calendars.get_calendar_names() "
            f"or one of 'CME_EQUITY', 'CBOT_GRAIN'"
        ) from exc
    table = SessionTable(
        calendar=name,
        tz=str(cal.tz),
        sessions=pd.DatetimeIndex(sched.index).tz_localize(None).astype("datetime64[ns]"),
        opens=pd.DatetimeIndex(sched["open"]).tz_convert("UTC").astype("datetime64[ns, UTC]"),
        closes=pd.DatetimeIndex(sched["close"]).tz_convert("UTC").astype("datetime64[ns, UTC]"),
        break_starts=(pd.DatetimeIndex(sched["break_start"]).tz_convert("UTC").astype("datetime64[ns, UTC]")
                      if "break_start" in sched else None),
    )
    _write_sessions(key, table)
    return table


def calendar_cache_dir() -> Path | None:
    """Where session tables are cached between processes: ``$EVENTSTUDY_CALENDAR_CACHE``, else
    ``~/.cache/eventstudy/calendars``; None (no cache) when that variable is set but empty.

    exchange_calendars builds each calendar's holidays in Python in every process (Seoul's lunar
    calendar alone takes seconds); a table is the same for a day, so it is kept on disk keyed by
    the calendar, the exchange_calendars version, the start date, the source of this module (the
    CME and CBOT calendars are defined here) and the date (its default end is a year from today).

    Returns
    -------
    Path or None
    """
    env = os.environ.get("EVENTSTUDY_CALENDAR_CACHE")
    if env is not None:
        return Path(env) if env else None
    return Path.home() / ".cache" / "eventstudy" / "calendars"


@cache
def _source_tag() -> str:
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]


def _cache_key(name: str, version: str) -> str:
    today = pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%d")
    return f"{name}__{version}__{CALENDAR_START}__{_source_tag()}__{today}"


def _read_sessions(key: str) -> SessionTable | None:
    folder = calendar_cache_dir()
    if folder is None:
        return None
    try:
        with np.load(folder / f"{key}.npz", allow_pickle=False) as z:
            name, tz = (str(x) for x in z["labels"])
            sessions, opens, closes = z["sessions"], z["opens"], z["closes"]
            breaks = z["breaks"] if "breaks" in z.files else None
        if not (len(sessions) == len(opens) == len(closes)) or not len(sessions):
            return None
        return SessionTable(calendar=name, tz=tz, sessions=pd.DatetimeIndex(sessions.astype("datetime64[ns]")),
                            opens=pd.DatetimeIndex(opens.astype("datetime64[ns]")).tz_localize("UTC"),
                            closes=pd.DatetimeIndex(closes.astype("datetime64[ns]")).tz_localize("UTC"),
                            break_starts=None if breaks is None or len(breaks) != len(sessions) else
                            pd.DatetimeIndex(breaks.astype("datetime64[ns]")).tz_localize("UTC"))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # absent, truncated, foreign: rebuild
        return None


def _write_sessions(key: str, table: SessionTable) -> None:
    folder = calendar_cache_dir()
    if folder is None:
        return
    tmp = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob(f"{key.split('__')[0]}__*.npz"):  # yesterday's tables of this calendar
            old.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{key}.", suffix=".npz")
        with os.fdopen(fd, "wb") as fh:
            extra = {} if table.break_starts is None else {"breaks": table.break_starts.asi8}
            np.savez(fh, labels=np.array([table.calendar, table.tz]), sessions=table.sessions.asi8,
                     opens=table.opens.asi8, closes=table.closes.asi8, **extra)
        os.replace(tmp, folder / f"{key}.npz")
        tmp = None
    except OSError:  # a read-only home: no cache, the table is still right
        pass
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def data_sessions(dates, *, tz: str = "UTC", name: str = "data") -> SessionTable:
    """Sessions taken from the dates present in a price series (tickers the registry lacks).

    Each session opens at 00:00 and closes at 24:00 of its date in ``tz``: with no exchange hours
    known, an event is placed on the first data date on or after its own date in ``tz``.

    Parameters
    ----------
    dates : iterable of date-like
        Dates of the price rows; any time of day is dropped, duplicates are merged and the result
        is sorted.
    tz : str, default "UTC"
        Time zone in which each date's session runs from 00:00 to 24:00 (an IANA name).
    name : str, default "data"
        Label used in the table's ``calendar`` name, which reads ``"{name} ({tz}, close assumed 24:00)"``.

    Returns
    -------
    SessionTable
        One session per distinct date, with ``opens`` and ``closes`` converted to UTC.
    """
    d = pd.DatetimeIndex(pd.to_datetime(pd.Index(dates))).normalize().unique().sort_values()
    d = d.astype("datetime64[ns]")
    opens = d.tz_localize(tz).tz_convert("UTC")
    closes = (d + pd.Timedelta(days=1)).tz_localize(tz).tz_convert("UTC")
    return SessionTable(calendar=f"{name} ({tz}, close assumed 24:00)", tz=tz, sessions=d, opens=opens, closes=closes,
                        from_data=True)


def first_price_after(table: SessionTable, instants_utc: pd.DatetimeIndex) -> np.ndarray:
    """Positions in ``table`` of the first session whose daily price is fixed strictly after each
    instant (:attr:`SessionTable.price_instants`: the close, or a futures settlement).

    This is the day-0 rule for timed events: an event at exactly that instant belongs to the next
    session.

    Parameters
    ----------
    table : SessionTable
        Sessions of the market.
    instants_utc : pandas.DatetimeIndex
        Event instants; tz-aware (any zone, converted to UTC before comparing).

    Returns
    -------
    numpy.ndarray of int
        One position per instant. ``len(table)`` where no session's price is fixed after the
        instant (the caller reports it).
    """
    fixes = table.price_instants.asi8
    return np.searchsorted(fixes, pd.DatetimeIndex(instants_utc).tz_convert("UTC").asi8, side="right")


def first_session_on_or_after(table: SessionTable, dates) -> np.ndarray:
    """Positions of the first session whose date is on or after each (naive) date.

    Parameters
    ----------
    table : SessionTable
        Sessions of the market.
    dates : iterable of date-like
        Naive dates (midnight); a session on the same date counts as on or after it.

    Returns
    -------
    numpy.ndarray of int
        One position per date; ``len(table)`` where no session is on or after the date.
    """
    d = pd.DatetimeIndex(pd.to_datetime(pd.Index(dates))).astype("datetime64[ns]")
    return np.searchsorted(table.sessions.asi8, d.asi8, side="left")


def check_policy(date_only: str) -> str:
    """Validate a date-only policy name (see :data:`DateOnlyPolicy`).

    Parameters
    ----------
    date_only : str
        ``"session-date"``, ``"start-of-day"`` or ``"end-of-day"``.

    Returns
    -------
    str
        ``date_only`` unchanged.

    Raises
    ------
    AlignmentError
        If ``date_only`` is not one of the policies.
    """
    if date_only not in DATE_ONLY_POLICIES:
        raise AlignmentError(
            f"argument date_only={date_only!r} is not a policy; pass one of {list(DATE_ONLY_POLICIES)}"
        )
    return date_only
