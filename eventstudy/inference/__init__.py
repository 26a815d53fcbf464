"""Inference for event studies: the test battery on abnormal returns.

>>> from eventstudy.inference import Panel, battery
>>> table = battery(Panel(est_ar, evt_ar, taus, est_mkt, evt_mkt, k=2, est_dates=dates))

Conventions: ``"clm"`` (default; Campbell-Lo-MacKinlay 1997 variances with M - k degrees of
freedom and the estimated-parameter CAR variance) or ``"estudy2"`` (reproduces R estudy2 0.10.0).
"""

from .battery import (
    ALL_TESTS,
    CLUSTER_ROBUST_TESTS,
    TESTS,
    battery,
    dependence,
    results_frame,
    run_tests,
)
from .correlation import CrossCorrelation, DesignEffect, design_effect, mean_cross_correlation
from .panel import CONVENTIONS, Convention, Panel
from .results import Alternative, TestResult

__all__ = [
    "ALL_TESTS", "Alternative", "CLUSTER_ROBUST_TESTS", "CONVENTIONS", "Convention", "CrossCorrelation",
    "DesignEffect", "Panel", "TESTS", "TestResult", "battery", "dependence", "design_effect",
    "mean_cross_correlation", "results_frame", "run_tests",
]
