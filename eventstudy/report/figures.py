"""Research figures: CAR paths per event, CAAR paths per group, an intraday move around an event.

Every function returns a :class:`matplotlib.figure.Figure` and, given ``path=``, also saves it
(PNG at 150 dpi unless the suffix says otherwise). matplotlib is imported inside the functions, and
figures are made with ``matplotlib.figure.Figure`` directly, not through ``pyplot``: nothing is
registered in pyplot's figure manager, no backend is switched and no ``rcParams`` are changed, so
the figures work headless (Agg) and leave no global style behind.

**Event-time coverage.** The results hold the abnormal returns of the study's event windows only.
The paths can therefore cover only the taus of the union of the event windows (a study with
windows ``0:0, 0:1, -1:1`` -> tau -1..1). To draw wider paths, run the study with a wider window,
e.g. ``windows=[(-5, 5), (-1, 1), (0, 0)]``; the figure caption says when the requested window was
clipped.

**Bands.**

* :func:`car_paths` — for member *i* (an event on a market) the band around its cumulative abnormal
  return after *n* accumulated days is ``+- z * s_i * sqrt(n)``, ``s_i`` the residual standard
  deviation of that member's estimation window, ``sqrt(sum AR^2 / (M - k))`` (``res.params``
  ``sigma``; M usable estimation rows, k parameters of the normal-return model). It ignores
  parameter-estimation error and event-induced variance.
* :func:`caar_by_group` — ``CAAR(tau) +- z * sd_i(CAR_i(tau)) / sqrt(N)``, the naive cross-sectional
  standard error. Markets reacting to the same event are correlated, so this band is too narrow for
  pooled events; the clustering-robust statistics are in ``res.tests``
  (:data:`~eventstudy.report.summary.ROBUST_FIRST`).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd

from ..bars import market_tz
from ..errors import DataError, SpecificationError, require
from ..groups import ALL, FEW_DATES, value_groups
from ..windows import Window
from .summary import ROBUST_FIRST

__all__ = ["caar_by_group", "caar_path_data", "car_path_data", "car_paths", "intraday_move", "need_matplotlib",
           "placebo_null", "save_all"]

MAX_EVENTS = 16
"""Events drawn by :func:`car_paths` when none are named: all of them up to this many, else the
ones with the largest mean absolute CAR over the drawn window (the caption says so)."""
MAX_ASSETS = 8
"""Markets drawn per panel by :func:`car_paths` when none are named: the first this many (the
caption says how many were left out)."""
MAX_GROUPS = 6
"""Groups drawn by :func:`caar_by_group` by default: the study's group values up to this many."""
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf", "#4d4d4d", "#aec7e8")
GROUP_PALETTE = ("#2166ac", "#1b7837", "#b2182b", "#762a83", "#e08214", "#35978f", "#8c510a")
_DPI = 150


# ----------------------------------------------------------------------------------------------
# helpers


def _z(level: float) -> float:
    if not 0 < level < 1:
        raise SpecificationError(f"level={level!r} must lie strictly between 0 and 1 (e.g. 0.95)")
    return NormalDist().inv_cdf(0.5 + level / 2)


def _figure(width: float, height: float):
    Figure = require("matplotlib.figure", extra="plots", feature="figures").Figure

    return Figure(figsize=(width, height), layout="constrained")


def _save(fig, path) -> None:
    if path is None:
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=_DPI, facecolor="white")


def _pct_axis(ax, decimals=None) -> None:
    from matplotlib.ticker import PercentFormatter

    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=decimals))


def _select(kind: str, wanted, valid: Sequence[str]) -> list[str]:
    if isinstance(wanted, str):
        wanted = [wanted]
    wanted = list(wanted)
    unknown = [w for w in wanted if w not in set(valid)]
    if unknown:
        raise SpecificationError(f"unknown {kind}(s) {unknown}; the results hold: {', '.join(map(str, valid))}")
    if not wanted:
        raise SpecificationError(f"no {kind} selected; choose from: {', '.join(map(str, valid))}")
    return list(dict.fromkeys(wanted))


def _event_taus(res) -> list[int]:
    """Taus of the study's event-window rows: the union of its windows."""
    taus: set[int] = set()
    for w in res.plan.windows:
        taus.update(range(w.start, w.end + 1))
    return sorted(taus)


def _labels(res) -> str:
    return ", ".join(w.label for w in res.plan.windows)


def _path_taus(res, window) -> tuple[list[int], str]:
    """The contiguous taus of ``window`` the study covers, and a note when that clips the window."""
    lo, hi = Window.parse(window) if window is not None else (None, None)
    have = _event_taus(res)
    if lo is None:
        lo, hi = have[0], have[-1]
    taus = [t for t in range(lo, hi + 1) if t in set(have)]
    if not taus:
        raise DataError(f"window {lo}:{hi} holds none of the study's event taus {have[0]}..{have[-1]} "
                        f"(windows {_labels(res)}); run the study with windows=[({lo}, {hi})]")
    runs, run = [], [taus[0]]
    for t in taus[1:]:
        if t == run[-1] + 1:
            run.append(t)
        else:
            runs.append(run)
            run = [t]
    runs.append(run)
    taus = next((r for r in runs if 0 in r), max(runs, key=len))
    note = ""
    if (taus[0], taus[-1]) != (lo, hi):
        note = (f"Requested window {lo}:{hi}; the study's event windows ({_labels(res)}) "
                f"cover tau {taus[0]}..{taus[-1]} only. Run the study with windows=[({lo}, {hi})] for wider paths.")
    return taus, note


