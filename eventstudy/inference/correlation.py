"""Cross-sectional dependence: Kolari-Pynnönen r̄ and the Kish design effect."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError


@dataclass(frozen=True)
class CrossCorrelation:
    """Mean off-diagonal correlation of estimation-window residuals and how it was obtained."""

    rbar: float
    n_pairs: int  # pairs with enough overlapping rows
    n_possible: int  # N (N - 1) / 2
    aligned_on: str  # "calendar date" or "row position"
    min_overlap: int


def mean_cross_correlation(
    est_ar: np.ndarray, est_dates: np.ndarray | None = None, *, evt_dates: np.ndarray | None = None,
    min_overlap: int = 20,
) -> CrossCorrelation:
    """Kolari & Pynnönen (2010, RFS 23(11):3996-4025) r̄: the average pairwise Pearson correlation
    of the members' estimation-window residuals, diagonal excluded (METHODS item 8).

    With ``est_dates`` the residuals are aligned on CALENDAR DATE and each pair uses the dates both
    members have (pairwise-complete); aligning on relative day would correlate unrelated days of
    staggered events. Without dates, rows are aligned by position. Pairs with fewer than
    ``min_overlap`` common rows are left out; if no pair is left, r̄ = 0 (independence) and
    ``n_pairs == 0`` says so. Correlation is invariant to each member's scale, so raw and
    standardized residuals give the same r̄.

    Kolari and Pynnönen define r̄ for members sharing one event date. In a pooled sample of events
    on different dates (the same index in Geneva and in Busan, say) two members' estimation
    residuals can be almost perfectly correlated while their event-day abnormal returns fall on
    different days and are independent. With ``evt_dates``, a pair whose event windows share no
    calendar date therefore enters r̄ with correlation 0; pairs that share event days keep their
    estimated correlation. With one common event date this is exactly Kolari-Pynnönen's r̄.
    """
    a = np.asarray(est_ar, dtype=float)
    n = a.shape[0]
    n_possible = n * (n - 1) // 2
    if n < 2:
        return CrossCorrelation(0.0, 0, 0, "none", min_overlap)
    if est_dates is None:
        wide = pd.DataFrame(a.T)
        aligned = "row position"
    else:
        d = np.asarray(est_dates, dtype="datetime64[D]")
        if d.shape != a.shape:
            raise DataError(f"est_dates has shape {d.shape}, expected {a.shape}")
        long = pd.DataFrame({"member": np.repeat(np.arange(n), a.shape[1]), "date": d.ravel(), "ar": a.ravel()})
        long = long[~np.isnat(long["date"].to_numpy()) & long["ar"].notna()]
        dup = long.duplicated(["member", "date"])
        if dup.any():
            i = int(long.loc[dup, "member"].iloc[0])
            raise DataError(f"member {i}: est_dates repeats a calendar date; each estimation row needs its own date")
        wide = long.pivot(index="date", columns="member", values="ar").reindex(columns=range(n))
        aligned = "calendar date"
    c = wide.corr(min_periods=min_overlap).to_numpy()
    if evt_dates is not None:
        c = np.where(_share_event_days(np.asarray(evt_dates, dtype="datetime64[D]")), c, np.where(np.isfinite(c), 0.0, c))
    iu = np.triu_indices(n, 1)
    off = c[iu]
    off = off[np.isfinite(off)]
    if off.size == 0:
        return CrossCorrelation(0.0, 0, n_possible, aligned, min_overlap)
    return CrossCorrelation(float(off.mean()), int(off.size), n_possible, aligned, min_overlap)


def _share_event_days(evt_dates: np.ndarray) -> np.ndarray:
    """(N, N) True where two members' event windows have a calendar date in common."""
    n = evt_dates.shape[0]
    ok = ~np.isnat(evt_dates)
    codes, inverse = np.unique(evt_dates[ok], return_inverse=True)
    inc = np.zeros((n, len(codes)), dtype=np.int32)
    rows = np.nonzero(ok)[0]
    inc[rows, inverse] = 1
    return (inc @ inc.T) > 0


@dataclass(frozen=True)
class DesignEffect:
    """Kish (1965) design effect of N equally correlated members (METHODS item 12)."""

    n: int
    rbar: float
    deff: float  # 1 + (N - 1) r̄
    n_eff: float  # N / DEFF
    df_eff: float  # (N - 1) / DEFF

    def describe(self) -> str:
        return (f"r̄={self.rbar:.4f} DEFF={self.deff:.3f} n_eff={self.n_eff:.2f} df_eff={self.df_eff:.2f}")


def design_effect(n: int, rbar: float) -> DesignEffect:
    """DEFF = 1 + (N-1) r̄, n_eff = N/DEFF, df_eff = (N-1)/DEFF (Kish 1965).

    A naive standard error is too small by sqrt(DEFF); with N = 4 and r̄ = 0.5, DEFF = 2.5 and
    df_eff = 1.2: four markets hit on one date carry little independent information.
    """
    deff = 1.0 + (n - 1) * rbar
    if not deff > 0:
        return DesignEffect(n, rbar, float("nan"), float("nan"), float("nan"))
    return DesignEffect(n, rbar, deff, n / deff, (n - 1) / deff)


def kp_factor_bmp(n: int | np.ndarray, rbar: float) -> np.ndarray:
    """sqrt((1 - r̄) / (1 + (N - 1) r̄)), Kolari-Pynnönen (2010) eq. for the adjusted BMP t."""
    n = np.asarray(n, dtype=float)
    den = 1.0 + (n - 1.0) * rbar
    num = 1.0 - rbar
    ok = (den > 0) & (num >= 0)
    return np.sqrt(np.divide(num, den, out=np.full(n.shape, np.nan), where=ok))


def kp_factor_patell(n: int | np.ndarray, rbar: float) -> np.ndarray:
    """1 / sqrt(1 + (N - 1) r̄), Kolari-Pynnönen (2010) adjustment of the Patell Z."""
    n = np.asarray(n, dtype=float)
    den = 1.0 + (n - 1.0) * rbar
    return np.divide(1.0, np.sqrt(np.abs(den)), out=np.full(n.shape, np.nan), where=den > 0)
