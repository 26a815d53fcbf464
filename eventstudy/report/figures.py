"""Research figures for any study: CAR paths by group or per event, CAAR paths per group, an
intraday move around any event on any instrument, the placebo null.

Every function returns a :class:`matplotlib.figure.Figure` and, given ``path=``, also saves it
(PNG at 150 dpi unless the suffix says otherwise). matplotlib is imported inside the functions, and
figures are made with ``matplotlib.figure.Figure`` directly, not through ``pyplot``: nothing is
registered in pyplot's figure manager, no backend is switched and no ``rcParams`` are changed, so
the figures work headless (Agg) and leave no global style behind. Every axis is labelled with its
unit (``CAR (%)``, ``event day τ (sessions from day 0)``, a price's currency or index points), and
every caption says what is drawn and what was left out and why.

**Event-time coverage.** The results hold the abnormal returns of the study's event windows only.
The paths cover the taus of the union of the event windows by default (a study with windows
``0:0, 0:1, -1:1`` -> tau -1..1; one run with ``--window 6:8`` -> tau 6..8). A ``window=`` is
clipped to them; to draw wider paths, run the study with a wider window, e.g.
``windows=[(-5, 5), (-1, 1), (0, 0)]``; the caption says when a requested window was clipped.

**Bands.**

* Pooled (the group CAAR of :func:`car_paths` by group, :func:`caar_by_group`): the Brown-Warner
  (1985) portfolio band ``CAAR(tau) +- z * sqrt(n) * Ŝ``, n days accumulated from the first tau,
  Ŝ the SD of the group's equally weighted AAR over the estimation rows (:meth:`EventStudyResults.portfolio_sd`, the
  number the ``bw1985`` test used). Measured on the portfolio, it is robust to the correlation of
  markets hit on one date. :func:`caar_by_group` also draws, thin and dashed, the naive
  cross-sectional band ``+- z * sd_i(CAR_i(tau)) / sqrt(N)``, too narrow for pooled events;
  :func:`caar_path_data` returns both standard errors.
* One member (an event on a market, :func:`car_paths` per event): ``+- z * s_i * sqrt(n)``, ``s_i``
  the residual SD of that member's estimation window, ``sqrt(sum AR^2 / (M - k))`` (``res.params``
  ``sigma``). It ignores parameter-estimation error and event-induced variance, and is drawn only in
  panels with one or two markets, where the bands do not overlap.
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
from ..windows import study_window
from .summary import ROBUST_FIRST

__all__ = ["caar_by_group", "caar_path_data", "car_path_data", "car_paths", "intraday_event", "intraday_move",
           "need_matplotlib", "placebo_null", "price_unit", "save_all"]

MAX_PANELS = 16
"""Panels :func:`car_paths` draws at most (groups, or named events); the caption names the rest."""
MAX_ASSETS = 8
"""Markets (lines) per panel of :func:`car_paths` per event when none are named: the first this many
(the caption names the rest)."""
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
    lo, hi = study_window(res.plan.windows, window) if window is not None else (None, None)
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
# 1. CAR paths: by group (default) or per named event


def _car_matrix(res, taus: list[int]) -> pd.DataFrame:
    """CAR from the first tau through each tau, members x taus (a missing AR leaves the rest NaN)."""
    ar = res.event_rows
    evt = ar.loc[ar["tau"].isin(taus), ["member", "tau", "ar"]]
    wide = evt.pivot(index="member", columns="tau", values="ar").reindex(index=res.members.index, columns=taus)
    return pd.DataFrame(np.cumsum(wide.to_numpy(dtype=float), axis=1), index=wide.index, columns=taus)


def car_path_data(res, *, events=None, assets=None, window=None, level: float = 0.95) -> pd.DataFrame:
    """The numbers :func:`car_paths` draws per member, tidy: one row per (event, asset, tau).

    Parameters
    ----------
    res : EventStudyResults
        The fitted study.
    events : str or sequence of str, optional
        Event ids to include; None for all.
    assets : str or sequence of str, optional
        Markets (tickers) to include; None for all.
    window : Window or tuple of (int, int) or str, optional
        Taus of the path, inclusive at both ends; clipped to the taus the study's event windows
        cover (the contiguous run holding tau 0, else the longest one; see the module docstring).
        Default (None): all of them, i.e. the study's widest window.
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
    sel_members = members.index[members["event_id"].isin(ev_sel) & members["asset"].isin(as_sel)]
    car = _car_matrix(res, taus).reindex(sel_members)
    ar = res.event_rows
    wide = (ar.loc[ar["member"].isin(sel_members) & ar["tau"].isin(taus)]
            .pivot(index="member", columns="tau", values="ar").reindex(index=sel_members, columns=taus))
    stats = pd.DataFrame({"s": res.params["sigma"].to_numpy(), "m_est": res.params["n_est"].to_numpy()})
    n_days = np.arange(1, len(taus) + 1, dtype=float)
    out = pd.DataFrame({
        "event_id": np.repeat(members.loc[sel_members, "event_id"].to_numpy(), len(taus)),
        "asset": np.repeat(members.loc[sel_members, "asset"].to_numpy(), len(taus)),
        "member": np.repeat(sel_members.to_numpy(), len(taus)),
        "tau": np.tile(taus, len(sel_members)),
        "n": np.tile(n_days, len(sel_members)).astype(int),
        "ar": wide.to_numpy(dtype=float).ravel(),
        "car": car.to_numpy(dtype=float).ravel(),
    })
    s = stats.reindex(sel_members)
    out["s"] = np.repeat(s["s"].to_numpy(dtype=float), len(taus))
    out["m_est"] = np.repeat(s["m_est"].fillna(0).to_numpy(dtype=int), len(taus))
    out["half_width"] = z * out["s"] * np.sqrt(out["n"])
    out["lower"] = out["car"] - out["half_width"]
    out["upper"] = out["car"] + out["half_width"]
    out["z"] = z
    return out


