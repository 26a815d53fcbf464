"""Step 3 of the fit: infer. The test battery of every group and window from an estimate.

:class:`BatteryInputs` turns an :class:`~eventstudy.pipeline.estimate.Estimate` into the arrays
the battery reads (estimation-window ARs with the excluded days missing, market returns, dates,
the exact prediction-error factors of a factor model); :func:`infer` runs the battery
(:func:`eventstudy.inference.battery`) on the members of each group. The block engines use the
same inputs for the groups that lie inside one block.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..abnormal import forecast_factors
from ..arrays import chunk_map
from ..errors import DataError
from ..eventtime import NO_OFFSET, OffsetGrid, member_anchors, offsets_from
from ..inference import ALL_TESTS, results_frame, run_tests
from ..inference.correlation import CrossCorrelation, event_time_correlation
from ..inference.panel import Panel
from ..models import ROW_BLOCK, textbook_form
from ..windows import Window
from .estimate import Estimate
from .executors import Progress
from .prepare import Plan

BATTERY_PROGRESS_S = 5.0
"""Seconds between progress lines of the groups' test batteries."""
TEST_COLUMNS = ["group", "window", "tau", "test", "statistic", "pvalue", "n", "distribution", "df", "note"]


class MemberLabels:
    """Member names for error messages (``event/asset``), made only when one is needed."""

    def __init__(self, members: pd.DataFrame, idx: np.ndarray) -> None:
        self.members, self.idx = members, idx

    def __len__(self) -> int:
        return len(self.idx)

    def __getitem__(self, i: int) -> str:
        row = self.members.iloc[int(self.idx[i])]
        return f"{row['event_id']}/{row['asset']}"


def on_grid(grid: OffsetGrid, offsets: np.ndarray, *arrays, drop: np.ndarray | None = None):
    """Rows placed on the columns of their offsets from each member's anchor (its day 0 unless a
    holiday delayed it; :func:`eventstudy.eventtime.event_offsets`),
    ``grid.lo`` to ``grid.hi``; NaN where a member has no row. Every member's estimation row of a
    given day then sits in that day's column, whatever holidays each market keeps.

    Parameters
    ----------
    grid : OffsetGrid
        First and last offset and their convention (the plan's).
    offsets : ndarray of int64, shape (N, M)
        The rows' offsets in the grid's convention (:data:`~eventstudy.eventtime.NO_OFFSET` where
        a row does not exist); worked in place into grid columns.
    *arrays : ndarray (N, M) or None
        Arrays to place (None passes through).
    drop : ndarray of bool, shape (N, M), optional
        Rows to leave out (missing on the grid, like rows that do not exist).

    Returns
    -------
    tuple
        The arrays on the grid, shape (N, grid.hi - grid.lo + 1).
    """
    width = grid.hi - grid.lo + 1
    cols = offsets
    missing = cols == NO_OFFSET
    cols[missing] = grid.lo + width  # a spare last column takes the rows that do not exist
    cols -= grid.lo
    if cols.size and (cols.min() < 0 or (np.where(missing, 0, cols).max() if missing.any() else cols.max()) >= width):
        raise DataError("an estimation row lies outside the estimation grid; refit the study (prepare sets it)")
    del missing
    if drop is not None:
        cols[drop] = width  # and the rows left out
    out = []
    for a in arrays:
        if a is None:
            out.append(None)
            continue
        g = np.full((a.shape[0], width + 1), np.nan)

        def place(sl: slice, a=a, g=g) -> None:  # row by row, blocks of members on the cores
            np.put_along_axis(g[sl], cols[sl], a[sl], axis=1)

        chunk_map(place, a.shape[0], ROW_BLOCK)
        out.append(g[:, :width])
    return tuple(out)


