"""Run the whole battery of event-study tests on a :class:`Panel`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from ..errors import DataError
from . import nonparametric as _np_tests
from . import parametric as _p_tests
from .context import Context
from .correlation import DesignEffect
from .panel import Convention, Panel, check_convention
from .resampling import bootstrap
from .results import Alternative, TestResult, check_alternative

TESTS: dict[str, Callable[[Context], list[TestResult]]] = {
    "t_cs": _p_tests.t_cs,
    "bw1980": _p_tests.bw1980,
    "bw1985": _p_tests.bw1985,
    "patell": _p_tests.patell,
    "bmp": _p_tests.bmp,
    "kp_bmp": _p_tests.kp_bmp,
    "kp_patell": _p_tests.kp_patell,
    "rank": _np_tests.rank,
    "mrank": _np_tests.mrank,
    "grank": _np_tests.grank,
    "sign": _np_tests.sign,
    "gsign": _np_tests.gsign,
    "wilcoxon": _np_tests.wilcoxon,
    "bootstrap": bootstrap,
}
ALL_TESTS: tuple[str, ...] = tuple(TESTS)
# Statistics that stay valid when every member reacts to one common date (METHODS items 5, 8, 12).
CLUSTER_ROBUST_TESTS: tuple[str, ...] = ("kp_bmp", "kp_patell", "bw1985", "grank", "bootstrap")
COLUMNS = ["test", "tau", "statistic", "pvalue", "n", "distribution", "df", "note"]


def run_tests(
    panel: Panel,
    *,
    tests: Sequence[str] = ALL_TESTS,
    convention: Convention = "clm",
    alternative: Alternative = "two-sided",
    seed: int = 0,
    n_boot: int = 9999,
    min_overlap: int = 20,
) -> list[TestResult]:
    """Run the requested tests of :data:`TESTS` on a panel.

    For each test, in the order requested: one TestResult per event day (``tau``) then the
    window (CAR) result with ``tau=None``. A day on which no member has a return has a NaN
    statistic with n = 0 (no RuntimeWarning).

    Parameters
    ----------
    panel : Panel
        Abnormal returns of the N members (a :class:`~eventstudy.inference.panel.ReducedPanel`
        from the block engines works too).
    tests : sequence of str or str
        Test ids of :data:`TESTS` (a single id may be passed as a string); default all of them.
    convention : {"clm", "estudy2"}
        The variance conventions (see :meth:`Panel.s2`).
    alternative : {"two-sided", "greater", "less"}
        Alternative hypothesis of every p-value.
    seed : int
        Seed of the random generator of the ``bootstrap`` test.
    n_boot : int
        Number of resampling draws of the ``bootstrap`` test (positive).
    min_overlap : int
        Minimum number of common estimation dates for a member pair to enter r̄.

    Returns
    -------
    list of TestResult
        L + 1 results per test (L = number of event days).

    Raises
    ------
    DataError
        An unknown convention, alternative or test id, or ``n_boot < 1``.
    """
    check_convention(convention)
    check_alternative(alternative)
    if isinstance(tests, str):
        tests = (tests,)
    unknown = [t for t in tests if t not in TESTS]
    if unknown:
        raise DataError(f"unknown test id(s) {unknown}; choose from {', '.join(ALL_TESTS)}")
    if n_boot < 1:
        raise DataError(f"n_boot={n_boot}: use a positive number of bootstrap draws, e.g. 9999")
    ctx = Context(panel, convention, alternative, seed, n_boot, min_overlap)
    out: list[TestResult] = []
    # A day on which no member has a return (a window past the end of the data) has no
    # statistic: its 0/0 becomes NaN with n = 0 rather than a RuntimeWarning.
    with np.errstate(invalid="ignore", divide="ignore"):
        for t in tests:
            out.extend(TESTS[t](ctx))
    return out


CROSS_SECTIONAL_SD = frozenset({"t_cs", "bmp", "kp_bmp"})
"""Tests whose variance is the cross-sectional SD of the members' (standardized) abnormal returns."""


