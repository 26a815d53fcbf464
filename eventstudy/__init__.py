"""eventstudy: link diplomatic news to market moves.

Flat public API (re-exports only, each imported from its module when first used, so that
``import eventstudy`` itself is quick and ``eventstudy run`` can start its figure worker before
pandas is loaded); see README.md for a tour and :mod:`eventstudy.pipeline` for how a fit flows.
The bundled US-China study is an example built on this API: :mod:`eventstudy.examples.us_china`.
"""

__version__ = "0.2.0"  # the one version source (pyproject reads it); first, so submodules can import it

import importlib
from typing import TYPE_CHECKING

_EXPORTS = {
    "align": "alignment", "Asset": "assets", "DEFAULT_ASSETS": "assets", "REGISTRY": "assets", "get_asset": "assets",
    "DATE_ONLY_POLICIES": "calendars", "SessionTable": "calendars", "data_sessions": "calendars",
    "exchange_sessions": "calendars", "check_article": "claims", "check_claims": "claims", "draft_claims": "claims",
    "load_claims": "claims", "AlignmentError": "errors", "DataError": "errors",
    "EstimationWindowError": "errors", "EventCatalogError": "errors", "EventStudyError": "errors",
    "MissingDependencyError": "errors", "PriceSourceError": "errors", "SpecificationError": "errors",
    "UnknownTickerError": "errors", "bundled_events_path": "events", "expand_assets": "events",
    "load_events": "events", "define_groups": "groups", "intraday_study": "intraday", "ConstantMean": "models",
    "FactorModel": "models", "MODELS": "models", "MarketAdjusted": "models", "MarketModel": "models",
    "NormalReturnModel": "models", "Execution": "pipeline.executors", "placebo_test": "placebo",
    "pseudo_day0s": "placebo", "rolling_cars": "placebo", "PriceSource": "prices", "BundledSource": "prices.bundled",
    "CSVSource": "prices.csvsource", "ParquetSource": "prices.parquet", "EventStudyResults": "results",
    "compute_returns": "returns", "session_gaps": "returns", "EventStudy": "study", "Window": "windows",
}
"""Public name -> the module it is defined in (relative to this package)."""

__all__ = [
    "AlignmentError", "Asset", "BundledSource", "CSVSource", "ConstantMean", "DATE_ONLY_POLICIES", "DEFAULT_ASSETS",
    "DataError", "EstimationWindowError", "EventCatalogError", "EventStudy", "EventStudyError", "EventStudyResults",
    "Execution", "FactorModel", "MODELS", "MarketAdjusted", "MarketModel", "MissingDependencyError",
    "NormalReturnModel", "ParquetSource", "PriceSource", "PriceSourceError", "REGISTRY", "SessionTable",
    "SpecificationError", "UnknownTickerError", "Window", "__version__", "align", "bundled_events_path",
    "check_article", "check_claims", "compute_returns", "data_sessions", "define_groups", "draft_claims",
    "exchange_sessions", "expand_assets", "get_asset",
    "intraday_study", "load_claims", "load_events", "placebo_test", "pseudo_day0s", "rolling_cars", "session_gaps",
]


def __getattr__(name: str):
    """A public name, imported from its module on first use (then kept here), or a submodule."""
    if name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = _EXPORTS.get(name)
    if module is not None:
        value = getattr(importlib.import_module(f".{module}", __name__), name)
        globals()[name] = value
        return value
    try:
        return importlib.import_module(f".{name}", __name__)
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # what the names are, for type checkers and editors
    from .alignment import align
    from .assets import DEFAULT_ASSETS, REGISTRY, Asset, get_asset
    from .calendars import DATE_ONLY_POLICIES, SessionTable, data_sessions, exchange_sessions
    from .claims import check_article, check_claims, draft_claims, load_claims
    from .errors import (
        AlignmentError,
        DataError,
        EstimationWindowError,
        EventCatalogError,
        EventStudyError,
        MissingDependencyError,
        PriceSourceError,
        SpecificationError,
        UnknownTickerError,
    )
    from .events import bundled_events_path, expand_assets, load_events
    from .groups import define_groups
    from .intraday import intraday_study
    from .models import MODELS, ConstantMean, FactorModel, MarketAdjusted, MarketModel, NormalReturnModel
    from .pipeline.executors import Execution
    from .placebo import placebo_test, pseudo_day0s, rolling_cars
    from .prices import PriceSource
    from .prices.bundled import BundledSource
    from .prices.csvsource import CSVSource
    from .prices.parquet import ParquetSource
    from .results import EventStudyResults
    from .returns import compute_returns, session_gaps
    from .study import EventStudy
    from .windows import Window
