"""LaTeX for a paper: every :class:`~eventstudy.report.summary.Summary` as a booktabs table that
compiles cleanly, and one document holding them all (``tables.tex``, compiled to ``tables.pdf``
when ``pdflatex`` is on the path).

What a table gets, whatever its size:

* **numbers in math mode** (a true minus sign, not a hyphen), p-values as ``<0.001`` below a
  thousandth and with the stars as superscripts, explained in the note;
* **readable headers**: ``KP-BMP t`` for ``kp_bmp stat``, ``CAAR (%)`` for ``CAAR %``;
* **its note in full** under the table (``threeparttable``), with ``<`` and ``>`` in math mode
  (the default OT1 font encoding prints ``<`` in text as an inverted exclamation mark);
* **a long table** (over :data:`LONG_ROWS` rows) as a ``longtable`` that breaks across pages with
  its header repeated, its note after it; **a table wider than the text** is set in landscape (as a
  ``longtable``) and, if
  still too wide, split into panels of columns that each repeat the table's key columns
  (the first text columns: event, group, window ...). Widths are estimated from the cells'
  characters at the table's font size with a safety margin; ``tests/test_latex.py`` compiles every
  table the main job writes and fails on an error, an overfull box over 1 pt or a float too large.

The preamble (:data:`PREAMBLE`) uses only packages of TeX Live's ``latex-base``,
``latex-recommended`` and ``latex-extra`` collections (Debian's ``texlive-latex-extra``):
geometry, booktabs, longtable, threeparttable, array, pdflscape.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..safetext import terminal_text

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[margin=1in]{geometry}
\usepackage{booktabs}
\usepackage{longtable}
\usepackage{threeparttable}
\usepackage{array}
\usepackage{pdflscape}
"""
"""What a document needs to ``\\input`` the tables (letter or A4 paper, 1 inch margins)."""

TEXT_WIDTH_PT = 6.27 * 72.27
"""Text width of :data:`PREAMBLE`'s page in points: A4 less two inches (letter is wider)."""
TEXT_HEIGHT_PT = 9.0 * 72.27
"""Text height of a letter page less two inches: the width of a landscape table."""
LONG_ROWS = 30
"""Above this many rows a table is a ``longtable``: a float that long, with its note, may not fit a
page. A landscape table is always one (its page is short, and a narrow panel's note is tall)."""
WRAP_CHARS = 40
"""A text column whose longest cell is longer than this is set as a paragraph column (wrapped)."""
# width of one character in points at \footnotesize (8 pt) and \scriptsize (6 pt): digits are 4 and 3 pt
# wide, capitals up to 6 and 5; with the 20 % margin the estimate stays above what TeX measures
_CHAR_PT = {"footnotesize": 4.8, "scriptsize": 4.0}
_SEP_PT = 12.0  # 2 \tabcolsep

TEST_LABELS: dict[str, tuple[str, str]] = {
    "t_cs": ("CS", "t"), "bw1980": ("BW 1980", "t"), "bw1985": ("BW 1985", "t"), "patell": ("Patell", "z"),
    "bmp": ("BMP", "t"), "kp_bmp": ("KP-BMP", "t"), "kp_patell": ("KP-Patell", "z"),
    "rank": ("Corrado rank", "t"), "mrank": ("Mod. rank", "t"), "grank": ("GRANK", "t"), "sign": ("Sign", "z"),
    "gsign": ("Gen. sign", "z"), "wilcoxon": ("Wilcoxon", "W"), "bootstrap": ("Bootstrap", "stat"),
    "placebo": ("Placebo", "z"), "t": ("", "t"), "statistic": ("", "statistic"), "p-value": ("", "p"),
}
"""Header text of a test's columns: ``(name, symbol of its statistic)``; ``kp_bmp stat`` reads
``KP-BMP t``, ``kp_bmp p`` reads ``KP-BMP p``."""

_TEX = {"\\": r"\textbackslash{}", "%": r"\%", "_": r"\_", "&": r"\&", "#": r"\#", "$": r"\$",
        "^": r"\^{}", "{": r"\{", "}": r"\}", "~": r"\~{}", "<": r"\ensuremath{<}", ">": r"\ensuremath{>}",
        "|": r"\ensuremath{|}"}
