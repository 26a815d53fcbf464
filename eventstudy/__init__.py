"""eventstudy: link diplomatic news to market moves.

Flat public API (re-exports only); see README.md for a tour and :mod:`eventstudy.pipeline` for
how a fit flows. The bundled US-China study is an example built on this API:
:mod:`eventstudy.examples.us_china`.
"""

__version__ = "0.2.0"  # the one version source (pyproject reads it); first, so submodules can import it

from .alignment import align
from .assets import DEFAULT_ASSETS, REGISTRY, Asset, get_asset
from .calendars import DATE_ONLY_POLICIES, SessionTable, data_sessions, exchange_sessions
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

__all__ = [
    "AlignmentError", "Asset", "BundledSource", "CSVSource", "ConstantMean", "DATE_ONLY_POLICIES", "DEFAULT_ASSETS",
    "DataError", "EstimationWindowError", "EventCatalogError", "EventStudy", "EventStudyError", "EventStudyResults",
    "Execution", "FactorModel", "MODELS", "MarketAdjusted", "MarketModel", "MissingDependencyError",
    "NormalReturnModel", "ParquetSource", "PriceSource", "PriceSourceError", "REGISTRY", "SessionTable",
    "SpecificationError", "UnknownTickerError", "Window", "__version__", "align", "bundled_events_path",
    "compute_returns", "data_sessions", "define_groups", "exchange_sessions", "expand_assets", "get_asset",
    "intraday_study", "load_events", "placebo_test", "pseudo_day0s", "rolling_cars", "session_gaps",
]
