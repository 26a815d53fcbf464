"""Halts and gaps inside intraday event windows.

The return of bar ``tau`` runs from the end of bar ``tau - 1`` to the end of bar ``tau``. When the
next bar starts later than the previous one ended, the return spans that gap, and the instrument's
exchange calendar says what the gap is:

* a **halt** when the market was closed for (part of) it: a session close (overnight; CME's
  17:00-18:00 ET daily break), a weekend, a holiday, a lunch break. The return then holds the move
  over the closure (weekend news priced at the reopen).
* a **gap** when the market was open and the data has no bars: missing data inside a session
  (at least one bar length of open market without a bar). A gap that also holds a closure is both.

A ticker the registry does not know has no calendar: every gap of at least one bar length is then
reported as a gap, with "no exchange calendar" in its text (it may be a closure).

Each window of each (event, instrument) member gets its halts and gaps (:func:`window_flags`):
``bar0-across-halt`` when bar 0's own return spans a halt (the event came while the market was
shut, or in the reopen bar), ``crosses-halt on tau ...`` for later (or earlier) bars of the window,
``gap on tau ...`` for missing bars. What a study does with them is ``across_halts``
(:data:`ACROSS_HALTS`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cache
from typing import Literal, get_args

import numpy as np
import pandas as pd

from .errors import SpecificationError

AcrossHalts = Literal["flag", "allow", "exclude-bar0", "exclude"]
"""What an intraday study does with a window whose returns span a market closure.

``"flag"`` (default)
    Keep the numbers and say so in ``status``: ``bar0-across-halt`` (bar 0's return spans the
    closure) and ``crosses-halt on tau ...``; the ``halts`` column of ``car`` names each closure.
``"allow"``
    Returns across closures are what the study means to measure (weekend news priced at the
    reopen): the status stays ``ok``; the ``halts`` column still names them.
``"exclude-bar0"``
    Leave out of the study (listed in ``exclusions`` with the closure) every member whose bar 0
    opens across a halt; later crossings are kept and flagged as with ``"flag"``.
``"exclude"``
    Leave out every member any of whose event windows crosses a halt, bar 0 included.