_TEX.update({"\u2013": "--", "\u2014": "---", "\u2018": "`", "\u2019": "'", "\u201c": "``", "\u201d": "''",
             "\u2026": r"\ldots{}", "\u2212": r"\ensuremath{-}", "\u00d7": r"\ensuremath{\times}",
             "\u00b1": r"\ensuremath{\pm}", "\u00a0": "~"})
_TEX_TABLE = str.maketrans(_TEX)
_ACCENTS = frozenset("\u0300\u0301\u0302\u0303\u0308\u030a\u0327")  # grave acute circumflex tilde umlaut ring cedilla
_LETTERS = frozenset("\u00df\u00e6\u00c6\u00f8\u00d8\u0153\u0152\u00e5\u00c5")  # ss ae oe o-slash aa: OT1 has them


def _printable(ch: str) -> str:
    """``ch`` if pdflatex prints it under the default encodings (ASCII, a Latin letter with a
    common accent, a few ligature letters), else its code point as text (nothing dropped)."""
    if ch.isascii() or ch in _TEX or ch in _LETTERS:
        return ch
    base = unicodedata.normalize("NFD", ch)
    if base[0].isascii() and base[0].isalpha() and all(c in _ACCENTS for c in base[1:]):
        return ch
    return f"(U+{ord(ch):04X})"


def tex_text(value) -> str:
    """Text for LaTeX: special characters escaped, ``<``, ``>`` and ``|`` in math mode (right in any
    font encoding), no line break or control byte; a character the default fonts lack (``東``) is
    written as its code point, ``(U+6771)``.

    Parameters
    ----------
    value
        Anything; ``str(value)`` is escaped.

    Returns
    -------
    str
    """
    text = terminal_text(" ".join(str(value).splitlines()))
    if not text.isascii():
        text = "".join(map(_printable, text))
    return text.translate(_TEX_TABLE)


def header(column: str) -> str:
    """The printed header of a table column.

    Parameters
    ----------
    column : str
        The Summary's column name (``"kp_bmp stat"``, ``"CAAR %"``, ``"event_id"`` ...).

    Returns
    -------
    str
        LaTeX text: ``KP-BMP $t$``, ``CAAR (\\%)``, ``event\\_id`` ...
    """
    name, symbol, percent = _header_parts(column)
    if percent:
        return tex_text(name) + r" (\%)"
    sym = f"${symbol}$" if len(symbol) == 1 else tex_text(symbol)
    return (tex_text(name) + " " + sym).strip()


def plain_header(column: str) -> str:
    """The printed header of a table column, as plain text (the HTML tables' header).

    Parameters
    ----------
    column : str
        The Summary's column name (``"kp_bmp stat"``, ``"CAAR %"``, ``"event_id"`` ...).

    Returns
    -------
    str
        ``KP-BMP t``, ``CAAR (%)``, ``event_id`` ...: the words of :func:`header` without LaTeX.
    """
    name, symbol, percent = _header_parts(column)
    return name + " (%)" if percent else f"{name} {symbol}".strip()


def _header_parts(column: str) -> tuple[str, str, bool]:
    """The words of a column's header, its statistic's symbol (``""`` for none) and whether it is
    in percent: ``"kp_bmp stat"`` -> ``("KP-BMP", "t", False)``, ``"CAAR %"`` -> ``("CAAR", "", True)``."""
    for suffix in (" stat", " p"):
        if column.endswith(suffix):
            base = column[: -len(suffix)]
            name, symbol = TEST_LABELS.get(base, (base, "stat"))
            return name, "p" if suffix == " p" else symbol, False
    if column.endswith(" %"):
        return column[:-2], "", True
    return column, "", False


def stars(p: float) -> str:
    """Significance stars of a p-value: ``***`` below 0.01, ``**`` below 0.05, ``*`` below 0.10.

    Parameters
    ----------
    p : float
        The p-value.

    Returns
    -------
    str
        The stars, or ``""`` for ``p >= 0.10`` or a non-finite ``p``.
    """
    if not np.isfinite(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.10 else ""


def _pvalue(v: float) -> str:
    s = stars(v)
    text = r"{<}0.001" if v < 0.001 else f"{v:.3f}"
    return f"${text}" + (f"^{{{s}}}" if s else "") + "$"


def _number(v: float, decimals: int = 3) -> str:
    return f"${v:,.{decimals}f}$".replace(",", "{,}")


def finite(value) -> bool:
    """Whether a cell holds a finite number (a number written as text counts).

    Parameters
    ----------
    value
        Any cell.

    Returns
    -------
    bool
    """
    try:
        return value is not None and not pd.isna(value) and bool(np.isfinite(float(value)))
    except (TypeError, ValueError):
        return False


def cell_text(value) -> str:
    """A table cell as text: ``""`` for a missing value (NaN, None, pandas NA), else ``str(value)``.

    Parameters
    ----------
    value
        Any cell.

    Returns
    -------
    str
    """
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):  # array-likes: not missing
        pass
    return str(value)