def _listing(names: Sequence[str], limit: int = 10) -> str:
    """``"a, b and c"``; past ``limit`` names ``"a, b, ... and 12 more"``."""
    names = [str(n) for n in names]
    if len(names) > limit:
        return ", ".join(names[:limit]) + f" and {len(names) - limit} more"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _wrap_lines(paragraphs: Sequence[str], width_in: float, fontsize: float = 7.5) -> list[str]:
    """Caption paragraphs wrapped to a figure ``width_in`` inches wide (long ids broken, never cut)."""
    chars = max(40, int((width_in - 0.25) * 72 / (0.58 * fontsize)))
    lines: list[str] = []
    for p in paragraphs:
        if p:
            lines += textwrap.wrap(p, chars, break_long_words=True, break_on_hyphens=False) or [""]
    return lines


def _caption_height(lines: Sequence[str], fontsize: float = 7.5) -> float:
    """Inches the caption of ``lines`` takes (with a margin)."""
    return 0.12 + len(lines) * fontsize * 1.3 / 72


def _put_caption(fig, lines: Sequence[str], height_in: float, fontsize: float = 7.5, top_in: float = 0.0) -> None:
    """The caption at the bottom, and the layout told to keep clear of it (and of ``top_in``
    inches at the top, where :func:`_put_header` writes)."""
    cap = _caption_height(lines, fontsize)
    fig.text(0.01, 0.04 / height_in, "\n".join(lines), fontsize=fontsize, ha="left", va="bottom", color="0.25",
             gid="caption")
    fig.get_layout_engine().set(rect=(0, cap / height_in, 1, 1 - (cap + top_in) / height_in))


def _header_height(title: str, n_handles: int, ncols: int) -> float:
    """Inches of the title (11 pt bold) and the legend rows (8 pt) above the panels."""
    rows = -(-n_handles // ncols) if n_handles else 0
    return 0.12 + 0.24 * (title.count("\n") + 1) + 0.22 * rows


def _put_header(fig, title: str, handles, ncols: int, height_in: float) -> None:
    """The figure's title, then its legend below it, in the top band :func:`_header_height` measured."""
    n_title = title.count("\n") + 1
    fig.text(0.5, 1 - 0.08 / height_in, title, fontsize=11, fontweight="bold", ha="center", va="top", gid="title")
    if handles:
        fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 1 - (0.1 + 0.24 * n_title) / height_in),
                   ncols=ncols, fontsize=8, frameon=False)


def _wrap_title(text: str, width_in: float, fontsize: float = 8) -> str:
    """``text`` wrapped to ``width_in`` inches of ``fontsize`` points (long words broken, nothing cut)."""
    chars = max(20, int(width_in * 72 / (0.62 * fontsize)))
    return "\n".join(textwrap.wrap(text, chars, break_long_words=True, break_on_hyphens=False))


def _shared_ylim(axes, lo: float, hi: float) -> tuple[float, float]:
    if not (np.isfinite(lo) and np.isfinite(hi)):
        lo, hi = -0.01, 0.01
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    pad = 0.06 * (hi - lo) or 0.001
    lim = (lo - pad, hi + pad)
    for ax in axes:
        ax.set_ylim(*lim)
    return lim


TAU_LABEL = "event day τ (sessions from day 0)"
"""The x-axis label of every event-time figure."""


def _tau_axis(ax, taus: list[int], label: bool = True) -> None:
    ax.set_xticks(taus if len(taus) <= 11 else taus[::2])
    ax.set_xlim(taus[0] - 0.4, taus[-1] + 0.4)
    if label:
        ax.set_xlabel(TAU_LABEL, fontsize=8)


