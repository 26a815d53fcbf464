"""Load and validate an event catalog (``events.csv``).

Columns
-------
Required: ``event_id`` and either ``timestamp`` (ISO 8601 with a UTC offset, e.g.
``2025-05-06T20:00:00-04:00``) or ``date`` (``YYYY-MM-DD``, a date-only event).

Optional: ``time_precision`` (``exact`` | ``approximate`` | ``date-only``), ``title``,
``category`` (free text, or one of a set you pass as ``categories=``), ``direction`` (+1 or -1:
the expected sign of the reaction), ``location``, ``source``, ``notes``, ``group`` (a label to
pool by; any other column can be pooled by too), ``window_start`` and ``window_end`` (the event's
own window in session offsets, both or neither: :class:`~eventstudy.windows.EventWindows`), and
either ``asset`` (one row per event and asset) or ``assets`` (a semicolon-separated list).

Every problem is reported at once, each naming the file, line and column and the fix; no row is
dropped. A naive timestamp is an error (it would silently be read as UTC).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Literal, get_args

import numpy as np
import pandas as pd

from .errors import EventCatalogError, SpecificationError
from .windows import WINDOW_COLUMNS, Window

Precision = Literal["exact", "approximate", "date-only"]
PRECISIONS: tuple[str, ...] = get_args(Precision)

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_OFFSET = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")
MAX_LISTED = 20


def bundled_events_path() -> Path:
    """Path of the bundled catalog (the US-China example's, identical to the repo's events.csv)."""
    return Path(str(resources.files("eventstudy") / "data" / "events.csv"))


def load_events(
    path: str | os.PathLike | None = None,
    *,
    categories: Iterable[str] | None = None,
    frame: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Read and validate an event catalog.

    Parameters
    ----------
    path
        CSV file; ``None`` loads the bundled catalog (:func:`bundled_events_path`).
    categories
        Allowed values of the ``category`` column (default: any); a value outside the set is an
        error naming the line.
    frame
        Validate an in-memory frame instead of reading ``path`` (line numbers then count the
        header as line 1, as in a CSV).

    Returns
    -------
    pandas.DataFrame
        One row per input row in input order, with the input columns (text, surrounding spaces
        stripped; ``direction`` as nullable ``Int64`` +1/-1) plus ``event_time_utc`` (tz-aware UTC
        instant; 00:00 UTC of the date for a date-only event), ``utc_offset`` (as written, e.g.
        ``-04:00``; empty for a date-only event), ``event_date`` (naive date in the event's own
        offset) and ``time_precision`` (``exact`` when a timestamp has none given). A column named
        ``event_date`` is read as ``date`` when there is neither ``date`` nor ``timestamp``. Rows
        with an ``assets`` list are *not* expanded here: see :func:`expand_assets`.

    Raises
    ------
    EventCatalogError
        If the file is missing or unreadable, ``event_id`` or both ``timestamp`` and ``date`` are
        missing, or any row is invalid; the message lists every problem (the first 20 in full)
        with file, line and column.
    """
    if frame is None:
        path = bundled_events_path() if path is None else Path(path)
        label = str(path)
        if not Path(path).is_file():
            raise EventCatalogError(f"{label}: no such file; pass --events with the path of your events CSV")
        try:
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
        except pd.errors.EmptyDataError:
            raise EventCatalogError(f"{label}: the file is empty; its first line must be the header, e.g. "
                                    "event_id,date (or event_id,timestamp), then one event per line") from None
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise EventCatalogError(f"{label}: not a readable CSV ({exc}); save it as UTF-8 comma-separated") from exc
    else:
        label = "<frame>"
        raw = frame.astype(str).where(frame.notna(), "")
    raw.columns = [str(c).strip() for c in raw.columns]
    if "date" not in raw.columns and "timestamp" not in raw.columns and "event_date" in raw.columns:
        raw = raw.rename(columns={"event_date": "date"})  # estudy2's and many tools' name for it
    allowed = None if categories is None else frozenset(categories)
    return _validate(raw, label, allowed)