_NUMERIC_TEXT = re.compile(r"^\s*([-+]?[\d,]*\.?\d+)\s*(\(([-<]?[\d.]+)\))?\s*(\**)\s*$", re.ASCII)


def _text_cell(v: str) -> str:
    """A text cell; one that reads as a number (``-1.23 (-0.45)**``) is set in math mode."""
    m = _NUMERIC_TEXT.match(v)
    if not m or not v.strip():
        return tex_text(v)
    out = m.group(1).replace(",", "{,}")
    if m.group(3) is not None:
        out += r"\ (" + m.group(3).replace("<", "{<}") + ")"
    if m.group(4):
        out += f"^{{{m.group(4)}}}"
    return f"${out}$"


def cells(table: pd.DataFrame) -> tuple[list[str], list[list[str]], list[bool]]:
    """The table's header, rows and which columns are numeric, as LaTeX text.

    Parameters
    ----------
    table : DataFrame
        A Summary's unformatted table: ``... p`` columns p-values, ``... stat`` and ``... %``
        numbers, the rest as they are.

    Returns
    -------
    (header, rows, numeric)
    """
    heads, columns, numeric = [], [], []
    for c in table.columns:
        values = table[c].tolist()
        if c.endswith(" p"):  # a p-value already written as text ("<0.001") is kept as text
            col = [_pvalue(float(v)) if finite(v) else _text_cell(cell_text(v)) for v in values]
            num = True
        elif c.endswith(" stat") or c.endswith(" %"):
            col = [_number(float(v)) if finite(v) else _text_cell(cell_text(v)) for v in values]
            num = True
        elif pd.api.types.is_integer_dtype(table[c].dtype):
            col = ["" if pd.isna(v) else f"${int(v):,}$".replace(",", "{,}") for v in values]
            num = True
        else:
            texts = [cell_text(v) for v in values]
            col = [_text_cell(t) for t in texts]
            num = sum(t.startswith("$") for t in col) > 0.5 * max(1, sum(bool(t) for t in texts))
        heads.append(header(str(c)))
        columns.append(_align_stars(col) if num else col)
        numeric.append(num)
    rows = [list(r) for r in zip(*columns)] if columns else []
    return heads, rows, numeric


_STARS = re.compile(r"\^\{(\*+)\}\$$")


def _align_stars(col: list[str]) -> list[str]:
    """Right-aligned numbers line up on their decimal point although some carry stars: a cell
    with fewer stars than the most in its column gets the missing ones as a phantom."""
    most = max((len(m.group(1)) for c in col if (m := _STARS.search(c))), default=0)
    if not most:
        return col
    out = []
    for c in col:
        m = _STARS.search(c)
        have = len(m.group(1)) if m else 0
        if not c.startswith("$") or not c.endswith("$") or have == most:
            out.append(c)
        elif m:
            out.append(c[: m.start()] + f"^{{{m.group(1)}\\phantom{{{'*' * (most - have)}}}}}$")
        else:
            out.append(c[:-1] + f"^{{\\phantom{{{'*' * most}}}}}$")
    return out


def _visible_len(cell: str) -> int:
    """Characters a cell prints (LaTeX commands and braces not counted)."""
    s = re.sub(r"\\ensuremath\{(.)\}", r"\1", cell)
    s = re.sub(r"\\[a-zA-Z]+(\{\})?", "x", s)
    s = s.replace("{,}", ",").replace("\\ ", " ")
    return len(re.sub(r"[\\${}^]", "", s))


def _widths(heads: list[str], rows: list[list[str]], size: str) -> list[float]:
    ch = _CHAR_PT[size]
    out = []
    for j, h in enumerate(heads):
        longest = max([_visible_len(h)] + [_visible_len(r[j]) for r in rows])
        out.append(min(longest, WRAP_CHARS) * ch * 1.2 + _SEP_PT)
    return out