def car_paths(res, *, events=None, assets=None, groups=None, window=None, level: float = 0.95,
              ncols: int | None = None, note: str | None = None, path=None):
    """Cumulative abnormal return paths over event time: by group (default) or per named event.

    **By group** (no ``events``): one panel per value of the study's group column
    (``res.plan.group``; ``"all"`` when it has none), at most :data:`MAX_PANELS`. In each panel a
    thin line per event (its mean CAR over its markets; a line per market when the group holds one
    event) and the group's CAAR drawn thick with the Brown-Warner (1985) portfolio band
    ``+- z * sqrt(n) * S`` (:func:`caar_path_data`, :meth:`EventStudyResults.portfolio_sd`), robust to the
    correlation of markets hit on one date.

    **Per event** (``events`` named): one panel per event (at most :data:`MAX_PANELS`), a line per
    market (at most :data:`MAX_ASSETS`), the member's band ``+- z * s_i * sqrt(n)`` only in panels
    with one or two lines (more would overlap; the caption says which are drawn).

    Every panel shares one y scale; the taus are the study's widest window unless ``window`` is
    given. The caption says what is drawn and names whatever was left out and why.

    Parameters
    ----------
    res : EventStudyResults
        The fitted study.
    events : str or sequence of str, optional
        Event ids to draw, one panel each; None: by group.
    assets : str or sequence of str, optional
        Markets to draw. Per event: default all of the events' markets up to :data:`MAX_ASSETS`
        (the caption names the rest). By group: only these markets' members enter the lines and
        the CAAR, and the portfolio band (measured on the whole group) is not drawn.
    groups : str or sequence of str, optional
        Groups to draw by group (any of :meth:`EventStudyResults.groups`); default the values of
        the study's group column, else ``all``. Not with ``events``.
    window : Window or tuple of (int, int) or str, optional
        Taus to draw, clipped to the taus the study covers (the caption says so); default all of
        them (the union of the study's windows).
    level : float, default 0.95
        Coverage of the band, strictly between 0 and 1; ``z`` is the two-sided normal quantile.
    ncols : int, optional
        Panels per row; default up to 3 by group, up to 4 per event.
    note : str, optional
        A sentence added to the caption, e.g. why these events and markets were chosen.
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
        As for :func:`car_path_data` and :func:`caar_path_data`.
    SpecificationError
        If both ``events`` and ``groups`` are given.
    """
    need_matplotlib()
    if events is not None and groups is not None:
        raise SpecificationError("car_paths draws either named events (events=) or groups (groups=), not both")
    if events is None:
        fig = _car_paths_by_group(res, assets=assets, groups=groups, window=window, level=level, ncols=ncols,
                                  note=note)
    else:
        fig = _car_paths_by_event(res, events=events, assets=assets, window=window, level=level, ncols=ncols,
                                  note=note)
    _save(fig, path)
    return fig