def _validate(raw: pd.DataFrame, label: str, allowed: frozenset[str] | None) -> pd.DataFrame:
    problems: list[str] = []

    def bad(i: int | None, column: str | None, msg: str) -> None:
        where = label if i is None else f"{label}, line {i + 2}"
        problems.append(f"{where}{', column ' + column if column else ''}: {msg}")

    has_ts, has_date = "timestamp" in raw.columns, "date" in raw.columns
    missing = [c for c in ("event_id",) if c not in raw.columns]
    if not (has_ts or has_date):
        missing.append("timestamp (or date)")
    if missing:
        raise EventCatalogError(
            f"{label}: missing column(s) {missing}; the header has {list(raw.columns)}. "
            "An event catalog needs event_id and timestamp (ISO 8601 with UTC offset) or date (YYYY-MM-DD)"
        )
    if "asset" in raw.columns and "assets" in raw.columns:
        bad(None, None, "has both 'asset' and 'assets' columns; keep one (asset: one row per event and asset)")
    if raw.empty:
        raise EventCatalogError(f"{label}: the header {list(raw.columns)} is there but no event follows; add one "
                                "event per line")
    if "assets" in raw.columns:
        for i, cell in enumerate(raw["assets"]):
            listed = [a.strip() for a in str(cell).split(";") if a.strip()]
            twice = sorted({a for a in listed if listed.count(a) > 1})
            if twice:
                bad(i, "assets", f"lists {', '.join(map(repr, twice))} more than once; name each asset once")

    n = len(raw)
    utc = [pd.NaT] * n
    offsets = [""] * n
    dates = [pd.NaT] * n
    precision = [""] * n
    # plain lists, and every YYYY-MM-DD text parsed in one call: a 100,000-event catalog in seconds
    def column(name: str) -> list[str]:
        return raw[name].str.strip().tolist() if name in raw.columns else [""] * n

    ids, ts_texts, date_texts, precs = column("event_id"), column("timestamp"), column("date"), column("time_precision")
    plain_dates = _parse_dates([t if t else d for t, d in zip(ts_texts, date_texts)] +
                               [d if t else "" for t, d in zip(ts_texts, date_texts)])
    timed = _parse_timestamps(ts_texts)
    for i in range(n):
        if not ids[i]:
            bad(i, "event_id", "is empty; give every event a unique id")
        ts_text, date_text, prec = ts_texts[i], date_texts[i], precs[i]
        if prec and prec not in PRECISIONS:
            bad(i, "time_precision", f"{prec!r} is not one of {list(PRECISIONS)}")
            continue
        if ts_text:
            if _ISO_DATE.match(ts_text):
                parsed = plain_dates[i]
                if parsed is None:
                    bad(i, "timestamp", _date_problem(ts_text))
                    continue
                if prec and prec != "date-only":
                    bad(i, "time_precision", f"is {prec!r} but the timestamp {ts_text!r} has no time of day; "
                        "write the time with its UTC offset or set time_precision to date-only")
                    continue
                dates[i], utc[i], offsets[i], precision[i] = parsed, parsed.tz_localize("UTC"), "", "date-only"
                continue
            got = timed[i] if timed[i] is not None else _parse_timestamp(ts_text)
            if isinstance(got, str):
                bad(i, "timestamp", got)
                continue
            instant, local, offset = got
            prec = prec or "exact"
            day = local.normalize()
            if prec == "date-only" and local != day:
                bad(i, "timestamp", f"{ts_text!r} has a time of day but time_precision is date-only; "
                    "write midnight local time (T00:00:00 with the offset) or set time_precision to approximate")
                continue
            if date_text and plain_dates[n + i] != day:
                bad(i, "date", f"{date_text!r} is not the date of the timestamp {ts_text!r} ({day:%Y-%m-%d} in its "
                    "own offset); correct one of them or leave the date empty")
                continue
            dates[i], utc[i], offsets[i], precision[i] = day, instant, offset, prec
        elif date_text:
            parsed = plain_dates[i]
            if parsed is None:
                bad(i, "date", _date_problem(date_text))
                continue
            dates[i], utc[i], offsets[i], precision[i] = parsed, parsed.tz_localize("UTC"), "", "date-only"
        else:
            bad(i, "timestamp" if has_ts else "date", "is empty; every event needs a timestamp or a date")

    if "category" in raw.columns and allowed is not None:
        for i, value in enumerate(raw["category"].str.strip()):
            if value not in allowed:
                bad(i, "category", f"{value!r} is not a known category; use one of {sorted(allowed)} "
                    "(or pass categories= to allow more)")
    direction = None
    if "direction" in raw.columns:
        direction = pd.Series(pd.NA, index=raw.index, dtype="Int64")
        for i, value in enumerate(raw["direction"].str.strip()):
            if value in ("1", "+1", "1.0"):
                direction.iloc[i] = 1
            elif value in ("-1", "-1.0"):
                direction.iloc[i] = -1
            else:
                bad(i, "direction", f"{value!r} must be +1 or -1 (the expected sign of the reaction)")

    own = None
    if any(c in raw.columns for c in WINDOW_COLUMNS):
        missing_col = [c for c in WINDOW_COLUMNS if c not in raw.columns]
        if missing_col:
            bad(None, None, f"column {missing_col[0]!r} is missing: an event's own window needs both "
                            f"{' and '.join(WINDOW_COLUMNS)}")
        else:
            own = {c: pd.Series(pd.NA, index=raw.index, dtype="Int64") for c in WINDOW_COLUMNS}
            given = (raw["window_start"].str.strip() != "") | (raw["window_end"].str.strip() != "")
            for i, (lo, hi) in enumerate(zip(raw["window_start"].str.strip(), raw["window_end"].str.strip())):
                if not lo and not hi:
                    if given.any():  # the window 'event' pools every event's own window: each needs one
                        bad(i, "window_start", "empty while other events have their own window; give every event "
                                               "a window_start and window_end, or leave both columns empty throughout")
                    continue
                try:
                    w = Window.parse(f"{lo}:{hi}", argument="window_start:window_end")
                except SpecificationError as exc:
                    bad(i, "window_start", f"{lo!r}:{hi!r} is not a window ({exc}); give two whole session "
                                           "offsets, e.g. -1 and 5, or leave both empty")
                    continue
                own["window_start"].iloc[i], own["window_end"].iloc[i] = w.start, w.end

    key = ["event_id", "asset"] if "asset" in raw.columns else ["event_id"]
    stripped = raw[key].apply(lambda s: s.str.strip())
    dup = stripped.duplicated(keep=False) & (stripped["event_id"] != "")
    for _, grp in stripped[dup].groupby(key, sort=False):
        lines = ", ".join(str(j + 2) for j in grp.index)
        what = " and ".join(f"{k}={grp.iloc[0][k]!r}" for k in key)
        bad(None, None, f"duplicate {what} on lines {lines}; ids must be unique"
            + (" per asset" if len(key) == 2 else " (use an asset column for one row per event and asset)"))

    if problems:
        head = problems[:MAX_LISTED]
        more = f"\n  ... and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
        raise EventCatalogError(f"{len(problems)} problem(s) in the event catalog:\n  " + "\n  ".join(head) + more)

    out = raw.copy()
    for col in out.columns:
        out[col] = out[col].str.strip()
    out["event_time_utc"] = pd.DatetimeIndex(utc).astype("datetime64[ns, UTC]")
    out["utc_offset"] = offsets
    out["event_date"] = pd.DatetimeIndex(dates).astype("datetime64[ns]")
    out["time_precision"] = precision
    if direction is not None:
        out["direction"] = direction
    if own is not None:
        for c in WINDOW_COLUMNS:
            out[c] = own[c]
    return out