def _spec(numeric: list[bool], widths: list[float], rows: list[list[str]], size: str) -> str:
    parts = []
    for j, num in enumerate(numeric):
        wraps = not num and any(_visible_len(r[j]) > WRAP_CHARS for r in rows)
        if wraps:  # long text (a status, a note): a paragraph column of the estimated width
            parts.append(r">{\raggedright\arraybackslash}p{" + f"{widths[j] - _SEP_PT:.0f}pt" + "}")
        else:
            parts.append("r" if num else "l")
    return "".join(parts)


def _panels(widths: list[float], key: int, room: float) -> list[list[int]]:
    """Column indices of each panel: the ``key`` first columns in every panel, the others in order
    as many as fit ``room`` points."""
    fixed = sum(widths[:key])
    panels, cur, used = [], [], fixed
    for j in range(key, len(widths)):
        if cur and used + widths[j] > room:
            panels.append(list(range(key)) + cur)
            cur, used = [], fixed
        cur.append(j)
        used += widths[j]
    panels.append(list(range(key)) + cur)
    return panels


def _key_columns(numeric: list[bool]) -> int:
    """How many leading text columns identify a row (repeated in each panel of a split table)."""
    k = 0
    while k < len(numeric) and not numeric[k] and k < 3:
        k += 1
    return max(1, k)


def latex_table(table: pd.DataFrame, title: str, note: str) -> str:
    """One table as LaTeX for :data:`PREAMBLE`: a float with its note (``threeparttable``), a
    ``longtable`` when it has more than :data:`LONG_ROWS` rows, landscape and panels of columns when
    it is wider than the text.

    Parameters
    ----------
    table : DataFrame
        The unformatted table (see :func:`cells`).
    title : str
        Caption.
    note : str
        The note under the table (conventions, stars).

    Returns
    -------
    str
    """
    if table.shape[1] == 0:  # nothing to set in columns: the caption and note alone
        return (f"\\begin{{center}}\\textbf{{{tex_text(title)}}}\\\\ (no rows)\\end{{center}}\n"
                f"{{\\footnotesize\\noindent Note: {tex_text(note)}\\par}}\n")
    heads, rows, numeric = cells(table)
    size = "footnotesize"
    widths = _widths(heads, rows, size)
    landscape = sum(widths) > TEXT_WIDTH_PT
    room = TEXT_HEIGHT_PT if landscape else TEXT_WIDTH_PT
    if sum(widths) > room:
        size = "scriptsize"
        widths = _widths(heads, rows, size)
    panels = _panels(widths, _key_columns(numeric), room) if sum(widths) > room else [list(range(len(heads)))]
    notes = tex_text(note)
    # a narrow table's caption and note would be squeezed to its width by threeparttable: they take
    # the text's width instead
    narrow = sum(widths) < 0.5 * TEXT_WIDTH_PT
    if any("^{*" in c for r in rows for c in r) and "p<0.10" not in note:
        notes += r" $^{*}\,p<0.10$, $^{**}\,p<0.05$, $^{***}\,p<0.01$."
    out = []
    for k, cols in enumerate(panels):
        cap = tex_text(title) + (f" (panel {chr(65 + k)} of {len(panels)})" if len(panels) > 1 else "")
        spec = _spec([numeric[j] for j in cols], [widths[j] for j in cols], [[r[j] for j in cols] for r in rows],
                     size)
        head = " & ".join(heads[j] for j in cols) + r" \\"
        body = "".join(" & ".join(r[j] for j in cols) + " \\\\\n" for r in rows)  # each row ends its line
        last = k == len(panels) - 1
        if landscape or len(rows) > LONG_ROWS:
            text = (f"{{\\{size}\n\\begin{{longtable}}{{{spec}}}\n\\caption{{{cap}}}\\\\\n"
                    f"\\toprule\n{head}\n\\midrule\n\\endfirsthead\n"
                    f"\\multicolumn{{{len(cols)}}}{{l}}{{\\emph{{(continued)}}}}\\\\\n\\toprule\n{head}\n\\midrule\n"
                    f"\\endhead\n\\bottomrule\n\\endfoot\n{body}\\end{{longtable}}\n}}\n"
                    + (f"{{\\footnotesize\\noindent Note: {notes}\\par}}\n" if last else ""))
        else:
            tabular = (f"\\begin{{tabular}}{{{spec}}}\n\\toprule\n{head}\n\\midrule\n{body}\\bottomrule\n"
                       "\\end{tabular}\n")
            if narrow:
                text = (f"\\begin{{table}}[htbp]\n\\centering\n\\caption{{{cap}}}\n\\{size}\n{tabular}"
                        + (f"\\par\\smallskip{{\\footnotesize\\raggedright Note: {notes}\\par}}\n" if last else "")
                        + "\\end{table}\n")
            else:
                text = (f"\\begin{{table}}[htbp]\n\\centering\n\\{size}\n\\begin{{threeparttable}}\n"
                        f"\\caption{{{cap}}}\n{tabular}"
                        + (f"\\begin{{tablenotes}}[flushleft]\n\\footnotesize\n\\item Note: {notes}\n"
                           "\\end{tablenotes}\n" if last else "")
                        + "\\end{threeparttable}\n\\end{table}\n")
        out.append(text)
    body = "\n".join(out)
    if landscape:
        body = "\\begin{landscape}\n" + body + "\\end{landscape}\n"
    return body