Gaps (bars missing while the market was open) are flagged ``gap on tau ...`` in every mode.
"""
ACROSS_HALTS: tuple[str, ...] = get_args(AcrossHalts)
BAR0 = "bar0-across-halt"
CROSSES = "crosses-halt"
GAP = "gap"
LOCAL = "%Y-%m-%dT%H:%M%z"
UTC = "%Y-%m-%dT%H:%M:%SZ"


def check_across_halts(value: str) -> str:
    """Validate an ``across_halts`` choice (see :data:`AcrossHalts`).

    Parameters
    ----------
    value : str
        ``"flag"``, ``"allow"``, ``"exclude-bar0"`` or ``"exclude"``.

    Returns
    -------
    str
        ``value`` unchanged.

    Raises
    ------
    SpecificationError
        If ``value`` is not one of them.
    """
    if value not in ACROSS_HALTS:
        raise SpecificationError(f"across_halts={value!r} is not a choice; pass one of {list(ACROSS_HALTS)}")
    return value


@dataclass(frozen=True)
class Closures:
    """When a market is closed, from its exchange calendar: sorted, non-overlapping intervals
    ``[start, end)`` (int ns, UTC) with what each is."""

    starts: np.ndarray
    ends: np.ndarray
    kinds: np.ndarray  # "overnight", "daily break", "weekend", "holiday", "lunch break"
    tz: str

    def describe(self, j: int) -> str:
        """Closure ``j`` as ``"weekend 2025-10-10T17:00-04:00/2025-10-12T18:00-04:00"``.

        Parameters
        ----------
        j : int
            Position of the closure.

        Returns
        -------
        str
            Its kind and its ISO 8601 interval in the exchange's own time zone.
        """
        lo, hi = (pd.Timestamp(int(x), tz="UTC").tz_convert(self.tz) for x in (self.starts[j], self.ends[j]))
        return f"{self.kinds[j]} {_iso(lo)}/{_iso(hi)}"


def _iso(ts: pd.Timestamp) -> str:
    text = ts.strftime(LOCAL)
    return text[:-2] + ":" + text[-2:]  # -0400 -> -04:00


@cache
def market_closures(ticker: str) -> Closures | None:
    """The closures of a registered ticker's exchange calendar, or None (unregistered, or a
    calendar exchange_calendars cannot build).

    Between two sessions the market is closed from the first's close to the next one's open: a
    ``holiday`` when a weekday between them has no session, a ``weekend`` when the sessions are
    further apart than a day, a ``daily break`` when it reopens on the day it closed (CME Globex,
    17:00-18:00 ET), else ``overnight``. A ``lunch break`` runs from a session's break start to its
    break end.

    Parameters
    ----------
    ticker : str
        A ticker of :data:`eventstudy.assets.REGISTRY`.

    Returns
    -------
    Closures or None
    """
    from .assets import REGISTRY
    from .calendars import CALENDAR_START, calendar_library

    if ticker not in REGISTRY:
        return None
    xcals = calendar_library()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            cal = xcals.get_calendar(REGISTRY[ticker].calendar, start=CALENDAR_START)
            sched = cal.schedule
    except Exception:  # a calendar exchange_calendars cannot build (e.g. '24/5'): no closures known
        return None
    tz = str(cal.tz)
    opens = pd.DatetimeIndex(sched["open"]).tz_convert("UTC")
    closes = pd.DatetimeIndex(sched["close"]).tz_convert("UTC")
    days = pd.DatetimeIndex(sched.index).tz_localize(None).values.astype("datetime64[D]")
    holiday = np.busday_count(days[:-1] + 1, days[1:]) > 0
    weekend = (days[1:] - days[:-1]).astype(int) > 1
    same_day = (closes[:-1].tz_convert(tz).normalize().tz_localize(None)
                == opens[1:].tz_convert(tz).normalize().tz_localize(None))
    kinds = np.where(holiday, "holiday", np.where(weekend, "weekend", np.where(same_day, "daily break", "overnight")))
    starts, ends = [closes[:-1].as_unit("ns").asi8], [opens[1:].as_unit("ns").asi8]
    kind_parts = [kinds.astype(object)]
    if "break_start" in sched.columns:
        has = sched["break_start"].notna().to_numpy() & sched["break_end"].notna().to_numpy()
        starts.append(pd.DatetimeIndex(sched["break_start"][has]).tz_convert("UTC").as_unit("ns").asi8)
        ends.append(pd.DatetimeIndex(sched["break_end"][has]).tz_convert("UTC").as_unit("ns").asi8)
        kind_parts.append(np.full(int(has.sum()), "lunch break", dtype=object))
    s, e, k = np.concatenate(starts), np.concatenate(ends), np.concatenate(kind_parts)
    order = np.argsort(s, kind="stable")
    return Closures(starts=s[order], ends=e[order], kinds=k[order], tz=tz)


@dataclass(frozen=True)
class BarGaps:
    """What lies between each bar of one instrument and the one before it.

    Position ``i`` describes the interval from the end of bar ``i - 1`` to the start of bar ``i``
    (what the return of bar ``i`` spans beyond its own bar); position 0 has no bar before it.
    """

    halt_first: np.ndarray  # first closure overlapping the interval, -1 if none
    halt_last: np.ndarray  # last closure overlapping it (inclusive), -1 if none
    gap: np.ndarray  # bool: at least a bar length of open market without bars
    gap_from: np.ndarray  # int ns: the interval (for a gap's text)
    gap_to: np.ndarray
    closures: Closures | None
    flagged: np.ndarray  # cumulative count of bars with a halt or a gap before them (fast empty windows)

    @property
    def halt(self) -> np.ndarray:
        """Bool per bar: its return spans a closure."""
        return self.halt_first >= 0


def bar_gaps(starts: np.ndarray, ends: np.ndarray, step: int, closures: Closures | None) -> BarGaps:
    """Classify the interval before every bar of one instrument as a halt, a gap, both or neither.

    Parameters
    ----------
    starts, ends : numpy.ndarray of int64
        Bar starts and ends (ns, UTC) of one instrument, sorted, each end at most the next start
        (as :func:`eventstudy.bars.bar_end_ns` gives them).
    step : int
        Bar length in nanoseconds.
    closures : Closures or None
        The instrument's closures (:func:`market_closures`); None: no calendar, every interval
        longer than a bar is a gap.

    Returns
    -------
    BarGaps
    """
    n = len(starts)
    lo = np.r_[starts[:1], ends[:-1]]  # position 0: an empty interval
    hi = starts.copy()
    first = np.full(n, -1, dtype=np.int64)
    last = np.full(n, -1, dtype=np.int64)
    covered = np.zeros(n, dtype=np.int64)
    if closures is not None and len(closures.starts):
        j0 = np.searchsorted(closures.ends, lo, side="right")  # first closure ending after lo
        j1 = np.searchsorted(closures.starts, hi, side="left")  # closures starting before hi: < j1
        hit = (j1 > j0) & (hi > lo)
        first[hit], last[hit] = j0[hit], j1[hit] - 1
        for i in np.flatnonzero(hit):  # few: the closures the data crosses
            js = slice(j0[i], j1[i])
            covered[i] = int(np.sum(np.minimum(closures.ends[js], hi[i]) - np.maximum(closures.starts[js], lo[i])))
    gap = (hi - lo) - covered >= step
    return BarGaps(halt_first=first, halt_last=last, gap=gap, gap_from=lo, gap_to=hi, closures=closures,
                   flagged=np.cumsum((first >= 0) | gap))


def window_flags(g: BarGaps, k: int, a: int, b: int) -> tuple[list[str], list[str]]:
    """The halts and gaps of one window: the returns of bars ``k + a`` ... ``k + b``.

    Parameters
    ----------
    g : BarGaps
        The instrument's bar gaps (:func:`bar_gaps`).
    k : int
        Position of bar 0 in the instrument's bars.
    a, b : int
        The window, in bars relative to bar 0 (inclusive).

    Returns
    -------
    tuple of (list of str, list of str)
        The status items (``bar0-across-halt``, ``crosses-halt on tau 10``, ``gap on tau 3 (no
        bars 2025-10-07T14:01:00Z/2025-10-07T14:03:00Z)``) and the closures crossed
        (:meth:`Closures.describe`), each once, in time order. Empty lists for a clean window; bars
        outside the data are left to the engine (it reports the missing returns).
    """
    lo, hi = max(k + a, 1), min(k + b, len(g.gap) - 1)
    if hi < lo or g.flagged[hi] == g.flagged[lo - 1]:  # nothing between these bars
        return [], []
    idx = np.arange(lo, hi + 1)
    items, halts, seen = [], [], set()
    halt_taus = [int(i - k) for i in idx[g.halt[idx]]]
    for i in idx[g.halt[idx]]:
        for j in range(g.halt_first[i], g.halt_last[i] + 1):
            if j not in seen and g.closures is not None:
                seen.add(j)
                halts.append(g.closures.describe(j))
    if 0 in halt_taus:
        items.append(BAR0)
    later = [t for t in halt_taus if t != 0]
    if later:
        items.append(f"{CROSSES} on tau " + ",".join(map(str, later)))
    gaps = idx[g.gap[idx]]
    if len(gaps):
        why = "" if g.closures is not None else "; no exchange calendar: a closure or missing bars"
        items.append(f"{GAP} on tau " + ",".join(
            f"{int(i - k)} (no bars {pd.Timestamp(int(g.gap_from[i]), tz='UTC'):{UTC}}/"
            f"{pd.Timestamp(int(g.gap_to[i]), tz='UTC'):{UTC}}{why})" for i in gaps))
    return items, halts
