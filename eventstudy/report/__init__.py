"""Research outputs: summary tables in text, Markdown, LaTeX, CSV and HTML."""

from .summary import ROBUST_FIRST, Summary, headline

__all__ = ["ROBUST_FIRST", "Summary", "headline"]
