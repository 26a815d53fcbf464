"""HTML for reading: styled tables, and one self-contained report of a run (``report.html``).

Every table (:meth:`~eventstudy.report.summary.Summary.as_html`) is a ``<figure>`` with its title
as caption, numbers right-aligned in tabular figures with true minus signs, and the conventions as
a note under it; a table wider than the page scrolls inside its own box, so the page itself never
scrolls sideways. The stand-alone ``tables/*.html`` files are complete documents with the same
style sheet. :func:`write_report` gathers a run into one file that needs nothing else: the style
sheet inline, figures embedded as PNG data URIs, no script and no external address; it opens from
a mail attachment or a journal's supplementary-material folder as well as from the run folder.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from .. import __version__
from ..groups import group_columns
from .latex import cell_text, plain_header

__all__ = ["STYLE", "html_document", "html_table", "write_report"]

STYLE = """
:root { --ink: #1d2430; --muted: #5b6473; --rule: #d5dae1; --band: #f5f7fa; --accent: #1f4e8c; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0 auto; max-width: 80rem; padding: 1.5rem 1rem 4rem; color: var(--ink);
       font: 15px/1.55 -apple-system, "Segoe UI", "DejaVu Sans", "Helvetica Neue", Arial, sans-serif;
       overflow-wrap: break-word; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; }
h2 { font-size: 1.2rem; margin: 2.2rem 0 .6rem; padding-bottom: .25rem; border-bottom: 2px solid var(--accent); }
h3 { font-size: 1rem; margin: 1.4rem 0 .4rem; }
p, li { max-width: 62rem; }
a { color: var(--accent); }
code, .mono { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .86em; }
.meta { color: var(--muted); font-size: .9rem; margin: 0 0 1rem; }
.meta code { word-break: break-all; }
nav.toc { font-size: .92rem; }
nav.toc ol { margin: .3rem 0; padding-left: 1.4rem; columns: 2 14rem; }
figure { margin: 1rem 0 1.6rem; }
figure.es-table figcaption, figure.es-figure figcaption { font-weight: 600; margin-bottom: .35rem; }
.scroll { overflow-x: auto; max-width: 100%; border: 1px solid var(--rule); border-radius: 4px; }
table.es { border-collapse: collapse; font-size: .86rem; font-variant-numeric: tabular-nums; width: max-content;
           min-width: 100%; }
table.es th, table.es td { padding: .28rem .5rem; border-bottom: 1px solid var(--rule); text-align: left;
                           vertical-align: top; white-space: nowrap; }