def _event_meta(res) -> pd.DataFrame:
    """One row per event_id: title, category, local timestamp text (catalog order)."""
    m = res.members.drop_duplicates("event_id").set_index("event_id")
    out = pd.DataFrame(index=m.index)
    out["title"] = m["title"] if "title" in m else m.index.to_series()
    out["category"] = m.get("category", "")
    stamp = pd.Series("", index=m.index, dtype=object)
    ev = res.spec.events if isinstance(res.spec.events, pd.DataFrame) else None
    if ev is not None and "timestamp" in ev and "event_id" in ev:
        ts = ev.drop_duplicates("event_id").set_index("event_id")["timestamp"].astype(str)
        prec = (ev.drop_duplicates("event_id").set_index("event_id")["time_precision"].astype(str)
                if "time_precision" in ev else pd.Series("", index=ts.index))
        for eid in out.index:
            if eid in ts.index:
                t = ts[eid]
                stamp[eid] = t[:10] if prec.get(eid) == "date-only" else f"{t[:10]} {t[11:16]} (UTC{t[19:]})"
    if (stamp == "").any():
        first = res.members.groupby("event_id", sort=False)["day0"].min()
        for eid in out.index[stamp == ""]:
            stamp[eid] = f"day 0 {pd.Timestamp(first[eid]):%Y-%m-%d}"
    out["stamp"] = stamp
    return out


# ----------------------------------------------------------------------------------------------
# 1. CAR paths per event


def car_path_data(res, *, events=None, assets=None, window=(-5, 5), level: float = 0.95) -> pd.DataFrame:
    """The numbers :func:`car_paths` draws, tidy: one row per (event, asset, tau).

    Parameters
    ----------
    res : EventStudyResults
        The fitted study.
    events : str or sequence of str, optional
        Event ids to include; None for all.
    assets : str or sequence of str, optional
        Markets (tickers) to include; None for all.
    window : Window or tuple of (int, int) or str, default (-5, 5)
        Taus of the path, inclusive at both ends; clipped to the taus the study's event windows
        cover (the contiguous run holding tau 0, else the longest one; see the module docstring).
        None for all of them.
    level : float, default 0.95
        Coverage of the band, strictly between 0 and 1; ``z`` is the two-sided normal quantile.

    Returns
    -------
    pandas.DataFrame
        Columns: event_id, asset, member, tau, n (days accumulated, 1 at the window's first tau), ar,
        car (sum of AR from the first tau through tau; a missing AR leaves the rest of the path NaN),
        s (estimation-window residual sd of the member, ``sqrt(sum AR^2 / (M - k))``,
        ``res.params["sigma"]``), m_est (M), half_width (``z * s * sqrt(n)``), lower, upper, z.
        Returns are decimal fractions, not percent.

    Raises
    ------
    DataError
        If an event or asset name is unknown (the message lists the valid ones), the selection is
        empty, ``level`` is not inside (0, 1), or ``window`` holds none of the study's taus.
    SpecificationError
        If ``window`` cannot be parsed.
    """
    z = _z(level)
    members = res.members
    ev_valid = list(pd.unique(members["event_id"]))
    as_valid = list(pd.unique(members["asset"]))
    ev_sel = ev_valid if events is None else _select("event", events, ev_valid)
    as_sel = as_valid if assets is None else _select("asset", assets, as_valid)
    taus, _ = _path_taus(res, window)

    ar = res.event_rows
    mine = ar["event_id"].isin(ev_sel) & ar["asset"].isin(as_sel)
    stats = pd.DataFrame({"s": res.params["sigma"].to_numpy(), "m_est": res.params["n_est"].to_numpy()})

    evt = ar.loc[mine & ar["tau"].isin(taus), ["member", "tau", "ar"]]
    wide = evt.pivot(index="member", columns="tau", values="ar").reindex(columns=taus)
    sel_members = members.index[members["event_id"].isin(ev_sel) & members["asset"].isin(as_sel)]
    wide = wide.reindex(sel_members)
    car = np.cumsum(wide.to_numpy(dtype=float), axis=1)  # a missing day leaves the rest of the path NaN
    n_days = np.arange(1, len(taus) + 1, dtype=float)
    out = pd.DataFrame({
        "event_id": np.repeat(members.loc[sel_members, "event_id"].to_numpy(), len(taus)),
        "asset": np.repeat(members.loc[sel_members, "asset"].to_numpy(), len(taus)),
        "member": np.repeat(sel_members.to_numpy(), len(taus)),
        "tau": np.tile(taus, len(sel_members)),
        "n": np.tile(n_days, len(sel_members)).astype(int),
        "ar": wide.to_numpy(dtype=float).ravel(),
        "car": car.ravel(),
    })
    s = stats.reindex(sel_members)
    out["s"] = np.repeat(s["s"].to_numpy(dtype=float), len(taus))
    out["m_est"] = np.repeat(s["m_est"].fillna(0).to_numpy(dtype=int), len(taus))
    out["half_width"] = z * out["s"] * np.sqrt(out["n"])
    out["lower"] = out["car"] - out["half_width"]
    out["upper"] = out["car"] + out["half_width"]
    out["z"] = z
    return out


def _default_events(res, window) -> tuple[list[str], str]:
    """Every event, or the :data:`MAX_EVENTS` with the largest mean |CAR| over the drawn window;
    and a caption note when some are left out."""
    events = list(pd.unique(res.members["event_id"]))
    if len(events) <= MAX_EVENTS:
        return events, ""
    taus, _ = _path_taus(res, window)
    evt = res.event_rows[res.event_rows["tau"].isin(taus)]
    size = evt.groupby(["event_id", "member"])["ar"].sum().abs().groupby("event_id").mean()
    pick = set(size.sort_values(ascending=False, kind="stable").index[:MAX_EVENTS])
    chosen = [e for e in events if e in pick]
    return chosen, (f"{len(chosen)} of {len(events)} events shown: those with the largest mean |CAR| over "
                    f"tau {taus[0]}..{taus[-1]}; pass events=[...] to choose.")


