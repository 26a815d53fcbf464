"""Events that overlap on a market, and what the study does about them.

Two members overlap when their events hit the same market within each other's event windows: the
windows (the union of the study's windows, in sessions of that market) share at least one
session. The strongest case is the same day 0: two news items of one evening (the Geneva talks
on a Sunday and their joint statement on Monday morning in Asia) give the market one reaction,
and counting it twice inflates N and every test.

Policies (``EventStudy(overlap=...)``, CLI ``--overlap``):

``"merge"`` (default)
    Members with the same (market, day 0) become one member, named ``A+B`` (the events in
    catalog order); its group value, category and direction are the events' common value, or
    none when they differ (it is then pooled only in ``all``). The reaction is counted once and
    kept. Members whose windows only partly overlap are kept and reported.
``"keep"``
    Every member as it is (each overlap is still reported).
``"drop-later"``
    On each market, a member whose window overlaps that of an earlier kept member is excluded.
``"drop"``
    Every member that overlaps another is excluded: McWilliams and Siegel (1997, Academy of
    Management Journal 40(3)) recommend dropping observations confounded by other events.

Every overlap is listed in ``overlaps.csv`` (:func:`find_overlaps`) and counted in the table
notes, whatever the policy; every member a policy removes is in ``exclusions.csv`` with the
reason.

Overlapping events are also one **date cluster** (:func:`event_clusters`, the members' column
``date_cluster``): the events whose windows overlap on any market, after the policy, are one
piece of independent evidence. The effective sample of every test counts these clusters as its
independent dates, and the placebo test moves each cluster as one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, get_args

import numpy as np
import pandas as pd

from .eventtime import MemberRows, ReturnRows, member_rows
from .windows import Window

OverlapPolicy = Literal["merge", "keep", "drop-later", "drop"]
OVERLAP_POLICIES: tuple[str, ...] = get_args(OverlapPolicy)
OVERLAP_COLUMNS = ["market", "event_a", "event_b", "day0_a", "day0_b", "sessions_shared", "same_day0"]
MERGE_SEPARATOR = "+"


def find_overlaps(returns: pd.DataFrame | ReturnRows, members: pd.DataFrame, windows: Sequence[Window], *,
                  rows: MemberRows | None = None) -> pd.DataFrame:
    """Every pair of members whose event windows share a session on their market.

    Parameters
    ----------
    returns : pandas.DataFrame
        ``ticker, date`` of every return row (sessions are rows of each asset's own series).
    members : pandas.DataFrame
        ``event_id, asset, day0`` (day 0 a return row of the asset), in catalog order.
    windows : sequence of Window
        The study's event windows; their span (first to last offset) is the window compared.
    rows : MemberRows, optional
        :func:`~eventstudy.eventtime.member_rows` of these members, when the caller has it.

    Returns
    -------
    pandas.DataFrame
        :data:`OVERLAP_COLUMNS`: the market, the two events (the earlier first), their day 0s, the
        number of sessions their windows share and whether the day 0 is the same.
    """
    lo = min(w.start for w in windows)
    hi = max(w.end for w in windows)
    span = hi - lo + 1
    mr = member_rows(returns, members) if rows is None else rows
    has = np.flatnonzero(mr.hi > mr.lo)
    # members by asset (in the members' order of assets), then day 0, then catalog order
    order = has[np.lexsort((has, mr.pos0[has], mr.rank[has]))]
    pos, asset = mr.pos0[order], mr.rank[order]
    pairs_a, pairs_b = [], []
    k = 1
    while k < order.size:  # the k-th next member of the same asset, while some window still overlaps
        near = (asset[k:] == asset[:-k]) & (pos[k:] - pos[:-k] < span)
        if not near.any():
            break
        a = np.flatnonzero(near)
        pairs_a.append(a)
        pairs_b.append(a + k)
        k += 1
    if not pairs_a:
        return pd.DataFrame([], columns=OVERLAP_COLUMNS)
    a, b = np.concatenate(pairs_a), np.concatenate(pairs_b)
    srt = np.lexsort((b, a))  # as a loop over a, then b, would list them
    a, b = a[srt], b[srt]
    ids = members["event_id"].to_numpy()
    assets = members["asset"].to_numpy()
    day0 = pd.to_datetime(members["day0"].to_numpy()).to_numpy().astype("datetime64[D]")[order]
    rows = zip(assets[order[a]], ids[order[a]], ids[order[b]], map(pd.Timestamp, day0[a]), map(pd.Timestamp, day0[b]),
               (span - (pos[b] - pos[a])).tolist(), (pos[a] == pos[b]).tolist())
    return pd.DataFrame(list(rows), columns=OVERLAP_COLUMNS)


def event_clusters(members: pd.DataFrame, overlaps: pd.DataFrame, catalog_ids) -> np.ndarray:
    """Date cluster of each member: events whose windows overlap on any market form one cluster.

    The clusters are the connected components of the "windows overlap on some market" relation
    between events: a Sunday talk and the Monday statement that shares its Asian day 0 are one
    cluster, and so is a chain of events a session or two apart. A merged member ``A+B`` ties A
    and B together (on every market, wherever the two events are apart).

    Parameters
    ----------
    members : pandas.DataFrame
        The members (``event_id``), after the overlap policy.
    overlaps : pandas.DataFrame
        :func:`find_overlaps` of these members.
    catalog_ids : collection of str
        The event ids of the catalog (to resolve merged ids, :func:`first_event`).

    Returns
    -------
    numpy.ndarray of int64
        A code per member, 0 .. n_clusters - 1, numbered in order of first appearance.
    """
    ids = set(map(str, catalog_ids))
    names = pd.unique(pd.concat([members["event_id"], overlaps["event_a"], overlaps["event_b"]]).astype(str))
    parts = {e: constituents(e, ids) for e in names}
    nodes = {c: i for i, c in enumerate(dict.fromkeys(c for p in parts.values() for c in p))}
    parent = list(range(len(nodes)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: str, b: str) -> None:
        ra, rb = root(nodes[a]), root(nodes[b])
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for p in parts.values():  # a merged member ties its events together
        for c in p[1:]:
            union(p[0], c)
    for a, b in zip(overlaps["event_a"].astype(str), overlaps["event_b"].astype(str)):
        union(parts[a][0], parts[b][0])
    codes, uniq = pd.factorize(members["event_id"].astype(str))
    roots = np.array([root(nodes[parts[e][0]]) for e in uniq], dtype=np.int64)[codes]
    return pd.factorize(roots)[0].astype(np.int64)


def constituents(event_id: str, catalog_ids) -> list[str]:
    """The catalog events of a member's ``event_id``: itself, or the events of a merged ``A+B``
    (in catalog order), resolved against the catalog so that an id may itself contain ``+``.

    Parameters
    ----------
    event_id : str
        A member's event id.
    catalog_ids : collection of str
        The event ids of the catalog.

    Returns
    -------
    list of str
        ``[event_id]`` when it is not a merged name of catalog events.
    """
    if event_id in catalog_ids:
        return [event_id]
    heads = sorted((str(e) for e in catalog_ids if event_id.startswith(str(e) + MERGE_SEPARATOR)), key=len,
                   reverse=True)
    for h in heads:  # the longest head whose remainder resolves
        rest = constituents(event_id[len(h) + len(MERGE_SEPARATOR):], catalog_ids)
        if all(r in catalog_ids for r in rest):
            return [h, *rest]
    return [event_id]


def first_event(event_id: str, catalog_ids) -> str:
    """The first catalog event of a member's ``event_id`` (itself, or the first of a merged
    ``A+B``, :func:`constituents`): the event whose instant and day 0 the member keeps.

    Parameters
    ----------
    event_id : str
        A member's event id.
    catalog_ids : collection of str
        The event ids of the catalog.

    Returns
    -------
    str
    """
    return constituents(event_id, catalog_ids)[0]


def apply_policy(members: pd.DataFrame, overlaps: pd.DataFrame, policy: OverlapPolicy,
                 meta: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The members that remain under ``policy``, and the ones it removes with the reason.

    Parameters
    ----------
    members : pandas.DataFrame
        The members (``event_id, asset, day0`` and catalog columns), in catalog order.
    overlaps : pandas.DataFrame
        :func:`find_overlaps` of these members.
    policy : {"merge", "keep", "drop-later", "drop"}
        See the module docstring.
    meta : sequence of str
        Catalog columns carried on members (group, category, direction, title ...): a merged
        member keeps the events' common value of each, or none.

    Returns
    -------
    (members, exclusions)
        The remaining members (index reset, catalog order) and ``event_id, asset, reason`` of
        those removed.
    """
    empty = pd.DataFrame(columns=["event_id", "asset", "reason"])
    if policy == "keep" or overlaps.empty:
        return members.reset_index(drop=True), empty
    key = pd.MultiIndex.from_frame(members[["event_id", "asset"]])
    a = key.get_indexer(pd.MultiIndex.from_arrays([overlaps["event_a"], overlaps["market"]]))
    b = key.get_indexer(pd.MultiIndex.from_arrays([overlaps["event_b"], overlaps["market"]]))
    drop: dict[int, str] = {}
    out = members.copy()
    if policy == "drop":
        for i, j, m in zip(a, b, overlaps["market"]):
            drop.setdefault(int(i), f"its window overlaps that of {members['event_id'].iat[j]} on {m} (overlap='drop')")
            drop.setdefault(int(j), f"its window overlaps that of {members['event_id'].iat[i]} on {m} (overlap='drop')")
    elif policy == "drop-later":
        for i, j, m in zip(a, b, overlaps["market"]):  # rows are in day-0 order per market
            if int(i) not in drop:
                drop.setdefault(int(j), f"its window overlaps that of {members['event_id'].iat[i]} on {m}, which "
                                        "comes first (overlap='drop-later')")
    else:  # merge: the same (market, day 0) is one member
        same = overlaps["same_day0"].to_numpy()
        parent = {}
        for i, j in zip(a[same], b[same]):
            root = parent.get(int(i), int(i))
            parent[int(j)] = root
        clusters: dict[int, list[int]] = {}
        for j, root in parent.items():
            clusters.setdefault(root, [root]).append(j)
        for rows in clusters.values():
            rows = sorted(set(rows))  # catalog order
            name = MERGE_SEPARATOR.join(str(members["event_id"].iat[r]) for r in rows)
            keep = rows[0]
            out.at[out.index[keep], "event_id"] = name
            for col in meta:
                if col not in out.columns:
                    continue
                values = members[col].iloc[rows]
                if col == "title":
                    out.at[out.index[keep], col] = " + ".join(str(v) for v in values)
                elif values.nunique(dropna=False) > 1:
                    out.at[out.index[keep], col] = pd.NA
            for r in rows[1:]:
                drop[r] = f"merged into {name}: the same day 0 on {members['asset'].iat[r]} (overlap='merge')"
    keep_rows = [r for r in range(len(out)) if r not in drop]
    excluded = pd.DataFrame({"event_id": members["event_id"].to_numpy()[sorted(drop)],
                             "asset": members["asset"].to_numpy()[sorted(drop)],
                             "reason": [drop[r] for r in sorted(drop)]})
    return out.iloc[keep_rows].reset_index(drop=True), excluded if len(excluded) else empty