table.es td.text { white-space: normal; min-width: 12rem; max-width: 36rem; }
table.es thead th { position: sticky; top: 0; background: #e9edf3; border-bottom: 2px solid #9aa5b4; }
table.es tbody tr:nth-child(even) { background: var(--band); }
table.es tbody tr:hover { background: #e8f0fb; }
table.es .num { text-align: right; }
.note { color: var(--muted); font-size: .84rem; margin: .45rem 0 0; max-width: 62rem; }
figure.es-figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--rule); }
details { margin: .6rem 0; }
details > summary { cursor: pointer; font-weight: 600; }
.empty { color: var(--muted); font-style: italic; }
ul.files { columns: 2 22rem; font-size: .86rem; }
"""
"""The style sheet of every HTML table and of the report (inlined: nothing is fetched)."""

_NUMBER = re.compile(r"^[+-]?[\d,]*\.?\d+(e[+-]?\d+)?%?(\*{1,3})?( \((<?[\d.]+)\))?(\*{1,3})?$|^<0\.\d+\*{0,3}$")


def _is_number(text: str) -> bool:
    return bool(text) and bool(_NUMBER.match(text))


def _cell(text: str) -> str:
    """A number with a true minus sign, classed ``num`` (right-aligned); long text wraps."""
    if _is_number(text):
        return f'<td class="num">{html.escape(text.replace("-", "−", 1) if text.startswith("-") else text)}</td>'
    cls = ' class="text"' if len(text) > 60 else ""
    return f"<td{cls}>{html.escape(text)}</td>"


def html_table(frame: pd.DataFrame, title: str, note: str = "") -> str:
    """A table as an HTML ``<figure>``: the title as caption, the cells (already formatted; any
    value is written as :func:`~eventstudy.report.latex.cell_text` gives it) escaped, numbers
    right-aligned with a true minus sign, and the note under it.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table; its index is not written.
    title : str
        The caption.
    note : str, default ""
        The note under the table (the conventions); none when empty.

    Returns
    -------
    str
        An HTML fragment for a page that carries :data:`STYLE`.
    """
    head = "".join(f"<th>{html.escape(plain_header(str(c)))}</th>" for c in frame.columns)
    rows = "\n".join("<tr>" + "".join(_cell(cell_text(v)) for v in row) + "</tr>"
                     for row in frame.itertuples(index=False))
    body = (f'<div class="scroll"><table class="es"><thead><tr>{head}</tr></thead>\n<tbody>\n{rows}\n</tbody>'
            "</table></div>") if len(frame.columns) else '<p class="empty">(no columns)</p>'
    if len(frame.columns) and not len(frame):
        body += '<p class="empty">(no rows)</p>'
    notes = f'<p class="note">{html.escape(note)}</p>' if note else ""
    return f'<figure class="es-table"><figcaption>{html.escape(title)}</figcaption>\n{body}\n{notes}</figure>'


def html_document(title: str, body: str) -> str:
    """A complete HTML page: UTF-8, a viewport for phones, :data:`STYLE` inline and ``body``.

    Parameters
    ----------
    title : str
        The page title (escaped).
    body : str
        HTML for inside ``<body>``.

    Returns
    -------
    str
    """
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def _frame_section(frame: pd.DataFrame | None, title: str, note: str, *, empty: str, fold_over: int = 40) -> str:
    """A plain frame (exclusions, overlaps) as a table, folded away when long."""
    if frame is None or not len(frame):
        return f'<p class="empty">{html.escape(empty)}</p>'
    table = html_table(frame, title, note)
    if len(frame) > fold_over:
        return f"<details><summary>{html.escape(title)} ({len(frame):,} rows)</summary>\n{table}\n</details>"
    return table


def _png_css_width(data: bytes) -> int | None:
    """The width in CSS pixels (96 per inch) at which a PNG shows at its own resolution: its
    pixel width scaled by its pHYs density (matplotlib writes the dpi there); None when unknown."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    width = int.from_bytes(data[16:20], "big")
    at = data.find(b"pHYs", 33, 4096)
    if at < 0 or data[at + 12] != 1:  # unit 1: per metre
        return None
    per_metre = int.from_bytes(data[at + 4:at + 8], "big")
    return round(width * 96 / (per_metre * 0.0254)) if per_metre else None


def _figure(path: Path) -> str:
    raw = Path(path).read_bytes()
    data = base64.b64encode(raw).decode("ascii")
    name = Path(path).name
    width = _png_css_width(raw)
    size = f' width="{width}"' if width else ""
    return (f'<figure class="es-figure"><figcaption>{html.escape(name)}</figcaption>'
            f'<img alt="{html.escape(name)}"{size} src="data:image/png;base64,{data}"></figure>')