def _default_assets(res) -> tuple[list[str], str]:
    assets = list(pd.unique(res.members["asset"]))
    if len(assets) <= MAX_ASSETS:
        return assets, ""
    return assets[:MAX_ASSETS], (f"{MAX_ASSETS} of {len(assets)} markets shown (the first in the study); "
                                 "pass assets=[...] to choose.")


def car_paths(res, *, events=None, assets=None, window=(-5, 5), level: float = 0.95, ncols: int | None = None,
              path=None):
    """Cumulative abnormal return paths over event time, one panel per event, a line per market.

    Band: ``+- z * s_i * sqrt(n)`` (n = days accumulated). Panels have their own y scales (one
    event's moves can be ten times another's). The numbers are those of :func:`car_path_data`.

    Parameters
    ----------
    res : EventStudyResults
        The fitted study.
    events : str or sequence of str, optional
        Event ids to draw. Default: all of them up to :data:`MAX_EVENTS`, else those with the
        largest mean |CAR| (said in the caption).
    assets : str or sequence of str, optional
        Markets to draw. Default: all of them up to :data:`MAX_ASSETS`, else the first (said in the
        caption).
    window : Window or tuple of (int, int) or str, default (-5, 5)
        Taus to draw, clipped to the taus the study covers (see the module docstring; the caption
        says so).
    level : float, default 0.95
        Coverage of the band, strictly between 0 and 1; ``z`` is the two-sided normal quantile.
    ncols : int, optional
        Panels per row; default 5 for 13 or more events, 4 for 7 or more, else up to 3.
    path : str or pathlib.Path, optional
        Also save the figure there (parent folders created; PNG at 150 dpi unless the suffix says
        otherwise).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed.
    DataError
        As for :func:`car_path_data`.
    """
    need_matplotlib()
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    pick_note = []
    if events is None:
        events, note = _default_events(res, window)
        pick_note.append(note)
    if assets is None:
        assets, note = _default_assets(res)
        pick_note.append(note)
    pick_note = " ".join(n for n in pick_note if n)
    data = car_path_data(res, events=events, assets=assets, window=window, level=level)
    taus, clip_note = _path_taus(res, window)
    ev_sel = list(pd.unique(data["event_id"]))
    as_sel = list(pd.unique(data["asset"]))
    meta = _event_meta(res)
    colors = _asset_colors(as_sel)

    n = len(ev_sel)
    ncols = ncols or (5 if n >= 13 else 4 if n >= 7 else min(n, 3))
    nrows = -(-n // ncols)
    caption_lines = 2 + bool(clip_note) + bool(pick_note)
    from matplotlib.figure import Figure

    # a manual layout: title, legend, a grid of panels with three-line titles, a caption (in inches)
    top_in, bottom_in, panel_in = 1.3, 0.6 + 0.16 * caption_lines, 2.9
    height = top_in + bottom_in + panel_in * nrows
    fig = Figure(figsize=(3.6 * ncols, height))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    fig.subplots_adjust(left=0.05, right=0.99, top=1 - top_in / height, bottom=bottom_in / height,
                        hspace=0.6, wspace=0.28)
    single = len(taus) == 1
    for ax, eid in zip(axes.flat, ev_sel):
        d = data[data["event_id"] == eid]
        ax.axhline(0, color="0.35", lw=0.8, zorder=1)
        ax.axvline(0, color="0.35", lw=0.8, ls="--", zorder=1)
        for a in as_sel:
            da = d[d["asset"] == a].sort_values("tau")
            if da.empty:
                continue
            x = da["tau"].to_numpy(dtype=float)
            c = colors[a]
            xb = np.array([x[0] - 0.25, x[0] + 0.25]) if single else x
            lo = np.resize(da["lower"].to_numpy(dtype=float), len(xb))
            hi = np.resize(da["upper"].to_numpy(dtype=float), len(xb))
            ax.fill_between(xb, lo, hi, color=c, alpha=0.10, lw=0, zorder=2, gid=f"band {eid} {a}")
            ax.plot(x, da["car"].to_numpy(dtype=float), color=c, lw=1.6, marker="o", ms=3, zorder=3,
                    gid=f"car {eid} {a}")
        title = textwrap.shorten(str(meta.at[eid, "title"]), 78, placeholder="…")
        cat = meta.at[eid, "category"]
        ax.set_title(f"{meta.at[eid, 'stamp']}" + (f" · {cat}" if cat else "") + "\n" +
                     "\n".join(textwrap.wrap(title, 44)[:2]), fontsize=8, loc="left")
        ax.set_xticks(taus if len(taus) <= 11 else taus[::2])
        ax.set_xlim(taus[0] - 0.4, taus[-1] + 0.4)
        ax.tick_params(labelsize=7.5)
        ax.grid(True, axis="y", color="0.9", lw=0.6)
        _pct_axis(ax)
        ax.set_axisbelow(True)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("event day τ (sessions from day 0)", fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel("CAR", fontsize=8)
    # axes of the last row that are hidden: label the row above instead
    for j in range(ncols):
        i = nrows - 1
        while i > 0 and not axes[i, j].get_visible():
            i -= 1
        axes[i, j].set_xlabel("event day τ (sessions from day 0)", fontsize=8)

    handles = [Line2D([], [], color=colors[a], lw=1.8, marker="o", ms=3, label=a)
               for a in as_sel]
    handles.append(Patch(color="0.5", alpha=0.25, label=f"{level:.0%} band ±z·s·√n"))
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 1 - 0.38 / height),
               ncols=min(len(handles), 8), fontsize=8, frameon=False)
    fig.suptitle(f"Cumulative abnormal returns by event ({res.plan.model.name} model, estimation window "
                 f"{res.plan.estimation.label})",
                 fontsize=11, fontweight="bold", y=1 - 0.08 / height, va="top")
    caption = (f"Line: CAR_i(τ) = Σ AR_i from τ = {taus[0]} through τ. Band: ±z·s_i·√n with z = {_z(level):.2f} "
               f"({level:.0%}), n = τ − ({taus[0]}) + 1 days accumulated, s_i = √(Σ AR² / (M − k)) over member i's "
               f"estimation-window rows (k = {res.plan.model.k} model parameter(s)); it ignores estimation error and "
               "event-induced variance.\nDashed: day 0 = first session of the market closing after the event. "
               "Each panel has its own y scale.")
    for note in (clip_note, pick_note):
        if note:
            caption += "\n" + note
    fig.text(0.01, 0.06 / height, caption, fontsize=7.5, ha="left", va="bottom", color="0.25", wrap=False)
    _save(fig, path)
    return fig


