"""Shared inputs of one battery run (panel, convention, alternative, lazily computed r̄)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from .correlation import CrossCorrelation, DesignEffect, design_effect, mean_cross_correlation
from .panel import Convention, Panel
from .results import Alternative, TestResult, pvalue


@dataclass(eq=False)
class Context:
    panel: Panel
    convention: Convention = "clm"
    alternative: Alternative = "two-sided"
    seed: int = 0
    n_boot: int = 9999
    min_overlap: int = 20
    _memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def memo(self, key: str, make: Callable[[], Any]) -> Any:
        """Value shared by the tests of one run (computed once)."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def remember(self, key: str, value: Any) -> None:
        """Hand this run a value it would otherwise compute (e.g. ``"est_ranks"``, the estimation
        ranks a block of the chunked engine has already computed for these members)."""
        self._memo[key] = value

    # Panel quantities under this run's convention, computed once for all tests.
    @cached_property
    def s2(self) -> np.ndarray:
        return self.panel.s2(self.convention)

    @cached_property
    def sar(self) -> np.ndarray:
        return self.panel.sar(self.convention)

    @cached_property
    def est_sar(self) -> np.ndarray:
        return self.panel.est_sar(self.convention)

    @cached_property
    def scar(self) -> np.ndarray:
        return self.panel.scar(self.convention)

    @cached_property
    def car_var(self) -> np.ndarray:
        return self.panel.car_var(self.convention)

    @cached_property
    def cc(self) -> CrossCorrelation:
        p = self.panel
        given = getattr(p, "cc", None)  # a ReducedPanel brings r̄ (a function: computed when first asked)
        if given is not None:
            return given() if callable(given) else given
        return mean_cross_correlation(p.est_ar, p.est_dates, evt_dates=p.evt_dates, min_overlap=self.min_overlap)

    @cached_property
    def deff(self) -> DesignEffect:
        return design_effect(self.panel.n, self.cc.rbar)

    def rbar_note(self) -> str:
        c = self.cc
        return self.memo("rbar_note", lambda: (
            f"r̄={c.rbar:.4f} from {c.n_pairs}/{c.n_possible} member pairs aligned on {c.aligned_on}"
            + ("" if c.n_pairs else " (no overlapping pair: r̄ set to 0)")
            + (" (estimated from a random subset of members)" if c.approximate else "")))


def dist_name(df: float | None) -> str:
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
    """Daily TestResults for every tau of the panel, then the window (CAR) TestResult (tau None)."""
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