def _grid(n: int, ncols: int, panel_w: float, panel_h: float, caption: list[str], top_in: float):
    """A constrained-layout figure with ``n`` panels sharing their axes, and its height."""
    nrows = -(-n // ncols)
    height = top_in + panel_h * nrows + _caption_height(caption)
    fig = _figure(panel_w * ncols, height)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes, height


def _label_axes(axes, n: int, taus: list[int], ylabel: str) -> None:
    """x labels under the lowest visible panel of each column, y labels on the first column."""
    nrows, ncols = axes.shape
    for j in range(ncols):
        rows = [i for i in range(nrows) if i * ncols + j < n]
        for i in rows:
            ax = axes[i, j]
            _tau_axis(ax, taus, label=(i == rows[-1]))
            ax.tick_params(labelsize=7.5, labelbottom=(i == rows[-1]))
    for i in range(nrows):
        axes[i, 0].set_ylabel(ylabel, fontsize=8)


def _car_paths_by_group(res, *, assets, groups, window, level, ncols, note):
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    taus, clip_note = _path_taus(res, window)
    gm = res.groups()
    column = res.plan.group
    wanted = (value_groups(res.members, column) or [ALL]) if groups is None else _select("group", groups, list(gm))
    left_out = ""
    if len(wanted) > MAX_PANELS:
        size = {g: len(gm[g]) for g in wanted}
        keep = set(sorted(wanted, key=lambda g: -size[g])[:MAX_PANELS])
        dropped = [g for g in wanted if g not in keep]
        wanted = [g for g in wanted if g in keep]
        left_out = (f"{len(dropped)} of {len(dropped) + len(wanted)} groups left out (at most {MAX_PANELS} panels; "
                    f"the fewest members): {_listing(dropped)}; pass groups=[...] to choose.")
    as_sel = None if assets is None else _select("asset", assets, list(pd.unique(res.members["asset"])))
    car = _car_matrix(res, taus)
    members = res.members
    robust = caar_path_data(res, groups=wanted, window=window, level=level) if as_sel is None else None
    colors = _group_colors(wanted)
    z = _z(level)

    n = len(wanted)
    ncols = ncols or min(n, 3)
    panel_w = 4.6 if ncols <= 2 else 3.9
    # caption first: its height sets the figure's
    what = (f"Thin lines: each event's mean CAR over its markets (a line per market where a group holds one event); "
            f"thick: the group's CAAR(τ) = mean of the members' CAR_i(τ) = Σ AR_i from τ = {taus[0]} through τ "
            "(members with every AR of the path).")
    if as_sel is None:
        band = (f"Band: ±z·√n·Ŝ with z = {z:.2f} ({level:.0%}), n = days accumulated and Ŝ the SD of the group's "
                "equally weighted AAR over the estimation rows (Brown-Warner 1985 portfolio; tests.csv bw1985): "
                "robust to the correlation of markets hit on one date, unlike a cross-sectional SE.")
        missing = robust.groupby("group", sort=False)["s_portfolio"].first()
        missing = [g for g in wanted if not np.isfinite(missing.get(g, np.nan))]
        if missing:
            band += f" No band for {_listing(missing)}: the study ran no Brown-Warner 1985 test for it."
    else:
        band = (f"Markets: {_listing(as_sel)} only; no band (the portfolio SD is measured on all of a group's "
                "markets).")
    scope = (f"Panels: the values of the group column {column!r}" if groups is None and column and wanted != [ALL]
             else "Panels: all members" if wanted == [ALL] and groups is None else "Panels: the groups asked for")
    scope += f"; τ = {taus[0]}..{taus[-1]}, the study's event windows ({_labels(res)})" if window is None else ""
    scope += ". Dashed: day 0 = first session of the market closing after the event. Shared y scale."
    paragraphs = [what, band, scope, clip_note, left_out, note or ""]
    width = panel_w * ncols
    caption = _wrap_lines(paragraphs, width)
    handles = [Line2D([], [], color="0.3", lw=0.8, alpha=0.6, label="one event (mean CAR over its markets)"),
               Line2D([], [], color="0.3", lw=2.6, marker="o", ms=4, label="group CAAR")]
    if as_sel is None:
        handles.append(Patch(color="0.3", alpha=0.2, label=f"{level:.0%} band, Brown-Warner 1985 portfolio"))
    title = _wrap_title(f"Cumulative abnormal returns by group ({res.plan.model.name} model, estimation window "
                        f"{res.plan.estimation.label})", width, 11)
    top_in = _header_height(title, len(handles), len(handles))
    fig, axes, height = _grid(n, ncols, panel_w, 3.4, caption, top_in)
    lo, hi = np.inf, -np.inf
    for ax, g in zip(axes.flat, wanted):
        c = colors[g]
        idx = np.asarray(gm[g])
        sub = members.iloc[idx]
        if as_sel is not None:
            sub = sub[sub["asset"].isin(as_sel)]
        paths = car.loc[sub.index]
        complete = paths[np.isfinite(paths.to_numpy()).all(axis=1)]
        ev_of = sub.loc[complete.index, "event_id"]
        n_events = sub["event_id"].nunique()
        ax.axhline(0, color="0.35", lw=0.8, zorder=1)
        ax.axvline(0, color="0.35", lw=0.8, ls="--", zorder=1)
        thin = complete.groupby(ev_of.to_numpy(), sort=False).mean() if n_events > 1 else complete
        alpha = float(np.clip(6 / max(len(thin), 1), 0.18, 0.6))
        x = np.asarray(taus, dtype=float)
        for key, row in thin.iterrows():
            ax.plot(x, row.to_numpy(dtype=float), color=c, lw=0.8, alpha=alpha, zorder=2, gid=f"thin {g} {key}",
                    marker="_" if len(x) == 1 else None, ms=10)  # one tau: a line is a point, show it as a tick
        if len(thin):
            lo, hi = min(lo, np.nanmin(thin.to_numpy())), max(hi, np.nanmax(thin.to_numpy()))
        if as_sel is None:
            d = robust[robust["group"] == g]
            caar = d["caar"].to_numpy(dtype=float)
            lower, upper = d["lower"].to_numpy(dtype=float), d["upper"].to_numpy(dtype=float)
            if np.isfinite(lower).any():
                xb = np.array([x[0] - 0.25, x[0] + 0.25]) if len(x) == 1 else x
                ax.fill_between(xb, np.resize(lower, len(xb)), np.resize(upper, len(xb)), color=c, alpha=0.2, lw=0,
                                zorder=3, gid=f"band {g}")
                lo, hi = min(lo, np.nanmin(lower)), max(hi, np.nanmax(upper))
        else:
            caar = complete.mean(axis=0).to_numpy(dtype=float) if len(complete) else np.full(len(taus), np.nan)
        ax.plot(x, caar, color=c, lw=2.6, marker="o", ms=4, zorder=4, gid=f"caar {g}")
        if np.isfinite(caar).any():
            lo, hi = min(lo, np.nanmin(caar)), max(hi, np.nanmax(caar))
            ax.annotate(f"{caar[-1]:+.2%}", (x[-1], caar[-1]), xytext=(4, 0), textcoords="offset points",
                        va="center", fontsize=8, color=c, fontweight="bold", zorder=6)
        head = (f"{g}: {n_events} event{'s' if n_events != 1 else ''}, N = {len(complete)} members"
                f"{_dates_label(res, g)}")
        ax.set_title(_wrap_title(head, panel_w - 0.45, 9), fontsize=9, loc="left")
        ax.grid(True, axis="y", color="0.9", lw=0.6)
        _pct_axis(ax)
        ax.set_axisbelow(True)
    _shared_ylim(axes.flat[:n], lo, hi)
    _label_axes(axes, n, taus, "CAR (%)")
    extra = 0.6 * (len(taus) - 0.2) / (panel_w - 1.1)  # about 0.6 in of room for the end label
    for ax in axes.flat[:n]:
        ax.set_xlim(taus[0] - 0.4, taus[-1] + 0.4 + extra)
    _put_header(fig, title, handles, len(handles), height)
    _put_caption(fig, caption, height, top_in=top_in)
    return fig


def _car_paths_by_event(res, *, events, assets, window, level, ncols, note):
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    members = res.members
    ev_sel = _select("event", events, list(pd.unique(members["event_id"])))
    taus, clip_note = _path_taus(res, window)
    notes = []
    if len(ev_sel) > MAX_PANELS:
        notes.append(f"{len(ev_sel) - MAX_PANELS} of the {len(ev_sel)} events asked for left out (at most "
                     f"{MAX_PANELS} panels; the first ones are drawn): {_listing(ev_sel[MAX_PANELS:])}.")
        ev_sel = ev_sel[:MAX_PANELS]
    have = list(pd.unique(members.loc[members["event_id"].isin(ev_sel), "asset"]))
    if assets is None:
        as_sel = have[:MAX_ASSETS]
        if len(have) > MAX_ASSETS:
            notes.append(f"Markets left out (at most {MAX_ASSETS} lines a panel; the first in the study are "
                         f"drawn): {_listing(have[MAX_ASSETS:])}; pass assets=[...] to choose.")
    else:
        as_sel = _select("asset", assets, list(pd.unique(members["asset"])))
        not_here = [a for a in as_sel if a not in have]
        if not_here:
            notes.append(f"No estimate for {_listing(not_here)} in these events (exclusions.csv says why).")
    data = car_path_data(res, events=ev_sel, assets=as_sel, window=window, level=level)
    meta = _event_meta(res)
    colors = _asset_colors(as_sel)
    z = _z(level)
    n = len(ev_sel)
    ncols = ncols or min(n, 4)
    panel_w = 3.6 if ncols > 2 else 4.4
    lines_in = data.dropna(subset=["car"]).groupby("event_id")["asset"].nunique()
    banded = [e for e in ev_sel if lines_in.get(e, 0) <= 2]
    if len(banded) == n:
        band = (f"Band: ±z·s_i·√n with z = {z:.2f} ({level:.0%}), n = τ − ({taus[0]}) + 1 days accumulated, "
                f"s_i = √(Σ AR² / (M − k)) over member i's estimation rows (k = {res.plan.model.k}); it ignores "
                "estimation error and event-induced variance.")
    elif banded:
        band = (f"Bands (±z·s_i·√n, z = {z:.2f}, s_i the member's estimation-window residual SD) only in the "
                "panels with one or two markets; elsewhere they would overlap (each CAR's SE is in car.csv).")
    else:
        band = ("No bands: with more than two markets a panel the members' bands would overlap; each CAR's SE "
                "is in car.csv, the pooled tests in tests.csv.")
    what = (f"Lines: CAR_i(τ) = Σ AR_i from τ = {taus[0]} through τ, one per market; dashed: day 0 = first "
            "session of the market closing after the event. Shared y scale. "
            f"Events: {len(ev_sel)} named; markets: {_listing(as_sel)}.")
    if window is None:
        what += f" τ = {taus[0]}..{taus[-1]}, the study's event windows ({_labels(res)})."
    width = panel_w * ncols
    caption = _wrap_lines([what, band, clip_note, *notes, note or ""], width)
    # panel titles: stamp, category and the full title, wrapped; the tallest sets the row height
    titles = {}
    for eid in ev_sel:
        cat = meta.at[eid, "category"]
        head = f"{meta.at[eid, 'stamp']}" + (f" · {cat}" if isinstance(cat, str) and cat else "")
        title = str(meta.at[eid, "title"])
        body = title if title == eid else f"{title} [{eid}]"
        titles[eid] = head + "\n" + _wrap_title(body, panel_w - 0.45, 7.5)
    title_lines = max(t.count("\n") + 1 for t in titles.values())
    handles = [Line2D([], [], color=colors[a], lw=1.6, marker="o", ms=3, label=a) for a in as_sel]
    if banded:
        handles.append(Patch(color="0.5", alpha=0.25, label=f"{level:.0%} band ±z·s·√n"))
    head = _wrap_title(f"Cumulative abnormal returns of {n} event{'s' if n != 1 else ''} ({res.plan.model.name} "
                       f"model, estimation window {res.plan.estimation.label})", width, 11)
    leg_cols = min(len(handles), max(1, int(width / 1.3)))
    top_in = _header_height(head, len(handles), leg_cols)
    fig, axes, height = _grid(n, ncols, panel_w, 2.3 + 0.13 * title_lines, caption, top_in)
    lo, hi = np.inf, -np.inf
    single = len(taus) == 1
    for ax, eid in zip(axes.flat, ev_sel):
        d = data[data["event_id"] == eid]
        ax.axhline(0, color="0.35", lw=0.8, zorder=1)
        ax.axvline(0, color="0.35", lw=0.8, ls="--", zorder=1)
        with_band = eid in banded
        for a in as_sel:
            da = d[d["asset"] == a].sort_values("tau")
            if da.empty:
                continue
            x = da["tau"].to_numpy(dtype=float)
            c = colors[a]
            if with_band:
                xb = np.array([x[0] - 0.25, x[0] + 0.25]) if single else x
                lw_ = np.resize(da["lower"].to_numpy(dtype=float), len(xb))
                up_ = np.resize(da["upper"].to_numpy(dtype=float), len(xb))
                ax.fill_between(xb, lw_, up_, color=c, alpha=0.12, lw=0, zorder=2, gid=f"band {eid} {a}")
                lo, hi = min(lo, np.nanmin(lw_)), max(hi, np.nanmax(up_))
            y = da["car"].to_numpy(dtype=float)
            ax.plot(x, y, color=c, lw=1.5, marker="o", ms=3, zorder=3, gid=f"car {eid} {a}")
            if np.isfinite(y).any():
                lo, hi = min(lo, np.nanmin(y)), max(hi, np.nanmax(y))
        ax.set_title(titles[eid], fontsize=7.5, loc="left")
        ax.grid(True, axis="y", color="0.9", lw=0.6)
        _pct_axis(ax)
        ax.set_axisbelow(True)
    _shared_ylim(axes.flat[:n], lo, hi)
    _label_axes(axes, n, taus, "CAR (%)")
    _put_header(fig, head, handles, leg_cols, height)
    _put_caption(fig, caption, height, top_in=top_in)
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
    """The numbers :func:`caar_by_group` draws, with both standard errors, one row per (group, tau).

    Parameters
    ----------
    res : EventStudyResults
        The fitted study.
    groups : str or sequence of str, optional
        Groups to include (:meth:`EventStudyResults.groups`: ``"all"``, values of its group column,
        events); default the values of the study's group column (up to :data:`MAX_GROUPS`), else
        ``["all"]``.
    window : Window or tuple of (int, int) or str, optional
        Taus of the path, inclusive, clipped to the taus the study covers; None for all of them
        (the study's widest window).
    level : float, default 0.95
        Coverage of the bands, strictly between 0 and 1; ``z`` is the two-sided normal quantile.

    Returns
    -------
    pandas.DataFrame
        Columns ``group, tau, n_days`` (days accumulated, 1 at the first tau), ``caar`` (mean CAR
        from the first tau through tau of the ``n`` members with a finite AR at every tau; NaN for
        n = 0), ``n``, ``s_portfolio`` (Ŝ of :meth:`EventStudyResults.portfolio_sd`), ``se_bw1985`` (``sqrt(n_days) *
        s_portfolio``, the Brown-Warner 1985 portfolio SE of the CAAR, robust to cross-sectional
        correlation), ``se_naive`` (cross-sectional ``sd(CAR_i) / sqrt(n)``, ddof 1, NaN for n < 2;
        too small when members share event dates), ``half_width = z * se_bw1985`` and
        ``lower``/``upper`` = caar -/+ half_width (the robust band), ``naive_lower``/``naive_upper``
        = caar -/+ z * se_naive, ``z``. Decimal fractions, not percent.

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
    car = _car_matrix(res, taus).to_numpy()
    sd = res.portfolio_sd(groups)
    n_days = np.arange(1, len(taus) + 1, dtype=float)
    frames = []
    for g in groups:
        c = car[gm[g]]
        c = c[np.isfinite(c).all(axis=1)]
        n = len(c)
        mean = c.mean(axis=0) if n else np.full(len(taus), np.nan)
        se_naive = c.std(axis=0, ddof=1) / np.sqrt(n) if n > 1 else np.full(len(taus), np.nan)
        se_bw = np.sqrt(n_days) * sd[g]
        frames.append(pd.DataFrame({
            "group": g, "tau": taus, "n_days": n_days.astype(int), "caar": mean, "n": n, "s_portfolio": sd[g],
            "se_bw1985": se_bw, "se_naive": se_naive, "half_width": z * se_bw, "lower": mean - z * se_bw,
            "upper": mean + z * se_bw, "naive_lower": mean - z * se_naive, "naive_upper": mean + z * se_naive,
            "z": z}))
    return pd.concat(frames, ignore_index=True)


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


def caar_by_group(res, *, groups=None, window=None, level: float = 0.95, naive: bool | None = None, path=None):
    """CAAR path over event time per group with the Brown-Warner (1985) portfolio band.

    Band: ``CAAR(tau) +- z * sqrt(n) * Ŝ`` (n days accumulated, Ŝ the SD of the group's equally
    weighted estimation-window AAR, :meth:`EventStudyResults.portfolio_sd`), robust to the correlation of markets
    hit on one date. The naive cross-sectional band (``+- z * sd(CAR_i) / sqrt(N)``, too narrow
    for pooled events) is drawn as thin dashed lines for comparison (by default only with one or
    two groups, where it does not clutter the figure); the caption says whether. N (members with a
    complete path) and the independent dates are in the legend, below the axes.
    The numbers are those of :func:`caar_path_data`.

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
        Coverage of the bands, strictly between 0 and 1; ``z`` is the two-sided normal quantile.
    naive : bool, optional
        Also draw the naive cross-sectional band, as thin dashed lines; default: when at most two
        groups are drawn.
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
    groups = list(pd.unique(data["group"]))
    naive = len(groups) <= 2 if naive is None else bool(naive)
    colors = _group_colors(groups)
    z = _z(level)
    width = 7.6
    no_band = [g for g in groups if not np.isfinite(data.loc[data["group"] == g, "s_portfolio"]).any()]
    paragraphs = [
        f"Line: CAAR(τ) = mean over the N members of CAR_i(τ) = Σ AR_i from τ = {taus[0]} through τ. "
        f"Shaded: ±z·√n·Ŝ, z = {z:.2f} ({level:.0%}), n = days accumulated, Ŝ = SD of the group's equally "
        "weighted AAR over the estimation rows (Brown-Warner 1985 portfolio; tests.csv bw1985): robust to the "
        "correlation of markets hit on one date.",
        ("Thin dashed: the naive cross-sectional band ±z·sd(CAR_i)/√N, too narrow for markets sharing an event "
         "date; shown for comparison only." if naive else "The naive cross-sectional band (too narrow for markets "
         "sharing an event date) is not drawn; caar_path_data gives it (se_naive)."),
        f"Other clustering-robust tests ({', '.join(ROBUST_FIRST)}) are in tests.csv.",
        f"No shaded band for {_listing(no_band)}: the study ran no bw1985 test for it." if no_band else "",
        clip_note,
    ]
    caption = _wrap_lines(paragraphs, width)
    legend_rows = sum(1 + len(g) // 60 for g in groups) if len(groups) < 3 or max(len(g) for g in groups) > 25 \
        else -(-len(groups) // 2)
    height = 5.0 + 0.2 * (legend_rows + 1) + _caption_height(caption)
    fig = _figure(width, height)
    ax = fig.subplots()
    ax.axhline(0, color="0.35", lw=0.8, zorder=1)
    ax.axvline(0, color="0.35", lw=0.8, ls="--", zorder=1)
    single = len(taus) == 1
    for g in groups:
        d = data[data["group"] == g]
        c = colors[g]
        x = d["tau"].to_numpy(dtype=float)
        xb = np.array([x[0] - 0.2, x[0] + 0.2]) if single else x
        ax.fill_between(xb, np.resize(d["lower"].to_numpy(dtype=float), len(xb)),
                        np.resize(d["upper"].to_numpy(dtype=float), len(xb)), color=c, alpha=0.15, lw=0,
                        zorder=2, gid=f"band {g}")
        if naive:
            for col in ("naive_lower", "naive_upper"):
                ax.plot(xb, np.resize(d[col].to_numpy(dtype=float), len(xb)), color=c, lw=0.8, ls=(0, (3, 2)),
                        alpha=0.8, zorder=2, gid=f"{col} {g}")
        label = "\n".join(textwrap.wrap(f"{g} (N = {int(d['n'].iloc[0])}{_dates_label(res, g)})", 60,
                                         break_long_words=True, break_on_hyphens=False))
        ax.plot(x, d["caar"].to_numpy(dtype=float), color=c, lw=2, marker="o", ms=5, zorder=3, label=label,
                gid=f"caar {g}")
        last = d.iloc[-1]
        ax.annotate(f"{last['caar']:+.2%}", (last["tau"], last["caar"]), xytext=(8, 0), textcoords="offset points",
                    va="center", fontsize=8.5, color=c)
    ax.set_xticks(taus if len(taus) <= 11 else taus[::2])
    ax.set_xlim(taus[0] - 0.3, taus[-1] + 0.3 + 0.08 * len(taus))  # room for the end labels
    ax.set_xlabel(TAU_LABEL)
    ax.set_ylabel("CAAR (%)")
    _pct_axis(ax)
    ax.grid(True, axis="y", color="0.9", lw=0.6)
    ax.set_axisbelow(True)
    # below the axes: never over a band, however long the group names
    ax.legend(loc="upper left", bbox_to_anchor=(0, -0.13), frameon=False, fontsize=8.5, ncols=1 if len(groups) < 3
              or max(len(g) for g in groups) > 25 else 2,
              title=f"{level:.0%} band shaded: Brown-Warner 1985" + ("; dashed: naive" if naive else ""),
              title_fontsize=8, alignment="left")
    ax.set_title(_wrap_title(f"CAAR by group ({res.plan.model.name} model; CAR from τ = {taus[0]})", width, 11),
                 fontsize=11, fontweight="bold", loc="left")
    _put_caption(fig, caption, height)
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
                  gap_width: float | None = None, unit: str | None = None, path=None):
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
    unit : str, optional
        Unit of the price axis; default :func:`price_unit` of the bars' ticker.
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
    short = (x1 - x0) < 0.05 * kp[-1]  # adjacent bars: the label goes up and left, clear of the "after" box
    ax.annotate(f"{move * 100:+.2f} %", ((x0 + x1) / 2, max(p0, p1) if short else (p0 + p1) / 2),
                xytext=(-14, 40) if short else (0, 12), textcoords="offset points",
                ha="right" if short else "center", va="bottom", fontsize=12, fontweight="bold", color=col, gid="move",
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
    ax.set_ylabel(f"{ticker} price ({unit or price_unit(ticker)})".strip(), fontsize=9)
    ax.grid(True, color="0.92", lw=0.6)
    ax.set_axisbelow(True)
    heading = title or f"{ticker} around {ev_local:%Y-%m-%d %H:%M} {zabbr}".strip()
    ax.set_title(_wrap_title(heading, 10.5, 11), fontsize=11, fontweight="bold", loc="left")

    last_i = after_i - 1  # the last bar before the event (before the halt when the event falls in one)
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


def price_unit(ticker: str) -> str:
    """The unit of ``ticker``'s price for an axis label, from the asset registry.

    Index points for an index or an equity-index future (the registry's CME equity calendar), the
    quote currency for an FX pair (``"CNY per USD"`` for ``CNY=X``, a Yahoo ``XXX=X`` pair being
    quoted against the dollar), the currency (``USc`` = US cents) otherwise; ``"quote units"`` for a
    ticker the registry does not know.

    Parameters
    ----------
    ticker : str
        The instrument, e.g. ``"ES=F"``.

    Returns
    -------
    str
        E.g. ``"index points"``, ``"USD"``, ``"CNY per USD"``, ``"quote units"``.
    """
    from ..assets import REGISTRY

    asset = REGISTRY.get(str(ticker))
    if asset is None:
        return "quote units"
    if asset.kind == "index" or (asset.kind == "future" and asset.calendar == "CME_EQUITY"):
        return "index points"
    if asset.kind == "fx":
        return f"{asset.currency} per USD" if str(ticker).endswith("=X") and len(str(ticker)) == 5 else asset.currency
    return asset.currency


def _event_row(event, events):
    """``(instant, event_id, title)`` of an event given as an instant, a catalog row or an id."""
    if isinstance(event, (pd.Series, dict)):
        row = dict(event)
    elif isinstance(event, str) and events is not None and "event_id" in events and (events["event_id"] == event).any():
        row = events[events["event_id"] == event].iloc[0].to_dict()
    else:
        if isinstance(event, str) and events is not None:
            try:
                pd.Timestamp(event)
            except ValueError:
                raise DataError(f"event {event!r} is neither an event id of the catalog nor an instant; "
                                f"ids: {_listing(list(events['event_id']), 8)}") from None
        return _instant(event, "event"), None, None
    if str(row.get("time_precision", "")) == "date-only":
        raise DataError(f"event {row.get('event_id')!r} is date-only: an intraday figure needs the time of the news")
    if "timestamp" not in row or pd.isna(row["timestamp"]):
        raise DataError(f"event {row.get('event_id', event)!r} has no timestamp")
    return _instant(row["timestamp"], "event timestamp"), row.get("event_id"), row.get("title")


def intraday_event(source, event, ticker: str, *, events: pd.DataFrame | None = None, before="1D", after="1D",
                   interval: str = "1m", title: str | None = None, path=None, **kwargs):
    """The intraday figure (:func:`intraday_move`) of any event on any instrument.

    The bars come from ``source.intraday(ticker, start, end, interval)`` (any price source with
    intraday bars: the bundled snapshot, the yfinance cache, a bar store). They start ``before``
    the event and end ``after`` it; when no bar starts in ``[event - before, event)`` (a weekend,
    a closed market) the start moves back, up to a week, to ``before`` ahead of the last bar
    before the event, so that the *before* price is always the last trade.

    Parameters
    ----------
    source : PriceSource
        Anything with ``.intraday(ticker, start, end, interval)`` returning the intraday frame.
    event : str, pandas.Timestamp, pandas.Series or dict
        The event: a tz-aware instant, a row of an event catalog (``timestamp``, optional
        ``event_id``, ``title``, ``time_precision``), or an ``event_id`` of ``events``.
    ticker : str
        The instrument, e.g. ``"ES=F"``.
    events : pandas.DataFrame, optional
        The catalog (:func:`eventstudy.load_events`) in which to look an event id up.
    before, after : str or pandas.Timedelta, default "1D"
        Time before and after the event to draw.
    interval : str, default "1m"
        Bar length, as the source names it (``"1m"``, ``"15m"``, ``"1h"`` ...).
    title : str, optional
        Figure title; default ``"<ticker> <interval> bars around <event title> (<instant>)"``.
    path : str or pathlib.Path, optional
        Also save the figure there (PNG at 150 dpi unless the suffix says otherwise).
    **kwargs
        Passed on to :func:`intraday_move` (``before_at``, ``tz``, ``xaxis``, ``min_gap``, ``unit`` ...).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed.
    DataError
        If the event is unknown, naive, date-only or has no timestamp, or no bars surround it.
    PriceSourceError
        If the source has no bars of ``ticker`` at ``interval`` in the range.
    """
    need_matplotlib()
    ev, eid, ev_title = _event_row(event, events)
    before, after = pd.Timedelta(before), pd.Timedelta(after)
    start, end = ev - before, ev + after
    bars = source.intraday(ticker, ev - before - pd.Timedelta("7D"), end, interval)
    t = pd.to_datetime(bars["time"], utc=True) if len(bars) else pd.Series([], dtype="datetime64[ns, UTC]")
    prior = t[(t < ev) & bars["close"].notna().to_numpy()]
    if prior.empty:
        raise DataError(f"no {ticker} {interval} bar in the week before the event {ev}")
    if not (prior >= start).any():  # nothing trades in [event - before, event): from before the last bar
        start = prior.max() - before
    bars = bars[(t >= start).to_numpy()]
    if title is None:
        what = ev_title if isinstance(ev_title, str) and ev_title else (eid or "the event")
        zone = _market_tz(bars, kwargs.get("tz"))
        try:
            bar = interval_label(pd.Timedelta(interval.replace("m", "min") if interval.endswith("m") else interval))
        except ValueError:
            bar = interval
        title = f"{ticker} {bar} bars around {what} ({ev.tz_convert(zone):%Y-%m-%d %H:%M %Z})"
    return intraday_move(bars, ev, title=title, path=path, **kwargs)


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
        ax.set_ylabel("placebo draws (count)")
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
    axes[-1].set_xlabel(f"CAAR over τ = {window} (%; sessions from day 0)")
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
    res : EventStudyResults
        Fitted results.
    out_dir : str or pathlib.Path
        Folder (created).
    events, assets : sequence of str, optional
        Passed to :func:`car_paths` (default: by group).
    groups : sequence of str, optional
        Passed to :func:`caar_by_group`, and to :func:`car_paths` when no events are named.

    Returns
    -------
    list of Path
    """
    need_matplotlib()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "car_paths.png", out / "caar_by_group.png"]
    car_paths(res, events=events, assets=assets, groups=groups if events is None else None, path=paths[0])
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