def _asset_colors(assets: Sequence[str]) -> dict[str, str]:
    return {a: PALETTE[j % len(PALETTE)] for j, a in enumerate(assets)}


# ----------------------------------------------------------------------------------------------
# 2. CAAR paths per group


def _default_groups(res) -> list[str]:
    """The study's group values (up to :data:`MAX_GROUPS`), else ``all``."""
    values = value_groups(res.members, res.plan.group)
    return values[:MAX_GROUPS] if values else [ALL]


def _group_colors(groups: Sequence[str]) -> dict[str, str]:
    return {g: GROUP_PALETTE[j % len(GROUP_PALETTE)] for j, g in enumerate(groups)}


def caar_path_data(res, *, groups=None, window=None, level: float = 0.95) -> pd.DataFrame:
    """The numbers :func:`caar_by_group` draws: group, tau, caar, se, half_width, lower, upper, n, z.

    ``se`` = cross-sectional sd of CAR_i(tau) / sqrt(N) over the members with a complete path;
    ``groups`` are groups of the study (:meth:`EventStudyResults.groups`: ``"all"``, values of its
    group column, events).

    Parameters
    ----------
    res : EventStudyResults
        The fitted study.
    groups : str or sequence of str, optional
        Groups to include; default the values of the study's group column (up to
        :data:`MAX_GROUPS`), else ``["all"]``.
    window : Window or tuple of (int, int) or str, optional
        Taus of the path, inclusive, clipped to the taus the study covers; None for all of them.
    level : float, default 0.95
        Coverage of the band, strictly between 0 and 1; ``z`` is the two-sided normal quantile.

    Returns
    -------
    pandas.DataFrame
        One row per (group, tau). ``caar`` is the mean CAR (from the first tau through tau) of the
        N members with a finite AR at every tau (``n`` = N); ``se`` uses the sample sd (ddof 1) and
        is NaN for N < 2, ``caar`` NaN for N = 0; ``half_width = z * se``, ``lower``/``upper`` =
        caar -/+ half_width. Decimal fractions, not percent.

    Raises
    ------
    DataError
        If a group is unknown or none is selected, ``level`` is not inside (0, 1), or ``window``
        holds none of the study's taus.
    SpecificationError
        If ``window`` cannot be parsed.
    """
    z = _z(level)
    gm = res.groups()
    groups = _default_groups(res) if groups is None else _select("group", groups, list(gm))
    taus, _ = _path_taus(res, window)
    ar = res.event_rows
    evt = ar.loc[ar["tau"].isin(taus), ["member", "tau", "ar"]]
    wide = evt.pivot(index="member", columns="tau", values="ar").reindex(index=res.members.index, columns=taus)
    car = np.cumsum(wide.to_numpy(dtype=float), axis=1)
    rows = []
    for g in groups:
        c = car[gm[g]]
        c = c[np.isfinite(c).all(axis=1)]
        n = len(c)
        mean = c.mean(axis=0) if n else np.full(len(taus), np.nan)
        se = c.std(axis=0, ddof=1) / np.sqrt(n) if n > 1 else np.full(len(taus), np.nan)
        for j, t in enumerate(taus):
            rows.append({"group": g, "tau": t, "caar": mean[j], "se": se[j], "half_width": z * se[j],
                         "lower": mean[j] - z * se[j], "upper": mean[j] + z * se[j], "n": n, "z": z})
    return pd.DataFrame(rows)


def _dates_label(res, group: str) -> str:
    """``", 12 dates"``: the group's independent dates in the study's first window (tests.csv), with
    ``": few"`` appended below :data:`~eventstudy.groups.FEW_DATES`; empty when unknown."""
    t = res.tests
    if "dates" not in t.columns:
        return ""
    row = t[(t["group"] == group) & (t["window"] == res.plan.windows[0].label)]
    if row.empty:
        return ""
    d = int(row["dates"].iloc[0])
    return f", {d} date{'s' if d != 1 else ''}" + (": few" if d < FEW_DATES else "")