def _parse_timestamp(text: str) -> tuple[pd.Timestamp, pd.Timestamp, str] | str:
    """``(instant in UTC, local wall time as written (naive), offset '+HH:MM')`` of an ISO 8601
    timestamp with its UTC offset, or the problem with it."""
    try:
        ts = pd.Timestamp(text)
    except (ValueError, TypeError, OverflowError):
        return f"{text!r} is not an ISO 8601 timestamp; write e.g. 2025-05-06T20:00:00-04:00"
    if ts.tzinfo is None or not _ISO_OFFSET.search(text):
        return (f"{text!r} has no UTC offset (a naive time would be read as UTC); write the local time with its "
                f"offset, e.g. {ts.strftime('%Y-%m-%dT%H:%M:%S')}-04:00 for US Eastern summer time, or give only the "
                "date and set time_precision to date-only")
    if not YEARS[0] <= ts.year <= YEARS[1]:
        return (f"{text!r}: the year {ts.year} is outside {YEARS[0]}-{YEARS[1]}, the dates prices and calendars are "
                "handled for; check the year")
    z = ts.strftime("%z")
    return ts.tz_convert("UTC"), ts.tz_localize(None), z[:3] + ":" + z[3:]


def _parse_timestamps(texts: list[str]) -> list[tuple[pd.Timestamp, pd.Timestamp, str] | None]:
    """:func:`_parse_timestamp` of every timestamp with its offset, in one vectorised call; None
    where that call cannot vouch for the result (those rows take the one-by-one path, which also
    words the problem)."""
    out: list = [None] * len(texts)
    rows = [i for i, t in enumerate(texts) if t and not _ISO_DATE.match(t) and _ISO_OFFSET.search(t)]
    if not rows:
        return out
    text = pd.Series([texts[i] for i in rows], dtype=object)
    instant = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    parts = text.str.extract(r"(?:(Z)|([+-])(\d{2}):?(\d{2}))$")
    minutes = np.where(parts[0].notna(), 0,
                       np.where(parts[1] == "-", -1, 1) * (parts[2].fillna("0").astype(int) * 60
                                                           + parts[3].fillna("0").astype(int)))
    local = instant.dt.tz_localize(None) + pd.to_timedelta(minutes, unit="min")
    sign = np.where(minutes < 0, "-", "+")
    labels = [f"{s}{abs(m) // 60:02d}:{abs(m) % 60:02d}" for s, m in zip(sign, minutes.tolist())]
    for i, t, z, label in zip(rows, instant.tolist(), local.tolist(), labels):
        if not pd.isna(t) and YEARS[0] <= z.year <= YEARS[1]:
            out[i] = (t, z, label)
    return out


