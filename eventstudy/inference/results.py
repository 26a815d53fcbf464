"""Result record of one test statistic."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from ..errors import DataError

Alternative = Literal["two-sided", "greater", "less"]
ALTERNATIVES: tuple[str, ...] = ("two-sided", "greater", "less")


@dataclass(frozen=True)
class TestResult:
    """One statistic, its p-value and the reference distribution it was judged against.

    ``tau`` is the event day of a daily statistic and ``None`` for the statistic of the whole
    event window (the CAR/CAAR row). ``stat, p = result`` unpacks the two numbers.
    """

    __test__ = False  # not a pytest test class despite the name

    test: str
    statistic: float
    pvalue: float
    n: int
    distribution: str
    null: str
    alternative: Alternative = "two-sided"
    df: float | None = None
    note: str = ""
    tau: int | None = None

    def __iter__(self) -> Iterator[float]:
        yield self.statistic
        yield self.pvalue


def check_alternative(alternative: str) -> Alternative:
    """``alternative`` itself if it is one of :data:`ALTERNATIVES` (two-sided, greater, less).

    Raises
    ------
    DataError
        For any other value.
    """
    if alternative not in ALTERNATIVES:
        raise DataError(f"alternative={alternative!r}: use one of {', '.join(ALTERNATIVES)}")
    return alternative  # type: ignore[return-value]


def pvalue(stat: float, alternative: str, df: float | None = None) -> float:
    """p-value of ``stat`` under N(0,1) (``df is None``) or Student t(df).

    Parameters
    ----------
    stat : float
        The test statistic.
    alternative : {"two-sided", "greater", "less"}
        ``"greater"``: P(X >= stat); ``"less"``: P(X <= stat); anything else the two-sided
        min(1, 2 P(X >= |stat|)).
    df : float, optional
        Degrees of freedom of the t reference; None for N(0,1).

    Returns
    -------
    float
        The p-value; NaN when ``stat`` is not finite or ``df`` is not positive.
    """
    if not math.isfinite(stat) or (df is not None and not (df > 0)):
        return math.nan
    # scipy.special directly: a frozen scipy.stats distribution costs ~1 ms to build per call
    # (imported here, not at module level: scipy costs a third of a second to import)
    from scipy import special as _sp

    cdf = _sp.ndtr if df is None else (lambda x: _sp.stdtr(df, x))
    if alternative == "greater":
        return float(cdf(-stat))
    if alternative == "less":
        return float(cdf(stat))
    return float(min(1.0, 2.0 * cdf(-abs(stat))))