def caar_by_group(res, *, groups=None, window=None, level: float = 0.95, path=None):
    """CAAR path over event time per group with a band of ``+- z`` cross-sectional standard errors.

    N (members with a complete path) is in the legend. The naive band assumes independent members;
    see the caption and ``res.tests`` for the robust statistics. The numbers are those of
    :func:`caar_path_data`.

    Parameters
    ----------
    res : EventStudyResults
        The fitted study.
    groups : str or sequence of str, optional
        Groups to draw. Default: the values of the study's group column (up to
        :data:`MAX_GROUPS`), else ``all``.
    window : Window or tuple of (int, int) or str, optional
        Taus to draw, clipped to the taus the study covers; None for all of them.
    level : float, default 0.95
        Coverage of the band, strictly between 0 and 1; ``z`` is the two-sided normal quantile.
    path : str or pathlib.Path, optional
        Also save the figure there (parent folders created; PNG at 150 dpi unless the suffix says
        otherwise).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed.
    DataError
        As for :func:`caar_path_data`.
    """
    need_matplotlib()
    data = caar_path_data(res, groups=groups, window=window, level=level)
    taus, clip_note = _path_taus(res, window)
    fig = _figure(7.2, 5.0 + (0.2 if clip_note else 0))
    ax = fig.subplots()
    ax.axhline(0, color="0.35", lw=0.8, zorder=1)
    ax.axvline(0, color="0.35", lw=0.8, ls="--", zorder=1)
    groups = list(pd.unique(data["group"]))
    colors = _group_colors(groups)
    single = len(taus) == 1
    for g in groups:
        d = data[data["group"] == g]
        c = colors[g]
        x = d["tau"].to_numpy(dtype=float)
        xb = np.array([x[0] - 0.2, x[0] + 0.2]) if single else x
        ax.fill_between(xb, np.resize(d["lower"].to_numpy(dtype=float), len(xb)),
                        np.resize(d["upper"].to_numpy(dtype=float), len(xb)), color=c, alpha=0.15, lw=0,
                        zorder=2, gid=f"band {g}")
        ax.plot(x, d["caar"].to_numpy(dtype=float), color=c, lw=2, marker="o", ms=5, zorder=3,
                label=f"{g} (N = {int(d['n'].iloc[0])}{_dates_label(res, g)})", gid=f"caar {g}")
        last = d.iloc[-1]
        ax.annotate(f"{last['caar']:+.2%}", (last["tau"], last["caar"]), xytext=(8, 0), textcoords="offset points",
                    va="center", fontsize=8.5, color=c)
    ax.set_xticks(taus if len(taus) <= 11 else taus[::2])
    ax.set_xlim(taus[0] - 0.3, taus[-1] + 0.3 + 0.08 * len(taus))  # room for the end labels
    ax.set_xlabel("event day τ (sessions from day 0 of each market)")
    ax.set_ylabel("cumulative average abnormal return")
    _pct_axis(ax)
    ax.grid(True, axis="y", color="0.9", lw=0.6)
    ax.set_axisbelow(True)
    ax.legend(loc="upper left", frameon=True, framealpha=0.9, fontsize=9, title=f"{level:.0%} band: ±z·SE",
              title_fontsize=8)
    ax.set_title(f"CAAR by group ({res.plan.model.name} model; CAR from τ = {taus[0]})", fontsize=11, fontweight="bold",
                 loc="left")
    caption = ("Band: CAAR ± z·sd(CAR_i)/√N, the naive cross-sectional SE. Markets reacting to the same event\n"
               f"are correlated, so it is too narrow; clustering-robust tests ({', '.join(ROBUST_FIRST)}) are in "
               "res.tests.")
    if clip_note:
        caption += "\n" + "\n".join(textwrap.wrap(clip_note, 110))
    fig.text(0.01, 0.005, caption, fontsize=7.5, ha="left", va="bottom", color="0.25")
    bottom = 0.085 if clip_note else 0.06
    fig.get_layout_engine().set(rect=(0, bottom, 1, 1 - bottom))  # (left, bottom, width, height)
    _save(fig, path)
    return fig


# ----------------------------------------------------------------------------------------------
# 3. intraday move around an event instant


def _instant(value, name: str) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        raise DataError(f"{name}={value!r} has no time zone; pass an offset such as '{ts.isoformat()}-04:00'")
    return ts.tz_convert("UTC")


def _market_tz(bars: pd.DataFrame, tz: str | None) -> str:
    if tz:
        return tz
    if "ticker" in bars and bars["ticker"].nunique() == 1:
        return market_tz(str(bars["ticker"].iloc[0]))
    return "UTC"


