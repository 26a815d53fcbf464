"""Shared inputs of one battery run (panel, convention, alternative, lazily computed r̄)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from .correlation import CrossCorrelation, DesignEffect, design_effect, event_time_correlation
from .panel import Convention, Panel
from .results import Alternative, TestResult, pvalue


@dataclass(eq=False)
class Context:
    """Shared inputs of one battery run, and the panel quantities its tests share (computed once).

    Parameters
    ----------
    panel : Panel
        Abnormal returns of the N members (or a :class:`~eventstudy.inference.panel.ReducedPanel`).
    convention : {"clm", "estudy2"}
        Variance conventions (:meth:`Panel.s2`).
    alternative : {"two-sided", "greater", "less"}
        Alternative hypothesis of every p-value.
    seed : int
        Seed of the ``bootstrap`` test's random generator.
    n_boot : int
        Number of ``bootstrap`` draws.
    min_overlap : int
        Minimum number of common estimation dates for a member pair to enter r̄.
    """

    panel: Panel
    convention: Convention = "clm"
    alternative: Alternative = "two-sided"
    seed: int = 0
    n_boot: int = 9999
    min_overlap: int = 20
    _memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def memo(self, key: str, make: Callable[[], Any]) -> Any:
        """Value shared by the tests of one run (computed once).

        Parameters
        ----------
        key : str
            Name of the value within this run.
        make : callable
            ``make()`` computes the value; called only the first time ``key`` is asked for.

        Returns
        -------
        object
            The value remembered under ``key``.
        """
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def remember(self, key: str, value: Any) -> None:
        """Hand this run a value it would otherwise compute.

        For example ``"est_ranks"``, the estimation ranks a block of the chunked engine has already
        computed for these members; a later :meth:`memo` of the same key returns it.

        Parameters
        ----------
        key : str
            Name of the value, as :meth:`memo` asks for it.
        value : object
            The value; replaces anything remembered under ``key``.
        """
        self._memo[key] = value

    # Panel quantities under this run's convention, computed once for all tests.
    @cached_property
    def s2(self) -> np.ndarray:
        """(N,) estimation-window residual variance s_i^2 (:meth:`Panel.s2`)."""
        return self.panel.s2(self.convention)

    @cached_property
    def sar(self) -> np.ndarray:
        """(N, L) standardized abnormal returns (:meth:`Panel.sar`)."""
        return self.panel.sar(self.convention)

    @cached_property
    def est_sar(self) -> np.ndarray:
        """(N, M) estimation-window residuals over s_i (:meth:`Panel.est_sar`)."""
        return self.panel.est_sar(self.convention)

    @cached_property
    def scar(self) -> np.ndarray:
        """(N,) standardized CAR (:meth:`Panel.scar`)."""
        return self.panel.scar(self.convention)

    @cached_property
    def car_var(self) -> np.ndarray:
        """(N,) Var(CAR_i) with estimated parameters (:meth:`Panel.car_var`)."""
        return self.panel.car_var(self.convention)

    @cached_property
    def cc(self) -> CrossCorrelation:
        """Kolari-Pynnönen r̄ of the panel: the one a reduced panel brings, else
        :func:`~eventstudy.inference.correlation.mean_cross_correlation` of its estimation rows
        aligned in EVENT TIME (row k of every member is its k-th session before its own day 0).

        This is Kolari and Pynnönen's r̄: the correlation of two members' abnormal returns on
        their event days is the correlation of their residuals at the same event-time offset.
        Members hit on one calendar day align day by day; a US market and an Asian one whose day 0
        falls a session later align lead to lag, which is how news of the US day reaches Asia the
        next morning; members of events months apart align unrelated days and their correlation
        is about zero, as that of their event-day returns is. Every pair with ``min_overlap``
        common rows enters the mean (the denominator counts all of them)."""
        p = self.panel
        given = getattr(p, "cc", None)  # a ReducedPanel brings r̄ (a function: computed when first asked)
        if given is not None:
            return given() if callable(given) else given
        return event_time_correlation(p.est_ar, min_overlap=self.min_overlap)

    @cached_property
    def deff(self) -> DesignEffect:
        """Kish design effect of the panel's N members at :attr:`cc`'s r̄."""
        return design_effect(self.panel.n, self.cc.rbar)

    def rbar_note(self) -> str:
        """The note on r̄ that tests attach to their results (Kolari-Pynnönen tests, design-effect remarks).

        It gives r̄, how many of the possible member pairs it rests on and what they were aligned
        on, and says when no pair overlapped (r̄ set to 0) or a member subset was used; made once per run.
        """
        c = self.cc
        return self.memo("rbar_note", lambda: (
            f"r̄={c.rbar:.4f} from {c.n_pairs}/{c.n_possible} member pairs aligned on {c.aligned_on}"
            + ("" if c.n_pairs else " (no overlapping pair: r̄ set to 0)")
            + (" (estimated from a random subset of members)" if c.approximate else "")))


def dist_name(df: float | None) -> str:
    """Name of a reference distribution: ``"N(0,1)"`` for ``df`` None, else ``"t(df)"``."""
    return "N(0,1)" if df is None else f"t({df:g})"


def make_results(
    ctx: Context,
    test: str,
    null: str,
    daily: np.ndarray,
    daily_n: np.ndarray,
    daily_df: np.ndarray | float | None,
    car: float,
    car_n: int,
    car_df: float | None,
    note: str = "",
    car_note: str = "",
    daily_p: Sequence[float] | None = None,
    car_p: float | None = None,
    dist: Sequence[str] | None = None,
    car_dist: str | None = None,
) -> list[TestResult]:
    """Daily TestResults for every tau of the panel, then the window (CAR) TestResult (tau None).

    P-values not given are computed by :func:`~eventstudy.inference.results.pvalue` under N(0,1)
    (df None) or t(df), with the run's alternative.

    Parameters
    ----------
    ctx : Context
        The run (panel taus, alternative).
    test : str
        Test id, e.g. ``"patell"``.
    null : str
        The null hypothesis of the daily rows (the window row's is "E[CAAR] = 0 over the event window").
    daily : ndarray, shape (L,)
        Statistic of each event day, in the order of ``ctx.panel.taus``.
    daily_n : ndarray, shape (L,)
        Members entering each day's statistic.
    daily_df : ndarray of shape (L,), float or None
        Degrees of freedom of the t reference per day (or one for all days); None: N(0,1).
    car : float
        Statistic of the event window.
    car_n : int
        Members entering it.
    car_df : float or None
        Its degrees of freedom; None: N(0,1).
    note : str
        Note of the daily rows (and of the window row unless ``car_note`` is given).
    car_note : str
        Note of the window row.
    daily_p : sequence of float, optional
        P-values of the days (L,), used instead of the computed ones (resampling tests).
    car_p : float, optional
        P-value of the window, used instead of the computed one.
    dist : sequence of str, optional
        Reference distribution of each day (L,); default :func:`dist_name` of its df.
    car_dist : str, optional
        Reference distribution of the window; default :func:`dist_name` of ``car_df``.

    Returns
    -------
    list of TestResult
        L + 1 results: one per tau, then the window row with ``tau=None``.
    """
    out: list[TestResult] = []
    taus = ctx.panel.taus
    dfs = np.broadcast_to(np.asarray(np.nan if daily_df is None else daily_df, float), daily.shape)
    for j, tau in enumerate(taus):
        df = None if daily_df is None else float(dfs[j])
        p = pvalue(float(daily[j]), ctx.alternative, df) if daily_p is None else float(daily_p[j])
        out.append(TestResult(test, float(daily[j]), p, int(daily_n[j]),
                              dist[j] if dist is not None else dist_name(df), null,
                              ctx.alternative, df, note, int(tau)))
    p = pvalue(float(car), ctx.alternative, car_df) if car_p is None else float(car_p)
    out.append(TestResult(test, float(car), p, int(car_n), car_dist or dist_name(car_df),
                          "E[CAAR] = 0 over the event window", ctx.alternative, car_df,
                          car_note or note, None))
    return out
