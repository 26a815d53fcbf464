"""The headline table: CAAR per group and window, clustering-robust statistics first.

When several markets share one event date their abnormal returns are cross-correlated, and the
naive cross-sectional t overstates significance (about threefold on the METHODS.md panel). The
table therefore leads with statistics that allow for that dependence — Kolari–Pynnönen adjusted
BMP, the Brown–Warner 1985 portfolio test and the estimation-window resampling test — and shows the naive
cross-sectional t beside them, with a note where the two disagree at the 5 % level.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from ..groups import ASSET_PREFIX, FEW_DATES
from ..safetext import markdown_text, write_csv
from .html import html_table
from .latex import cell_text, finite, latex_table, stars

ROBUST_FIRST: tuple[str, ...] = ("bw1985", "kp_patell", "bootstrap")
"""The statistics the headline leads with: those that keep their size between 3 % and 7 % at 5 %
nominal in every design of the size benchmark (``benchmarks/bench_size.py``; its committed
table ``benchmarks/size_table.csv`` is checked against this tuple by ``tests/test_size_table.py``).
``kp_bmp`` is not among them: it rejects 7.4 % of true nulls for a three-day window when the
markets lie in different time zones."""
TEST_NAMES: dict[str, str] = {
    "bw1985": "Brown-Warner 1985 portfolio t", "kp_patell": "Kolari-Pynnonen adjusted Patell",
    "kp_bmp": "Kolari-Pynnonen adjusted BMP", "bootstrap": "estimation-window resampling",
    "t_cs": "naive cross-sectional t",
}
"""Plain names of the headline's statistics, for table notes and figure captions."""
NAIVE: str = "t_cs"
ALPHA = 0.05


def headline(tests: pd.DataFrame, caar: pd.DataFrame) -> pd.DataFrame:
    """One row per (group, window): N, CAAR, robust statistics, then the naive t, and a note.

    Per-asset groups (``asset:...``) are kept when the battery ran for them (``by_asset``), else left
    out. The statistics are those of the whole window (rows of ``tests`` whose ``tau`` is empty).

    Parameters
    ----------
    tests : pandas.DataFrame
        The test battery (``group, window, tau, test, statistic, pvalue, ...``).
    caar : pandas.DataFrame
        Mean CAR per group and window (``group, window, caar, n``), whose row order the table keeps.

    Returns
    -------
    pandas.DataFrame
        Columns ``group, window, N, dates`` (independent dates, when ``tests`` has the effective
        sample, :func:`eventstudy.groups.effective_sample`), ``CAAR %`` (CAAR in percent),
        ``BW 1985 SE %`` (its Brown-Warner 1985 portfolio standard error, when ``caar`` has
        ``se_bw1985``), then
        ``<test> stat`` and ``<test> p`` for each of :data:`ROBUST_FIRST` and :data:`NAIVE` that
        the battery has, and ``note``: ``"few dates"`` when the group rests on fewer than
        :data:`~eventstudy.groups.FEW_DATES` independent dates; ``"naive t significant, robust
        tests not"`` when the naive p is below :data:`ALPHA` (0.05) and no robust p is, ``"robust
        tests significant, naive t not"`` when every robust p is below it (at least one present)
        and the naive p is not; joined by ``"; "``, else empty.
    """
    win = tests[tests["tau"].isna()]
    # one pass over the battery: the first row of each (group, window) (its effective sample) and
    # each test's statistic and p-value, instead of filtering the battery once per headline row
    first: dict[tuple, int] = {}
    found: dict[tuple, tuple] = {}
    cells = zip(win["group"].tolist(), win["window"].tolist(), win["test"].tolist(),
                win["statistic"].to_numpy(), win["pvalue"].to_numpy())
    for i, (g, w, t, stat, p) in enumerate(cells):
        first.setdefault((g, w), i)
        found.setdefault((g, w, t), (stat, p))
    sample_dates = win["dates"].to_numpy() if "dates" in win.columns else None
    rows = []
    if not win["group"].str.startswith(ASSET_PREFIX).any():  # a study run without the per-asset battery
        caar = caar[~caar["group"].str.startswith(ASSET_PREFIX)]
    for r in caar.itertuples():
        row = {"group": r.group, "window": r.window, "N": r.n}
        at = first.get((r.group, r.window))
        dates = sample_dates[at] if sample_dates is not None and at is not None else None
        if dates is not None and pd.notna(dates):
            row["dates"] = int(dates)
        else:
            dates = None
        row["CAAR %"] = 100 * r.caar
        if hasattr(r, "se_bw1985"):  # the CAAR's standard error, robust to markets sharing a date
            row["BW 1985 SE %"] = 100 * r.se_bw1985
        for t in (*ROBUST_FIRST, NAIVE):
            if (r.group, r.window, t) in found:
                row[f"{t} stat"], row[f"{t} p"] = found[(r.group, r.window, t)]
        naive_sig = row.get(f"{NAIVE} p", np.nan) < ALPHA
        robust_sig = [row.get(f"{t} p", np.nan) < ALPHA for t in ROBUST_FIRST if f"{t} p" in row]
        notes = []
        if dates is not None and dates < FEW_DATES:
            notes.append("few dates")
        if naive_sig and not any(robust_sig):
            notes.append("naive t significant, robust tests not")
        elif robust_sig and all(robust_sig) and not naive_sig:
            notes.append("robust tests significant, naive t not")
        row["note"] = "; ".join(notes)
        rows.append(row)
    return pd.DataFrame(rows)