def intraday_move(bars: pd.DataFrame, event_time, *, title: str | None = None, tz: str | None = None,
                  before_at=None, xaxis: str = "local", min_gap: str | pd.Timedelta = "15min",
                  gap_width: float | None = None, path=None):
    """Price line of intraday bars around an event instant, trading halts compressed.

    The x axis is the market's local time, or with ``xaxis="relative"`` hours/minutes from the
    event. Each pause between bars longer than ``min_gap`` is shaded and drawn ``gap_width`` bars
    wide, with its true length in the label, so a weekend does not swallow the chart.

    Annotated: *before* = the close of the last bar starting at or before ``before_at`` (default:
    the last bar starting before the event), *after* = the open of the first bar starting at or
    after the event, and the move between them in %. The caption names the last trade before the
    halt when it is not the *before* bar.

    Parameters
    ----------
    bars : pandas.DataFrame
        A frame like :meth:`BundledSource.intraday` returns (``time`` = bar start, tz-aware;
        ``open``, ``close``; optional ``ticker``). Rows without a close are dropped.
    event_time : str or pandas.Timestamp
        The event instant, tz-aware; it must lie between the first bar's start and the last bar's
        start plus one bar length (the median spacing of the bars).
    title : str, optional
        Figure title; default ``"<ticker> around <local date and time> <zone>"``.
    tz : str, optional
        Time zone of the x axis and labels; default the ticker's exchange zone from the registry
        when ``bars`` hold one ticker, else UTC.
    before_at : str or pandas.Timestamp, optional
        Tz-aware instant choosing the *before* bar; must pick a bar before the *after* bar.
    xaxis : {"local", "relative"}, default "local"
        Tick labels in local clock time or as the time from the event.
    min_gap : str or pandas.Timedelta, default "15min"
        A step between consecutive bar starts longer than this is a halt and is compressed.
    gap_width : float, optional
        Width of each compressed halt, in bars; default 10 % of the number of bars, at least 10.
    path : str or pathlib.Path, optional
        Also save the figure there (parent folders created; PNG at 150 dpi unless the suffix says
        otherwise).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed.
    DataError
        If ``xaxis`` is not ``"local"``/``"relative"``, ``bars`` lack ``time``, ``open`` or
        ``close`` or hold no prices, ``time``, ``event_time`` or ``before_at`` is naive, the event
        lies outside the bars, no bar starts before or at/after the event, or ``before_at`` is not
        before the event.
    """
    need_matplotlib()
    from matplotlib.patches import FancyArrowPatch

    if xaxis not in ("local", "relative"):
        raise SpecificationError(f"xaxis={xaxis!r}: use 'local' or 'relative'")
    need = {"time", "open", "close"}
    if not isinstance(bars, pd.DataFrame) or not need <= set(bars.columns):
        raise DataError(f"bars must be a frame with columns {sorted(need)} (as BundledSource.intraday returns)")
    b = bars.dropna(subset=["close"]).sort_values("time").reset_index(drop=True)
    if b.empty:
        raise DataError("bars hold no prices")
    t = pd.to_datetime(b["time"])
    if t.dt.tz is None:
        raise DataError("bars['time'] must be tz-aware (UTC bar starts)")
    t = t.dt.tz_convert("UTC").dt.as_unit("ns")  # pandas 3 parses to microseconds; positions use ns
    ev = _instant(event_time, "event_time")
    zone = _market_tz(b, tz)
    ticker = str(b["ticker"].iloc[0]) if "ticker" in b else ""

    step = t.diff().median() if len(t) > 1 else pd.Timedelta("1min")
    step = step if pd.notna(step) and step > pd.Timedelta(0) else pd.Timedelta("1min")
    gap_at = np.flatnonzero((t.diff() > pd.Timedelta(min_gap)).to_numpy())  # first bar after each gap
    if not (t.iloc[0] <= ev <= t.iloc[-1] + step):
        raise DataError(f"event_time {ev} lies outside the bars ({t.iloc[0]} to {t.iloc[-1] + step})")
    gw = float(gap_width) if gap_width is not None else max(10.0, 0.10 * len(b))

    # knots (time, position): linear within trading stretches (units of one bar), gw bars per gap
    ns = t.astype("int64").to_numpy()  # ns since epoch, UTC
    stepn = step.value
    starts = np.r_[0, gap_at]
    ends = np.r_[gap_at, len(b)]  # exclusive
    kt, kp, pos0, pos = [], [], 0.0, np.empty(len(b))
    gaps = []
    for s, e in zip(starts, ends):
        if s > 0:
            pos0 = kp[-1] + gw
        seg_t0, seg_t1 = ns[s], ns[e - 1] + stepn
        pos[s:e] = pos0 + (ns[s:e] - seg_t0) / stepn
        kt += [seg_t0, seg_t1]
        kp += [pos0, pos0 + (seg_t1 - seg_t0) / stepn]
        if e < len(b):
            gaps.append((kp[-1], kp[-1] + gw, pd.Timestamp(seg_t1, tz="UTC"), t.iloc[e]))

    def x_of(ts: pd.Timestamp) -> float:
        return float(np.interp(ts.value, kt, kp))

    after_i = int(np.searchsorted(ns, ev.value, side="left"))
    if after_i >= len(b):
        raise DataError(f"no bar starts at or after the event {ev}; extend the bars' end")
    if before_at is None:
        before_i = after_i - 1
    else:
        ba = _instant(before_at, "before_at")
        before_i = int(np.searchsorted(ns, ba.value, side="right")) - 1
        if before_i >= after_i:
            raise DataError(f"before_at={before_at!r} is not before the event {ev}")
    if before_i < 0:
        raise DataError(f"no bar starts before the event {ev}; extend the bars' start")
    p0, p1 = float(b["close"].iloc[before_i]), float(b["open"].iloc[after_i])
    move = p1 / p0 - 1
    x0, x1 = pos[before_i] + 1, pos[after_i]  # close at the bar's end, open at its start

    fig = _figure(11, 5.6)
    ax = fig.subplots()
    # price line: closes at bar ends, broken at every gap
    xs, ys = [], []
    for s, e in zip(starts, ends):
        xs += list(pos[s:e] + 1) + [np.nan]
        ys += list(b["close"].iloc[s:e].astype(float)) + [np.nan]
    ax.plot(xs, ys, color="#1f3b73", lw=1.1, zorder=3, label=f"{ticker} close".strip())

    lt = lambda ts: ts.tz_convert(zone)  # noqa: E731
    zabbr = lt(ev).strftime("%Z") or zone
    for g0, g1, ta, tb in gaps:
        ax.axvspan(g0, g1, color="0.88", lw=0, zorder=1)
        hours = (tb - ta) / pd.Timedelta("1h")
        ax.text((g0 + g1) / 2, 0.02, f"no trading\n{lt(ta):%a %H:%M}–\n{lt(tb):%a %H:%M}\n({hours:.0f} h)",
                transform=ax.get_xaxis_transform(), ha="center", va="bottom", fontsize=7.5, color="0.35",
                zorder=6, bbox=dict(boxstyle="round,pad=0.2", fc="0.88", ec="none"))
    xe = x_of(ev)
    ax.axvline(xe, color="#b2182b", lw=1.4, ls="--", zorder=4)
    ev_local = ev.tz_convert(zone)
    ax.text(xe, 0.985, f"event {ev_local:%a %H:%M} {zabbr} ", transform=ax.get_xaxis_transform(), ha="right",
            va="top", fontsize=8, color="#b2182b", zorder=5,
            bbox=dict(boxstyle="round,pad=0.25", fc="white", ec="none", alpha=0.9))

    # annotations
    tb0, ta1 = lt(t.iloc[before_i]), lt(t.iloc[after_i])
    ax.plot([x0], [p0], "o", color="#1f3b73", ms=6, zorder=6)
    ax.plot([x1], [p1], "o", color="#1b7837" if move >= 0 else "#b2182b", ms=6, zorder=6)
    ax.annotate(f"{tb0:%a %H:%M} {zabbr} bar close\n{p0:.2f}", (x0, p0), xytext=(-12, -34),
                textcoords="offset points", ha="right", va="top", fontsize=9, gid="before",
                arrowprops=dict(arrowstyle="-", color="0.4", lw=0.8),
                bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="0.7"))
    ax.annotate(f"{ta1:%a %H:%M} {zabbr} open\n{p1:.2f}", (x1, p1), xytext=(16, 14),
                textcoords="offset points", ha="left", va="bottom", fontsize=9, gid="after",
                arrowprops=dict(arrowstyle="-", color="0.4", lw=0.8),
                bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="0.7"))
    col = "#1b7837" if move >= 0 else "#b2182b"
    ax.add_patch(FancyArrowPatch((x0, p0), (x1, p1), arrowstyle="-|>", mutation_scale=12, color=col, lw=1.3,
                                 ls=(0, (4, 2)), zorder=5, connectionstyle="arc3,rad=0.0"))
    ax.annotate(f"{move * 100:+.2f} %", ((x0 + x1) / 2, (p0 + p1) / 2), xytext=(0, 12), textcoords="offset points",
                ha="center", va="bottom", fontsize=12, fontweight="bold", color=col, gid="move",
                bbox=dict(boxstyle="round,pad=0.25", fc="white", ec="none", alpha=0.9), zorder=7)

    # y range with room for the labels
    lo, hi = np.nanmin(b["close"].to_numpy(dtype=float)), np.nanmax(b["close"].to_numpy(dtype=float))
    lo, hi = min(lo, p0, p1), max(hi, p0, p1)
    pad = (hi - lo) * 0.12 or abs(hi) * 0.001
    ax.set_ylim(lo - 2.2 * pad, hi + 2.2 * pad)
    ax.set_xlim(-gw * 0.1, kp[-1] + gw * 0.1)

    # ticks at round local times inside the trading stretches
    ticks, labels = _time_ticks(t, starts, ends, step, pos, zone, ev, xaxis, span=kp[-1])
    ax.set_xticks(ticks)
    ax.set_xticklabels(labels, fontsize=8)
    ax.set_xlabel(f"{'local time, ' + zone if xaxis == 'local' else 'time from the event'} "
                  f"(halts compressed: shaded, not to scale)", fontsize=9)
    ax.set_ylabel(f"{ticker} price".strip(), fontsize=9)
    ax.grid(True, color="0.92", lw=0.6)
    ax.set_axisbelow(True)
    ax.set_title(title or f"{ticker} around {ev_local:%Y-%m-%d %H:%M} {zabbr}".strip(), fontsize=11,
                 fontweight="bold", loc="left")

    last_i = int(ends[np.searchsorted(ends, after_i, side="left") - 1] - 1) if gaps else after_i - 1
    last_i = min(last_i, after_i - 1)
    note = (f"Before = close of the {tb0:%a %H:%M} {zabbr} bar; after = open of the first bar at or after the event "
            f"({interval_label(step)} bars, time = bar start).")
    if last_i != before_i:
        pl = float(b["close"].iloc[last_i])
        note += (f" Last trade before the halt: {lt(t.iloc[last_i]):%a %H:%M} {zabbr} bar close {pl:.2f} "
                 f"({p1 / pl - 1:+.2%} to the reopen).")
    fig.text(0.01, 0.005, "\n".join(textwrap.wrap(note, 170)), fontsize=7.5, ha="left", va="bottom", color="0.25")
    fig.get_layout_engine().set(rect=(0, 0.06, 1, 0.94))  # (left, bottom, width, height): room for the note
    _save(fig, path)
    return fig