def undefined_reason(test: str, n: int) -> str:
    """Why ``test`` has no statistic on a sample of ``n`` members (the note of a NaN row).

    Parameters
    ----------
    test : str
        Test id.
    n : int
        Members with a value.

    Returns
    -------
    str
    """
    if test == "grank":
        return ("undefined: GRANK rescales each standardized CAR by their cross-sectional SD, which needs at "
                "least 2 members whose standardized CARs differ (and a return on this day)")
    if n == 0:
        return "undefined: no member has an abnormal return on this day or in this window"
    if test in CROSS_SECTIONAL_SD and n < 2:
        return f"undefined: a cross-sectional SD needs at least 2 members (n={n})"
    if test in CROSS_SECTIONAL_SD:
        return "undefined: the members' (standardized) abnormal returns are identical, so their cross-sectional SD is 0"
    return f"undefined: the test's variance is 0 for this sample (n={n})"


def results_frame(results: Sequence[TestResult]) -> pd.DataFrame:
    """TestResults as a DataFrame with columns test, tau (Int64, <NA> for the window row),
    statistic, pvalue, n, distribution, df, note. A row without a statistic says why in its note
    (:func:`undefined_reason`)."""
    df = pd.DataFrame(
        {
            "test": [r.test for r in results],
            "tau": pd.array([r.tau for r in results], dtype="Int64"),
            "statistic": [r.statistic for r in results],
            "pvalue": [r.pvalue for r in results],
            "n": [r.n for r in results],
            "distribution": [r.distribution for r in results],
            "df": [float("nan") if r.df is None else r.df for r in results],
            "note": [r.note if np.isfinite(r.statistic) else
                     "; ".join(x for x in (r.note, undefined_reason(r.test, r.n)) if x) for r in results],
        },
        columns=COLUMNS,
    )
    return df


def battery(
    panel: Panel,
    *,
    tests: Sequence[str] = ALL_TESTS,
    convention: Convention = "clm",
    alternative: Alternative = "two-sided",
    seed: int = 0,
    n_boot: int = 9999,
    min_overlap: int = 20,
) -> pd.DataFrame:
    """:func:`run_tests` as a DataFrame (see :func:`results_frame`).

    Parameters
    ----------
    panel : Panel
        Abnormal returns of the N members.
    tests : sequence of str or str
        Test ids of :data:`TESTS`; default all of them.
    convention : {"clm", "estudy2"}
        The variance conventions (see :meth:`Panel.s2`).
    alternative : {"two-sided", "greater", "less"}
        Alternative hypothesis of every p-value.
    seed : int
        Seed of the ``bootstrap`` test's random generator.
    n_boot : int
        Number of ``bootstrap`` draws.
    min_overlap : int
        Minimum number of common estimation dates for a member pair to enter r̄.

    Returns
    -------
    DataFrame
        Columns ``test, tau, statistic, pvalue, n, distribution, df, note`` (:data:`COLUMNS`),
        one row per test and event day, then the window row (``tau`` <NA>) of each test.

    Raises
    ------
    DataError
        An unknown convention, alternative or test id, or ``n_boot < 1``.
    """
    return results_frame(run_tests(panel, tests=tests, convention=convention, alternative=alternative,
                                   seed=seed, n_boot=n_boot, min_overlap=min_overlap))


def dependence(panel: Panel, *, min_overlap: int = 20) -> DesignEffect:
    """r̄ (Kolari-Pynnönen 2010, aligned in event time) and the Kish design effect of the panel.

    Parameters
    ----------
    panel : Panel
        Abnormal returns of the N members (r̄ uses their estimation-window residuals).
    min_overlap : int
        Minimum number of common estimation dates for a member pair to enter r̄.

    Returns
    -------
    DesignEffect
        ``design_effect(N, r̄)`` (:func:`~eventstudy.inference.correlation.design_effect`).
    """
    return Context(panel, min_overlap=min_overlap).deff