def take_rows(a: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``a[idx]``, as a view (no copy) when ``idx`` is a run of consecutive rows, as the members
    of a pooled group are: a copy of a (members x rows) array costs as much as the test it feeds.

    Parameters
    ----------
    a : ndarray
        Array whose rows are taken.
    idx : ndarray of int
        Row positions, in order.

    Returns
    -------
    ndarray
        The rows ``idx`` of ``a``: a read-only view of ``a`` for consecutive rows, else a copy.
    """
    if idx.size and int(idx[-1]) - int(idx[0]) == idx.size - 1 and (idx.size < 2 or bool((np.diff(idx) == 1).all())):
        view = a[int(idx[0]):int(idx[-1]) + 1]
        view.flags.writeable = False  # shared by every window and test of the group
        return view
    return a[idx]


class BatteryInputs:
    """The battery's arrays of an estimate: estimation-window ARs with the excluded days missing
    (on the event-time grid), each window's ARs and market returns, each member's market mean and
    S_mm from the fit (market model), and (every model but the three textbook ones,
    :func:`~eventstudy.models.textbook_form`) the exact forecast-error factors per window. They
    hold no reference to the estimate's (N, T) panel."""

    def __init__(self, plan: Plan, e: Estimate) -> None:
        model, panel, ar, est_cols, mask = plan.model, e.panel, e.ar, e.est_cols, e.mask
        self.plan, self.members = plan, panel.members
        est_ar = ar[:, est_cols]
        textbook = textbook_form(model)
        # the market model's forecast-error term needs each member's market mean and S_mm over the rows
        # with an abnormal return: exactly the rows the fit used, which summed them already
        self.mkt_moments = (e.fit.mkt_mean, e.fit.mkt_ssd) if textbook and model.k == 2 else None
        if plan.grid is not None:  # estimation rows aligned in event time: day offsets from each day 0
            # (excluded days, inside other events' windows, go to the grid's spare column: missing)
            cal = plan.grid.calendar_days  # each return row's day number once, laid out as the panel's columns
            numbers = panel.rows.take(panel.rows.day_numbers(cal), est_cols, NO_OFFSET)
            est_ar, = on_grid(plan.grid, offsets_from(numbers, member_anchors(panel.members), cal), est_ar,
                              drop=mask if mask is not None and mask.any() else None)
        elif mask is not None and mask.any():  # excluded days are missing for the tests too
            est_ar = np.where(mask, np.nan, est_ar)
        self.est_ar = est_ar
        # each window's columns, copied out: the inputs hold no reference to the (N, T) panel, which the
        # engine can free before the batteries run
        self.windows = {}
        for w in plan.windows:
            cols = panel.cols(w)
            own = panel.in_window(w)  # the events' own windows: a member's other rows are missing there
            w_ar, w_mkt = ar[:, cols], panel.mkt[:, cols] if self.mkt_moments else None
            if own is not None:
                w_ar = np.where(own, w_ar, np.nan)
                w_mkt = np.where(own, w_mkt, np.nan) if w_mkt is not None else None
            self.windows[w] = (panel.taus[cols], w_ar, w_mkt)
        # a model beyond the three the battery knows (a factor model, a user's subclass) hands over its
        # exact prediction-error factors; the battery derives them itself for the textbook three
        self.exact = None if textbook else {w: forecast_factors(panel, model, e.fit, w) for w in plan.windows}

    def correlation(self, idx: np.ndarray) -> Callable[[], CrossCorrelation]:
        """r̄ of members ``idx`` (aligned in event time), computed when first asked and then
        shared by every window of the group: it depends on their estimation rows only."""
        return functools.cache(lambda: event_time_correlation(take_rows(self.est_ar, idx)))

    def panel(self, idx: np.ndarray, w: Window, cc=None) -> Panel:
        """The battery's :class:`~eventstudy.inference.Panel` of members ``idx`` over window ``w``.

        Parameters
        ----------
        idx : ndarray of int
            Rows of the estimate's members (N of them).
        w : Window
            The event window; one of the plan's windows for a factor model (its exact factors).
        cc : callable or CrossCorrelation, optional
            The members' r̄ (:meth:`correlation`) when the caller shares it between windows.

        Returns
        -------
        Panel
            Estimation ARs (N, M) with the excluded days missing, the window's ARs (N, L), market
            returns (market model), dates, and ``fe``/``car_fe`` for a factor model.
        """
        if w not in self.windows:
            raise DataError(f"window {w.label} is not one of the study's windows "
                            f"({', '.join(v.label for v in self.windows)}); fit the study with it")
        taus, evt_ar, evt_mkt = self.windows[w]
        extra = {"fe": take_rows(self.exact[w][0], idx), "car_fe": take_rows(self.exact[w][1], idx)} \
            if self.exact else {}
        return Panel(
            est_ar=take_rows(self.est_ar, idx), evt_ar=take_rows(evt_ar, idx), taus=taus,
            mkt_moments=tuple(take_rows(v, idx) for v in self.mkt_moments) if self.mkt_moments else None,
            evt_mkt=take_rows(evt_mkt, idx) if evt_mkt is not None else None,
            k=self.plan.model.k, labels=MemberLabels(self.members, idx), cc=cc, **extra)


def run_battery(plan: Plan, panel, group: str, w: Window) -> list:
    """The battery of one group and window on a battery panel (its results; :func:`tests_frame`
    makes the one ``tests.csv`` frame of every group's at the end).

    Parameters
    ----------
    plan : Plan
        The study's plan (tests, convention, seed, draws).
    panel : Panel or ReducedPanel
        The group's battery panel over ``w``.
    group : str
        The group's name.
    w : Window
        The event window.

    Returns
    -------
    list of TestResult
        In the battery's order (:func:`eventstudy.inference.run_tests`).
    """
    return run_tests(panel, tests=plan.tests or ALL_TESTS, convention=plan.convention, seed=plan.seed,
                     n_boot=plan.n_boot)


def tests_frame(batteries: Mapping[tuple[str, str], list]) -> pd.DataFrame:
    """The one ``tests.csv`` frame of every group's and window's battery, built once.

    Parameters
    ----------
    batteries : mapping
        ``{(group, window label): [TestResult, ...]}`` in output order (:func:`run_battery`).

    Returns
    -------
    DataFrame
        :data:`TEST_COLUMNS`, the batteries one after the other.
    """
    flat = [r for results in batteries.values() for r in results]
    df = results_frame(flat)
    sizes = [len(results) for results in batteries.values()]
    df.insert(0, "window", np.repeat([w for _, w in batteries], sizes).astype(object))
    df.insert(0, "group", np.repeat([g for g, _ in batteries], sizes).astype(object))
    return df[TEST_COLUMNS]


def infer(plan: Plan, inputs: BatteryInputs, groups: Mapping[str, Sequence[int]],
          progress=False) -> dict[tuple[str, str], list]:
    """The test battery per group and window.

    Parameters
    ----------
    plan
        The study's plan (tests, convention, seed, draws, windows).
    inputs
        The battery inputs of the members' estimate (:class:`BatteryInputs`).
    groups
        Group name -> member rows of the estimate (:func:`eventstudy.groups.define_groups`).
    progress
        As :attr:`~eventstudy.pipeline.executors.Execution.progress`: a line every
        :data:`BATTERY_PROGRESS_S` seconds of batteries (none for a study that takes less).

    Returns
    -------
    dict
        ``{(group, window label): [TestResult, ...]}`` (:func:`tests_frame` makes the frame).
    """
    rows = {}
    bar = Progress(progress, len(groups), "test battery", unit="group", min_interval=BATTERY_PROGRESS_S)
    for g, idx in groups.items():
        idx = np.asarray(idx)
        cc = inputs.correlation(idx)
        for w in plan.windows:
            rows[(g, w.label)] = run_battery(plan, inputs.panel(idx, w, cc), g, w)
        bar.step(len(idx))
    return rows