def interval_label(step: pd.Timedelta) -> str:
    """A bar length in words: ``"15-minute"`` below an hour, else ``"1-hour"``, ``"2-hour"`` ...

    Parameters
    ----------
    step : pandas.Timedelta
        The bar length.

    Returns
    -------
    str
        Minutes or hours rounded to a whole number.
    """
    minutes = step / pd.Timedelta("1min")
    return f"{minutes:.0f}-minute" if minutes < 60 else f"{minutes / 60:.0f}-hour"


def _time_ticks(t, starts, ends, step, pos, zone, ev, xaxis, span):
    total = sum(((t.iloc[e - 1] + step - t.iloc[s]) for s, e in zip(starts, ends)), pd.Timedelta(0))
    target = total / 10
    choices = [pd.Timedelta(m, "min") for m in (5, 10, 15, 30, 60, 120, 180, 240, 360, 720, 1440)]
    every = next((c for c in choices if c >= target), choices[-1])
    ticks, labels, last_x, last_day = [], [], -np.inf, None
    ns = t.astype("int64").to_numpy()
    for s, e in zip(starts, ends):
        t0, t1 = t.iloc[s], t.iloc[e - 1] + step
        loc0 = t0.tz_convert(zone)
        first = loc0.floor(every)
        if first < loc0:
            first += every
        cur = first
        while cur.tz_convert("UTC") <= t1:
            x = float(np.interp(cur.tz_convert("UTC").value, ns[s:e], pos[s:e])) if e - s > 1 else pos[s]
            if cur.tz_convert("UTC") > t.iloc[e - 1]:
                x = pos[e - 1] + (cur.tz_convert("UTC") - t.iloc[e - 1]) / step
            if x - last_x >= span / 16:
                if xaxis == "local":
                    day = cur.date()
                    labels.append(cur.strftime("%a %H:%M") if day != last_day else cur.strftime("%H:%M"))
                    last_day = day
                else:
                    d = (cur.tz_convert("UTC") - ev) / pd.Timedelta("1h")
                    labels.append(f"{d:+.0f} h" if abs(d) >= 3 else f"{d * 60:+.0f} min")
                ticks.append(x)
                last_x = x
            cur += every
    return ticks, labels


# ----------------------------------------------------------------------------------------------
# 4. everything


