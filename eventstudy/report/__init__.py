"""Research outputs: summary tables in text, Markdown, LaTeX, CSV and HTML (:mod:`.tables`,
:mod:`.summary`, :mod:`.latex`, :mod:`.html`), the run's self-contained ``report.html``
(:func:`.html.write_report`), figures (:mod:`.figures`), and figures drawn in a second process
(:mod:`.background`). The names below are imported from :mod:`.summary` when first used, so that
``eventstudy.report.background`` can be imported without pandas."""

import importlib
from typing import TYPE_CHECKING

__all__ = ["ROBUST_FIRST", "Summary", "headline"]


def __getattr__(name: str):
    """A name of :mod:`.summary`, imported on first use, or a submodule."""
    if name in __all__:
        value = getattr(importlib.import_module(".summary", __name__), name)
        globals()[name] = value
        return value
    if not name.startswith("__"):
        try:
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:
    from .summary import ROBUST_FIRST, Summary, headline