def markdown_table(frame: pd.DataFrame) -> str:
    """A pipe table; '|' inside cells is escaped, missing cells are empty."""
    cols = [markdown_text(str(c)).replace("|", "\\|") for c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(markdown_text(cell_text(v)).replace("|", "\\|") for v in row) + " |")
    return "\n".join(lines)


@dataclass(frozen=True)
class Summary:
    """A table plus the conventions it was made under; renders as text, Markdown, LaTeX, CSV, HTML."""

    table: pd.DataFrame
    title: str
    conventions: str

    def _fmt(self) -> pd.DataFrame:
        """The formatted table (:attr:`_formatted`, formatted once per table), a copy for one output."""
        return self._formatted.copy()

    @cached_property
    def _formatted(self) -> pd.DataFrame:
        """Numbers formatted for reading: '... p' columns as p-values with stars (``<0.001`` below it), '... stat' and
        '... %' with 3 decimals (the rule of the LaTeX tables too); the suffixes are dropped from
        the displayed headers when the column is not part of a stat/p pair."""
        out = self.table.copy()
        for c in out.columns:
            if c.endswith(" p"):  # a p-value already written as text ("<0.001") is kept
                out[c] = out[c].map(lambda v: ("<0.001" if float(v) < 0.001 else f"{float(v):.3f}") + stars(float(v))
                                    if finite(v) else cell_text(v))
            elif c.endswith(" stat") or c.endswith(" %"):
                out[c] = out[c].map(lambda v: f"{float(v):.3f}" if finite(v) else cell_text(v))
        out = out.astype(object).map(cell_text)  # every cell text; a missing one empty
        paired = ({c[:-2] for c in out.columns if c.endswith(" p")}
                  & {c[:-5] for c in out.columns if c.endswith(" stat")})
        out.columns = [c if any(c.startswith(f"{b} ") for b in paired) else c.removesuffix(" stat").removesuffix(" p")
                       for c in out.columns]
        return out

    def as_text(self) -> str:
        """Plain text: the title, the formatted table (no index, no row limit) and the conventions,
        wrapped to the table's width (at least 80 characters).

        Returns
        -------
        str
        """
        with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 250):
            body = self._fmt().to_string(index=False)
        width = max(80, max((len(line) for line in body.splitlines()), default=0))
        return f"{self.title}\n\n{body}\n\n{textwrap.fill(self.conventions, width=width)}"

    def as_markdown(self) -> str:
        """Markdown: the title in bold, the formatted table as a pipe table, then the conventions.

        Returns
        -------
        str
            Ends with a newline.
        """
        title, notes = markdown_text(self.title), markdown_text(self.conventions)
        return f"**{title}**\n\n{markdown_table(self._fmt())}\n\n{notes}\n"

    def as_latex(self) -> str:
        """A booktabs table for :data:`eventstudy.report.latex.PREAMBLE`: numbers in math mode,
        readable headers, p-values with their stars, the conventions as its note; a long table breaks
        across pages, a wide one turns to landscape or splits into panels
        (:func:`eventstudy.report.latex.latex_table`).

        Returns
        -------
        str
        """
        return latex_table(self.table, self.title, self.conventions)

    def as_csv(self) -> str:
        """CSV of the unformatted table (no index; floats with up to 10 significant digits).

        Title and conventions are not included.

        Returns
        -------
        str
        """
        return write_csv(self.table, float_format="%.10g")

    def as_html(self) -> str:
        """HTML: a ``<figure>`` with the title as caption, the formatted table (no index; numbers
        right-aligned with true minus signs; a wide table scrolls in its own box) and the
        conventions as a note (:func:`eventstudy.report.html.html_table`); styled by
        :data:`eventstudy.report.html.STYLE`. Everything is HTML-escaped.

        Returns
        -------
        str
        """
        return html_table(self._fmt(), self.title, self.conventions)

    def _repr_html_(self) -> str:
        return self.as_html()

    def __str__(self) -> str:
        return self.as_text()