def placebo_null(placebo: pd.DataFrame, *, groups=None, window: str | None = None, path=None):
    """Histogram of the placebo CAARs (:func:`eventstudy.placebo.placebo_test`) per group, the
    observed CAAR as a line and the 95 % placebo band shaded. Default: the groups of the frame
    other than ``all`` (the study's group values, up to :data:`MAX_GROUPS`), else ``all``; the
    first window.

    Parameters
    ----------
    placebo : pandas.DataFrame
        The frame :func:`~eventstudy.placebo.placebo_test` returned, with the draws in
        ``placebo.attrs["draws"]`` (keyed by (group, window)).
    groups : sequence of str, optional
        Groups to draw, one panel each; default as above.
    window : str, optional
        Window label, e.g. ``"-1:1"``; default the window of the frame's first row.
    path : str or pathlib.Path, optional
        Also save the figure there (parent folders created; PNG at 150 dpi unless the suffix says
        otherwise).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed.
    ValueError
        If the frame carries no draws, or none for a requested group and the window.
    """
    need_matplotlib()
    draws = placebo.attrs.get("draws")
    if not draws:
        raise ValueError("placebo has no draws: pass the frame placebo_test returned (draws are in .attrs)")
    window = window or str(placebo["window"].iloc[0])
    have = list(dict.fromkeys(placebo["group"]))
    groups = list(groups) if groups else ([g for g in have if g != ALL][:MAX_GROUPS] or [ALL])
    missing = [g for g in groups if (g, window) not in draws]
    if missing:
        raise ValueError(f"no placebo draws for group(s) {missing} and window {window!r}; it has {sorted(draws)[:6]}")
    fig = _figure(7.2, 2.4 * len(groups) + 1.2)
    axes = np.atleast_1d(fig.subplots(len(groups), 1, sharex=True))
    colors = _group_colors(groups)
    for ax, g in zip(axes, groups):
        row = placebo[(placebo["group"] == g) & (placebo["window"] == window)].iloc[0]
        null = np.asarray(draws[(g, window)], dtype=float)
        c = colors[g]
        ax.hist(null, bins=60, color="0.6", alpha=0.8, gid=f"null {g}")
        ax.axvspan(row["q025"], row["q975"], color="0.85", zorder=0, lw=0)
        ax.axvline(row["caar"], color=c, lw=2.2, gid=f"observed {g}")
        right = row["caar"] > np.median(null)  # label on the side facing the distribution
        ax.annotate(f"observed {row['caar']:+.2%}\np = {row['pvalue']:.4f}", (row["caar"], 0.95),
                    xycoords=("data", "axes fraction"), xytext=(-6 if right else 6, 0), textcoords="offset points",
                    va="top", ha="right" if right else "left", fontsize=8.5, color=c,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85})
        ax.set_ylabel("draws")
        ax.set_axisbelow(True)
        ax.set_title(f"{g}: {int(row['n_members'])} members, {int(row['n_draws']):,} placebo draws", fontsize=9.5,
                     loc="left")
        ax.grid(True, axis="x", color="0.9", lw=0.6)
    from matplotlib.ticker import PercentFormatter

    axes[-1].xaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
    shown = placebo[placebo["group"].isin(groups) & (placebo["window"] == window)]["caar"]
    lo = min(min(np.min(draws[(g, window)]) for g in groups), shown.min())
    hi = max(max(np.max(draws[(g, window)]) for g in groups), shown.max())
    pad = 0.06 * (hi - lo)
    axes[-1].set_xlim(lo - pad, hi + pad)
    axes[-1].set_xlabel(f"CAAR over {window} (sessions from day 0)")
    fig.suptitle("Placebo-date test: the same events on dates without news", fontsize=11, fontweight="bold",
                 x=0.01, ha="left")
    fig.text(0.01, 0.005, "Grey: CAARs of the events moved to pseudo dates (each cluster of overlapping events by "
             "whole weeks,\nevery market with it); shaded: their 2.5-97.5 % band.", fontsize=7.5, ha="left",
             va="bottom", color="0.25")
    height = 2.4 * len(groups) + 1.2  # inches: 0.5 for the title above, 0.45 for the caption below
    fig.get_layout_engine().set(rect=(0, 0.45 / height, 1, 1 - 0.5 / height))
    _save(fig, path)
    return fig


def save_all(res, out_dir, *, events=None, assets=None, groups=None) -> list[Path]:
    """Write ``car_paths.png`` and ``caar_by_group.png`` (150 dpi) to ``out_dir``.

    Parameters
    ----------
    res
        Fitted results.
    out_dir
        Folder (created).
    events, assets
        Passed to :func:`car_paths` (default: its own choice, stated in the caption).
    groups
        Passed to :func:`caar_by_group`.

    Returns
    -------
    list of Path
    """
    need_matplotlib()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "car_paths.png", out / "caar_by_group.png"]
    car_paths(res, events=events, assets=assets, path=paths[0])
    caar_by_group(res, groups=groups, path=paths[1])
    return paths


def need_matplotlib() -> None:
    """Raise :class:`~eventstudy.errors.MissingDependencyError` (naming the ``plots`` extra) when
    matplotlib is not installed.

    Only looks for it (:func:`importlib.util.find_spec`), without importing it: ``eventstudy run``
    asks before the fit, and importing matplotlib takes a third of a second. The figure functions
    import it when they draw (a broken installation is reported then, by :func:`~eventstudy.errors.require`).

    Raises
    ------
    MissingDependencyError
        If matplotlib cannot be found.
    """
    import importlib.util

    try:
        found = importlib.util.find_spec("matplotlib") is not None
    except (ImportError, ValueError):  # a parent package that cannot be imported, a module without a spec
        found = False
    if not found:
        require("matplotlib.figure", extra="plots", feature="figures")  # raises, naming the extra