def latex_document(names: Sequence[str]) -> str:
    """A document that inputs the tables ``<name>.tex`` (in the same folder), one after another.

    Parameters
    ----------
    names : sequence of str
        Table file stems, in the order to print them.

    Returns
    -------
    str
    """
    parts = [PREAMBLE, "\\begin{document}\n"]
    for name in names:
        parts.append(f"\\typeout{{eventstudy-table: {name}}}\n\\input{{{name}.tex}}\n\\clearpage\n")
    parts.append("\\end{document}\n")
    return "".join(parts)


def log_problems(log: str) -> list[str]:
    """The problems a pdflatex log reports, each with the table it came from: errors, overfull
    boxes over 1 pt and floats too large for the page.

    Parameters
    ----------
    log : str
        The ``.log`` of a :func:`latex_document` run.

    Returns
    -------
    list of str
        Empty when the tables compiled cleanly.
    """
    problems, table = [], "(preamble)"
    for line in log.splitlines():
        if line.startswith("eventstudy-table: "):
            table = line.split(": ", 1)[1].strip()
        elif line.startswith("! "):
            problems.append(f"{table}: {line}")
        elif m := re.match(r"Overfull \\[hv]box \(([\d.]+)pt too (wide|high)\)", line):
            if float(m.group(1)) > 1.0:
                problems.append(f"{table}: {line.strip()}")
        elif "Float too large" in line:
            problems.append(f"{table}: {line.strip()}")
    return problems


def compile_pdf(folder: Path, stem: str = "tables", *, timeout: float = 120.0) -> tuple[Path | None, list[str]]:
    """Compile ``folder/<stem>.tex`` with ``pdflatex`` (twice, for the longtables' column widths;
    once when the first run reports an error) in a temporary folder and copy the PDF next to it.

    Parameters
    ----------
    folder : Path
        Where the document and the tables it inputs are.
    stem : str
        The document's file stem.
    timeout : float
        Seconds allowed per pdflatex run.

    Returns
    -------
    (Path or None, list of str)
        The PDF written (None when pdflatex is not installed or failed) and the problems its log
        reports (:func:`log_problems`; a failure to run is one of them).
    """
    exe = shutil.which("pdflatex")
    if exe is None:
        return None, []
    folder = Path(folder)
    with tempfile.TemporaryDirectory(prefix="eventstudy-latex-") as tmp:
        for p in folder.glob("*.tex"):
            shutil.copy(p, tmp)
        problems: list[str] = []
        for _ in range(2):  # an error does not stop the run (one bad cell must not lose every table)
            try:
                subprocess.run([exe, "-interaction=nonstopmode", f"{stem}.tex"], cwd=tmp,
                               capture_output=True, timeout=timeout, check=False)
            except (OSError, subprocess.TimeoutExpired) as exc:
                return None, [f"pdflatex could not run: {exc}"]
            logf = Path(tmp) / f"{stem}.log"
            problems = log_problems(logf.read_text(errors="replace") if logf.exists() else "")
            if any(": ! " in p for p in problems):  # a second run would report the same error
                break
        pdf = Path(tmp) / f"{stem}.pdf"
        if not pdf.exists():
            return None, problems or ["pdflatex wrote no PDF"]
        target = folder / f"{stem}.pdf"
        shutil.copy(pdf, target)
        return target, problems


__all__ = ["PREAMBLE", "compile_pdf", "header", "latex_document", "latex_table", "log_problems", "stars", "tex_text"]