def write_report(res, path: str | Path, *, tables: Mapping[str, object], title: str, conventions: str,
                 model_text: str, figures: Sequence[Path] = (), files: Sequence[Path] = (),
                 command: str | None = None) -> Path:
    """Write one self-contained HTML report of a run.

    Sections: the headline, the conventions (model, estimation and event windows, the day-0 rule,
    the overlap policy), the figures (embedded), the pooled batteries, the CAR per event and
    market, the cross-sectional regressions, the claims check and the placebo test when the run
    has them, the exclusions, the overlapping windows, the day-0 alignment, and the list of files
    in the run folder (linked, relative to the report). Long tables are folded (``<details>``);
    wide ones scroll in their own box.

    Parameters
    ----------
    res : EventStudyResults
        The fitted study.
    path : str or pathlib.Path
        The file to write (``report.html`` in the run folder).
    tables : mapping of str to Summary
        The run's tables by file name (:func:`eventstudy.report.tables.study_tables`).
    title : str
        What the study is (the page's heading).
    conventions : str
        The study's conventions in words (:func:`eventstudy.report.tables.conventions`).
    model_text : str
        Its model in words (:func:`eventstudy.report.tables.model_text`).
    figures : sequence of Path, optional
        PNG files to embed, in order; those missing are skipped.
    files : sequence of Path, optional
        The other files of the run, listed with links relative to ``path``.
    command : str, optional
        The command line that made the run.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    sections: list[tuple[str, str]] = []

    def add(heading: str, content: str) -> None:
        sections.append((heading, content))

    def tab(name: str, fold_over: int = 40) -> str:
        if name not in tables:
            return ""
        t = tables[name]
        if len(t.table) > fold_over:  # a long table is folded, its title and length in view
            return (f"<details><summary>{html.escape(t.title)} ({len(t.table):,} rows)</summary>\n{t.as_html()}\n"
                    "</details>")
        return t.as_html()

    add("Headline", tab("headline", 10**9))
    o = res.options
    facts = [("model", model_text), ("returns", o.get("returns")),
             ("estimation window", o.get("estimation")), ("event windows", ", ".join(o.get("windows", ()))),
             ("overlap policy", res.plan.overlap), ("group column", ", ".join(group_columns(res.plan.group))),
             ("members", f"{len(res.members):,} (event, market) pairs; {len(res.exclusions):,} excluded")]
    rows = "".join(f"<li><b>{html.escape(k)}</b>: {html.escape(str(v))}</li>" for k, v in facts
                   if v not in (None, ""))
    add("Conventions", f"<ul>{rows}</ul>\n<p>{html.escape(conventions)}</p>")
    shown = [p for p in figures if Path(p).is_file()]
    add("Figures", "\n".join(_figure(p) for p in shown) if shown else '<p class="empty">No figures in this run.</p>')
    pooled = [tab("caar_by_group"), tab("bhar")] + [
        f"<details><summary>{html.escape(tables[n].title)}</summary>\n{tab(n, 10**9)}\n</details>"
        for n in tables if n.startswith("battery_")]
    add("Pooled tests by group", "\n".join(pooled))
    by_event = [f"<details><summary>{html.escape(tables[n].title)}</summary>\n{tab(n, 10**9)}\n</details>"
                for n in tables if n.startswith("car_by_event_")]
    add("CAR per event and market", "\n".join(by_event))
    regressions = [tab(n) for n in tables if n.startswith("regression_")]
    if regressions:
        add("Cross-sectional regressions", "\n".join(regressions))
    if "claims" in tables:
        add("Claims check", tab("claims"))
    if "placebo" in tables:
        add("Placebo-date test", tab("placebo"))
    if "volume" in tables or "volatility" in tables:
        add("Abnormal volume and volatility", "\n".join(tab(n) for n in ("volume", "volatility") if n in tables))
    add("Exclusions", _frame_section(res.exclusions, "Pairs left out", "Each (event, market) pair not scored, with "
                                     "the reason.", empty="No (event, market) pair was excluded."))
    ov = res.overlaps
    add("Overlapping windows", _frame_section(
        ov, "Events whose windows share sessions on a market",
        f"Overlap policy '{res.plan.overlap}'; same_day0: the two events have the same day 0 on that market.",
        empty="No two events share a session of their windows on any market."))
    if "alignment" in tables:
        add("Day-0 alignment", tab("alignment", 0))
    listed = sorted({Path(f) for f in files if Path(f) != path})
    links = "".join(f'<li><a href="{html.escape(_relative(f, path.parent))}">{html.escape(_relative(f, path.parent))}'
                    "</a></li>" for f in listed)
    add("Files of this run", f'<ul class="files">{links}</ul>' if links else '<p class="empty">None listed.</p>')

    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    meta = f"eventstudy {html.escape(__version__)} · written {stamp}"
    if command:
        meta += f"<br>command: <code>{html.escape(command)}</code>"
    toc = "".join(f'<li><a href="#{_slug(h)}">{html.escape(h)}</a></li>' for h, _ in sections)
    body = (f"<header><h1>{html.escape(title)}</h1>\n<p class=\"meta\">{meta}</p></header>\n"
            f'<nav class="toc"><b>Contents</b><ol>{toc}</ol></nav>\n'
            + "\n".join(f'<section id="{_slug(h)}"><h2>{html.escape(h)}</h2>\n{c}\n</section>' for h, c in sections))
    path.write_text(html_document(f"eventstudy report: {title}", body), encoding="utf-8")
    return path


def _relative(f: Path, base: Path) -> str:
    try:
        return Path(f).relative_to(base).as_posix()
    except ValueError:
        return Path(f).as_posix()
