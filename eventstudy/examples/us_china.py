"""The bundled example: the US-China trade talks of 2025-26 on the bundled real prices.

Everything specific to this study lives here, built on the public API only: the markets, the
event categories of its catalog, its pooling (``group`` = de-escalation for direction +1,
escalation for -1), its claims file, the markets and events its figures show, and the intraday
figure of ES around the Kuala Lumpur framework. ``eventstudy run`` (without ``--prices``) runs it:

>>> from eventstudy.examples import us_china
>>> res = us_china.study().fit()                                  # doctest: +SKIP
>>> res.summary()                                                 # doctest: +SKIP
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

import eventstudy as es

ASSETS: tuple[str, ...] = (
    "SPY", "QQQ", "^GSPC", "^DJI", "^IXIC", "^N225", "^KS11", "^HSI", "000001.SS", "ES=F", "NQ=F", "YM=F",
    "CNY=X", "ZS=F",
)
"""The markets of the study: US cash indices and ETFs, Asian indices, CME equity futures, the yuan
and soybeans (the world ETFs ACWI and VT of the snapshot are benchmarks, not studied)."""

CATEGORIES: frozenset[str] = frozenset(
    {"announcement", "talks", "agreement", "escalation", "call", "summit", "statement", "visit",
     "interview", "pause", "exemption"}
)
"""The categories of the catalog (``events.csv``), checked when it is loaded."""

GROUPS: dict[int, str] = {1: "de-escalation", -1: "escalation"}
"""``group`` of an event from its ``direction``."""

PATH_ASSETS: tuple[str, ...] = ("SPY", "^N225", "^KS11", "^HSI", "000001.SS", "CNY=X", "ZS=F")
"""Markets drawn in the CAR-path figure: one per market family (SPY stands for the US cash indices
and futures, which move together)."""

PATH_CATEGORIES: tuple[str, ...] = ("agreement", "summit", "escalation")
"""Events drawn in the CAR-path figure: the agreements, summits and escalations."""

KUALA_LUMPUR = {
    "event_id": "2025-10-26-kuala-lumpur-framework",
    "ticker": "ES=F",
    "start": "2025-10-24T12:00:00-04:00",
    "end": "2025-10-26T22:00:00-04:00",
    # the Friday cash-close bar (its close is the 16:00 ET settlement reference Yahoo's daily ES=F
    # shows, 6827.25); Globex trades on to 17:00 ET, noted in the caption
    "before_at": "2025-10-24T15:59:00-04:00",
}
"""The worked intraday figure: ES 1-minute bars around the Kuala Lumpur framework."""


def events() -> pd.DataFrame:
    """The bundled catalog, its categories checked, with ``group`` from ``direction``."""
    ev = es.load_events(categories=CATEGORIES)
    if "group" not in ev.columns:
        ev = ev.assign(group=ev["direction"].map(GROUPS).astype(object))
    return ev


def study(**options) -> es.EventStudy:
    """The study: every catalog event on :data:`ASSETS`, real bundled prices.

    Default normal-return model: **constant mean**. The markets are broad indices, index futures,
    the yuan and soybeans; a market model of an index on an index that contains it (SPY on ACWI,
    whose largest part is the US) removes the very reaction a trade-war headline causes in every
    market at once. Pass ``model="market", market="ACWI"`` for the world-benchmark view. Events are
    pooled by ``group`` (:data:`GROUPS`). Any :class:`~eventstudy.EventStudy` option overrides
    the defaults (``events=`` another catalog, ``assets=``, ``windows=`` ...).
    """
    ev = options.pop("events", None)
    if ev is None:
        ev = events()
    elif "group" not in ev.columns and "direction" in ev.columns:
        ev = ev.assign(group=ev["direction"].map(GROUPS).astype(object))
    spec = dict(prices=es.BundledSource(), assets=ASSETS, model="constant-mean", market=None,
                estimation=(-250, -11), windows=((0, 0), (0, 1), (-1, 1)), group="group")
    spec.update(options)
    return es.EventStudy(ev, **spec)


def claims_path() -> Path:
    """The study's claims file: ``claims.csv`` of the repository when run from a checkout, else the
    copy shipped in the package (the two are kept identical)."""
    for base in (Path.cwd(), Path(__file__).resolve().parents[2]):
        if (base / "claims.csv").is_file() and (base / "pyproject.toml").is_file():
            return base / "claims.csv"
    return bundled_claims_path()


def bundled_claims_path() -> Path:
    """The claims file shipped in the package."""
    return Path(str(resources.files("eventstudy") / "data" / "claims.csv"))


def figure_selection(res) -> dict:
    """What the per-event CAR-path figure shows: :data:`PATH_CATEGORIES` events on :data:`PATH_ASSETS`
    (those of them in the study; all when none are), and a ``note`` for its caption saying why.

    Parameters
    ----------
    res : EventStudyResults
        The fitted study.

    Returns
    -------
    dict
        ``events``, ``assets`` (lists, or None for all) and ``note`` (str), keyword arguments of
        :func:`eventstudy.report.figures.car_paths`.
    """
    m = res.members.drop_duplicates("event_id")
    picked = m.loc[m["category"].isin(PATH_CATEGORIES), "event_id"].tolist() if "category" in m else []
    have = list(pd.unique(res.members["asset"]))
    assets = [a for a in PATH_ASSETS if a in have]
    left = [a for a in have if a not in assets]
    note = (f"Chosen for this study: the {', '.join(PATH_CATEGORIES[:-1])} and {PATH_CATEGORIES[-1]} events "
            f"({len(picked)} of {m['event_id'].nunique()}); one market per family"
            + (f" (left out: {', '.join(left)}, which move with SPY or with another market shown)" if left else "")
            + ".") if picked else ""
    return {"events": picked or None, "assets": assets or None, "note": note}


def kuala_lumpur_figure(source=None, *, path=None, **kwargs):
    """The intraday figure of ES=F around the Kuala Lumpur framework (:data:`KUALA_LUMPUR`): a call
    of :func:`eventstudy.report.figures.intraday_event`.

    ES=F 1-minute bars, Friday 2025-10-24 12:00 to Sunday 10-26 22:00 ET, around the Kuala
    Lumpur framework (2025-10-26 11:00 +08:00). Before = the Friday 15:59 ET bar close 6827.25 (the
    settlement reference); after = the Sunday 18:00 ET reopen 6881.00: +0.79 %.

    Parameters
    ----------
    source : PriceSource, optional
        Where the intraday bars come from (anything with ``.intraday(ticker, start, end, interval)``);
        default :class:`~eventstudy.BundledSource`. The event's timestamp is read from the bundled
        catalog.
    path : str or Path, optional
        Where to save the figure (PNG); None: not saved.
    **kwargs
        Passed on to :func:`eventstudy.report.figures.intraday_event`; ``title`` defaults to one
        naming the event's UTC time, ``before_at`` to :data:`KUALA_LUMPUR`'s Friday 15:59 ET bar.

    Returns
    -------
    matplotlib.figure.Figure
        The figure :func:`~eventstudy.report.figures.intraday_move` draws.
    """
    from eventstudy.report.figures import intraday_event

    ex = KUALA_LUMPUR
    ev = es.load_events()
    row = ev[ev["event_id"] == ex["event_id"]].iloc[0]
    instant = pd.Timestamp(row["timestamp"])
    title = kwargs.pop("title", None) or (
        f"ES=F 1-minute bars around the Kuala Lumpur framework ({row['timestamp'][:16].replace('T', ' ')} "
        f"UTC{row['timestamp'][19:]})")
    kwargs.setdefault("before_at", ex["before_at"])
    return intraday_event(source or es.BundledSource(), row, ex["ticker"], interval="1m",
                          before=instant - pd.Timestamp(ex["start"]), after=pd.Timestamp(ex["end"]) - instant,
                          title=title, path=path, **kwargs)


def extra_figure_paths(out_dir) -> list[Path]:
    """Where :func:`extra_figures` writes: ``intraday_es_kuala_lumpur.png`` in ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        The figures folder.

    Returns
    -------
    list of Path
    """
    return [Path(out_dir) / "intraday_es_kuala_lumpur.png"]


def extra_figures(out_dir) -> list[Path]:
    """The figures only this study has: ``intraday_es_kuala_lumpur.png`` (:func:`extra_figure_paths`)."""
    paths = extra_figure_paths(out_dir)
    kuala_lumpur_figure(path=paths[0])
    return paths