def _parse_dates(texts: list[str]) -> list[pd.Timestamp | None]:
    """Each ``YYYY-MM-DD`` text as a date (None when it is not one or its year is outside :data:`YEARS`)."""
    ok = [bool(_ISO_DATE.match(t)) and YEARS[0] <= int(t[:4]) <= YEARS[1] for t in texts]
    parsed = pd.to_datetime(pd.Series([t if k else None for t, k in zip(texts, ok)], dtype=object),
                            format="%Y-%m-%d", errors="coerce")
    return [None if pd.isna(d) else d for d in parsed.tolist()]


def _date_problem(text: str) -> str:
    year = text[:4]
    if _ISO_DATE.match(text) and year.isdigit() and not YEARS[0] <= int(year) <= YEARS[1]:
        return (f"{text!r}: the year {int(year)} is outside {YEARS[0]}-{YEARS[1]}, the dates prices and calendars are "
                "handled for; check the year")
    return f"{text!r} is not a date; write YYYY-MM-DD"


YEARS = (1678, 2261)
"""Years an event may fall in: those of nanosecond timestamps (1677-09-21 to 2262-04-11), which
prices, sessions and every output use."""


def expand_assets(events: pd.DataFrame, default_assets: Iterable[str]) -> pd.DataFrame:
    """One row per (event, asset): from an ``asset`` column, an ``assets`` list, or ``default_assets``.

    Parameters
    ----------
    events : pandas.DataFrame
        Events as from :func:`load_events`. With an ``asset`` column the rows are kept as they are;
        with an ``assets`` column each row is repeated once per ticker of its semicolon-separated
        list (an empty list means ``default_assets``) and ``assets`` is dropped; with neither,
        every event is paired with every default asset.
    default_assets : iterable of str
        Tickers for events that name none.

    Returns
    -------
    pandas.DataFrame
        A new frame with an ``asset`` column, events in input order (the assets of one event in
        list order), with a fresh index.
    """
    default_assets = list(default_assets)
    if "asset" in events.columns:
        out = events.copy()
    elif "assets" in events.columns:
        lists = events["assets"].map(lambda s: [a.strip() for a in s.split(";") if a.strip()] or default_assets)
        out = events.assign(asset=lists).explode("asset").drop(columns="assets")
    else:
        out = events.assign(asset=[default_assets] * len(events)).explode("asset")
    return out.reset_index(drop=True)
