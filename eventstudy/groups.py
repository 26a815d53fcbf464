"""The one definition of groups: which members (event, asset pairs) a pooled statistic averages.

A study's groups are, in this order:

* ``all`` -- every member;
* each value of the study's group column (any column of the event catalog: ``group``,
  ``category``, ``region`` ...), in order of first appearance. A member whose value is missing
  (NaN, None, or empty text) belongs to no value group, only to ``all``. A study may pool by
  several columns at once (``group=("group", "region")``): each column's values are then groups
  named ``column=value`` (``region=asia``), column after column, so that two columns' equal
  values stay apart;
* each event (its ``event_id``), when the study runs the battery per event;
* each asset pooled over its events (``asset:SPY``), for the CAAR and AAR views.

The test battery, the result views, the placebo test and the figures all take their groups from
:func:`define_groups`, so a group means the same members everywhere.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import DataError
from .overlaps import constituents

ALL = "all"
ASSET_PREFIX = "asset:"


def group_columns(column) -> tuple[str, ...]:
    """The group columns of a study: ``None`` -> ``()``, ``"region"`` -> ``("region",)``, a
    sequence -> a tuple of its columns, each once, in order.

    Parameters
    ----------
    column : str, sequence of str or None
        The study's ``group`` option.

    Returns
    -------
    tuple of str
    """
    if not column:
        return ()
    if isinstance(column, str):
        return (column,)
    return tuple(dict.fromkeys(str(c) for c in column if c))


def group_labels(members: pd.DataFrame, column: str | None) -> pd.Series:
    """Each member's group value as text, ``<NA>`` (pandas NA) where it has none.

    Parameters
    ----------
    members
        One row per member.
    column
        The group column, or None (every member then has no value).

    Returns
    -------
    Series of object (str or ``pd.NA``), aligned with ``members``.
    """
    if not column or column not in members.columns:
        return pd.Series(pd.NA, index=members.index, dtype=object)
    codes, values = pd.factorize(members[column], use_na_sentinel=True)  # each distinct value once
    labels = np.array([pd.NA if _missing(v) else str(v).strip() for v in values] + [pd.NA], dtype=object)
    return pd.Series(labels[codes], index=members.index, dtype=object)  # code -1 (missing) -> the last


def _missing(v) -> bool:
    if v is None or v is pd.NA:
        return True
    try:
        if pd.isna(v):
            return True
    except (TypeError, ValueError):
        return False
    return isinstance(v, str) and not v.strip()


def define_groups(members: pd.DataFrame, column: str | None, *, by_event: bool = True,
                  by_asset: bool = False) -> dict[str, np.ndarray]:
    """Group name -> positions (0..N-1) of its members, in the order of the module docstring.

    Parameters
    ----------
    members
        One row per member with ``event_id`` and ``asset`` (and the group column).
    column
        Column (or columns, :func:`group_columns`) whose values are pooled (None: none).
    by_event
        Add one group per event (named by its ``event_id``).
    by_asset
        Add one group per asset (``asset:<ticker>``).

    Returns
    -------
    dict
        ``{name: int64 positions}``; a name is never repeated (see :func:`check_group_names`).
    """
    out: dict[str, np.ndarray] = {ALL: np.arange(len(members), dtype=np.int64)}
    columns = group_columns(column)
    for col in columns:
        labels = group_labels(members, col)
        have = labels.notna().to_numpy()
        if have.any():
            codes, uniques = pd.factorize(labels[have], sort=False)
            pos = np.flatnonzero(have)
            for k, name in enumerate(uniques):
                out.setdefault(str(name) if len(columns) == 1 else f"{col}={name}", pos[codes == k])
    if by_event:
        for eid, idx in members.groupby("event_id", sort=False).indices.items():
            out.setdefault(str(eid), np.asarray(idx, dtype=np.int64))
    if by_asset:
        for a, idx in members.groupby("asset", sort=False).indices.items():
            out[f"{ASSET_PREFIX}{a}"] = np.asarray(idx, dtype=np.int64)
    return out


def check_group_names(members: pd.DataFrame, column: str | None, *, by_event: bool) -> None:
    """Refuse group values that would share a name with ``all`` or an event in ``tests.csv``.

    Parameters
    ----------
    members : pandas.DataFrame
        One row per member with ``event_id`` (and the group column).
    column : str or None
        The group column; None (or a column ``members`` lacks) means no value groups, so nothing
        can clash.
    by_event : bool
        Whether the study has one group per event; if False, only a clash with ``all`` counts.

    Returns
    -------
    None

    Raises
    ------
    DataError
        Naming the clashing values and how to rename them.
    """
    columns = group_columns(column)
    values = set()
    for col in columns:
        labels = group_labels(members, col).dropna()
        values |= set(labels) if len(columns) == 1 else {f"{col}={v}" for v in labels}
    taken = {ALL} | ({str(e) for e in members["event_id"]} if by_event else set())
    clash = sorted(values & taken)
    if clash:
        what = "the pooled group" if clash == [ALL] else "an event"
        raise DataError(
            f"group={column!r}: value(s) {clash[:5]} also name {what}, so their tests would share a name in "
            f"tests.csv; rename those group values (e.g. 'group {clash[0]}')")


def value_groups(members: pd.DataFrame, column: str | None) -> list[str]:
    """The value groups of ``column`` (without ``all``, events or assets), in order of appearance.

    Parameters
    ----------
    members : pandas.DataFrame
        One row per member (with the group column).
    column : str or None
        The group column; None (or a column ``members`` lacks) gives no groups.

    Returns
    -------
    list of str
        The distinct non-missing values as stripped text (see :func:`group_labels`), except one
        equal to ``"all"``.
    """
    return [g for g in define_groups(members, column, by_event=False) if g != ALL]


def groups_by_column(members: pd.DataFrame, column) -> dict[str, list[str]]:
    """Each group column's value groups, by column (the names :func:`define_groups` gives them).

    Parameters
    ----------
    members : pandas.DataFrame
        One row per member (with the group columns).
    column : str, sequence of str or None
        The study's group column(s) (:func:`group_columns`).

    Returns
    -------
    dict of str to list of str
        ``{column: [group name, ...]}`` in the columns' order; a column without values is left out.
    """
    columns = group_columns(column)
    out = {}
    for col in columns:
        names = value_groups(members, col)
        if names:
            out[col] = names if len(columns) == 1 else [f"{col}={v}" for v in names]
    return out


FEW_DATES = 5
"""Below this many independent dates a pooled result is marked as resting on too few of them."""

SAMPLE_COLUMNS = ["events", "dates", "markets"]


def effective_sample(members: pd.DataFrame, groups: dict[str, np.ndarray], car: pd.DataFrame,
                     catalog_ids=None) -> pd.DataFrame:
    """What each group's statistics rest on, per window: events, independent dates and markets.

    A group of N members is N observations only if they are independent. Markets hit on one date
    move together, and events whose windows overlap on a market share their reaction, so the
    independent evidence is the number of **dates**: the date clusters of the group's events
    (``members['date_cluster']``, :func:`eventstudy.overlaps.event_clusters`; events whose windows
    overlap on some market count once). A group resting on fewer than :data:`FEW_DATES` dates is
    marked in the tables: its tests judge those days' moves against the markets' normal volatility,
    which is valid for those days, but a handful of dates cannot tell the news apart from anything
    else that moved markets on them, nor say how the reaction varies from one event to the next
    (a t over k dates has k - 1 degrees of freedom).

    Parameters
    ----------
    members : pandas.DataFrame
        The members (``event_id, asset, date_cluster``).
    groups : dict
        Group name -> member positions (:func:`define_groups`).
    car : pandas.DataFrame
        ``member, window, car``: only members with a finite CAR in a window count for it.
    catalog_ids : collection of str, optional
        The catalog's event ids: a merged member ``A+B`` (:mod:`eventstudy.overlaps`) then counts
        its events A and B (:func:`eventstudy.overlaps.constituents`); without them it counts as one.

    Returns
    -------
    pandas.DataFrame
        ``group, window`` and :data:`SAMPLE_COLUMNS` (distinct catalog events, date clusters and
        assets).
    """
    ok = car[np.isfinite(car["car"].to_numpy(dtype=float))]
    ids = set(map(str, catalog_ids)) if catalog_ids is not None else None
    names, first = pd.factorize(members["event_id"].astype(str))
    parts = [constituents(e, ids) if ids is not None else [e] for e in first]  # each name's catalog events
    codes = pd.factorize(pd.Index([c for p in parts for c in p]))[0]
    starts = np.cumsum([0] + [len(p) for p in parts])
    date = (pd.factorize(members["date_cluster"])[0] if "date_cluster" in members.columns
            else names)  # no clusters known: each event its own date
    asset = pd.factorize(members["asset"])[0]
    rows = []
    for w in pd.unique(car["window"]):  # every window, also one without any finite CAR
        has = np.zeros(len(members), dtype=bool)
        has[ok.loc[ok["window"] == w, "member"].to_numpy(dtype=np.int64)] = True
        for g, idx in groups.items():
            idx = np.asarray(idx, dtype=np.int64)
            idx = idx[has[idx]]
            named = np.unique(names[idx])
            covered = [codes[starts[k]:starts[k + 1]] for k in named]
            n_events = np.unique(np.concatenate(covered)).size if covered else 0
            rows.append((g, w, n_events, np.unique(date[idx]).size, np.unique(asset[idx]).size))
    return pd.DataFrame(rows, columns=["group", "window", *SAMPLE_COLUMNS])
