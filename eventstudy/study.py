"""``EventStudy`` specification -> ``fit()`` -> immutable :class:`~eventstudy.results.EventStudyResults`.

The flow (GUIDE.md): events -> day 0 per (event, asset) on each market's sessions -> returns on
each instrument's own sessions -> event-time panel -> normal-return model fitted on the
estimation window (other events' windows excluded by default) -> AR, CAR, BHAR -> AAR/CAAR and
the test battery per group. The steps live in :mod:`eventstudy.pipeline` (prepare, estimate,
infer); the engines are executors over them. Every (event, asset) pair that cannot be estimated
is kept in ``exclusions`` with the reason; none disappears silently.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from numbers import Integral
from pathlib import Path

import pandas as pd

from .calendars import DateOnlyPolicy, check_policy
from .errors import EstimationWindowError, SpecificationError
from .inference.battery import ALL_TESTS
from .inference.panel import CONVENTIONS, Convention
from .models import ModelName, NormalReturnModel, get_model
from .overlaps import OVERLAP_POLICIES, OverlapPolicy
from .pipeline.executors import Backend, Execution, Partition
from .results import EventStudyResults
from .returns import RETURN_KINDS, ReturnKind
from .windows import Window, window_sets


@dataclass(frozen=True, eq=False)
class EventStudy:
    """What to estimate: data first, every option keyword-only; :meth:`fit` does the work.

    Parameters
    ----------
    events
        A validated catalog (:func:`load_events`) or a path to one.
    prices
        Daily price frame (``ticker, date, close, adj_close``) or any price source (``.daily()``).
    assets
        Tickers the events apply to (default: every ticker in ``prices`` except benchmarks and
        factors). Rows of an ``asset``/``assets`` column in the catalog take precedence.
    model
        ``"constant-mean"``, ``"market-adjusted"``, ``"market"`` or a model object
        (:class:`FactorModel`, or any :class:`~eventstudy.models.NormalReturnModel` subclass).
        Stored as the model object.
    market
        Benchmark ticker for the market-adjusted and market models, or a mapping asset ->
        benchmark (a benchmark per asset, e.g. ``{"^N225": "ACWI", "SPY": "VT"}``).
    returns
        ``"simple"`` or ``"log"``.
    estimation, windows
        Session offsets relative to day 0, inclusive at both ends (``(-250, -11)``, ``"-1:1"``);
        stored as :class:`~eventstudy.windows.Window`. The estimation window must end before
        the first event offset. ``windows`` may also be named sets, ``{"announcement": [(0, 0),
        (0, 1)], "drift": (2, 10)}``: the study runs each window once and its tables say which
        set(s) a window belongs to (:attr:`window_sets`).
    min_estimation
        Fewest usable estimation observations a member may have; fewer -> excluded, with the reason.
    clean_estimation
        Drop estimation days that lie inside another event's window on the same asset.
    date_only
        Day-0 policy for events without a time of day (:data:`~eventstudy.DATE_ONLY_POLICIES`).
    group
        Column of the catalog to pool by (besides ``all`` and each event), or several columns
        (``("group", "region")``: each column's values are groups named ``column=value``); see
        :mod:`eventstudy.groups`.
    by_event
        Also run the test battery for each event on its own (turn off for large universes).
    by_asset
        Also run the test battery for each asset pooled over its events (``asset:SPY``; turn off
        for large universes).
    sign
        A column of the catalog whose sign multiplies every abnormal return of the event's members
        (``"direction"``: +1 de-escalation, -1 escalation), so that a pooled CAAR adds opposite
        reactions instead of averaging them away. ``ar``, ``car`` and ``bhar`` of the results are
        then signed (``ret`` and ``normal`` are not); members whose value is missing or zero are
        excluded with the reason. The CLI's ``--signed COLUMN`` runs the pooled battery this way
        beside the study.
    calendars
        Exchange calendar per ticker the registry does not know (``{"AAPL": "XNYS"}``). Without
        one, such a ticker's sessions are the dates of its data, each assumed to close at 24:00 UTC.
    tests
        Test ids of the battery to run (default: all, :data:`~eventstudy.inference.ALL_TESTS`).
    convention
        ``"clm"`` (Campbell-Lo-MacKinlay variances, default) or ``"estudy2"`` (R estudy2 0.10.0).
    seed, n_boot
        Seed and draws of the estimation-window resampling test (``bootstrap``).
    overlap
        What to do with events that hit a market within each other's windows
        (:mod:`eventstudy.overlaps`): ``"merge"`` (default: the same day 0 counted once),
        ``"keep"``, ``"drop-later"`` or ``"drop"``. Every overlap is reported either way.
    """

    events: pd.DataFrame | str | Path
    prices: object
    _: KW_ONLY
    assets: Sequence[str] | None = None
    model: ModelName | NormalReturnModel = "market"
    market: str | Mapping[str, str] | None = None
    returns: ReturnKind = "simple"
    estimation: Window | tuple[int, int] | str = (-250, -11)
    windows: Sequence[Window | tuple[int, int] | str] | Mapping[str, object] = ((-1, 1), (0, 0))
    min_estimation: int = 60
    clean_estimation: bool = True
    date_only: DateOnlyPolicy = "session-date"
    group: str | Sequence[str] | None = "group"
    by_event: bool = True
    by_asset: bool = True
    sign: str | None = None
    calendars: Mapping[str, str] | None = None
    tests: Sequence[str] | None = None
    convention: Convention = "clm"
    seed: int = 0
    n_boot: int = 2000
    overlap: OverlapPolicy = "merge"
    window_sets: Mapping[str, tuple[str, ...]] | None = field(default=None, init=False)
    """The named window sets (``windows={"announcement": [...], ...}``): set name -> window labels."""

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "model", get_model(self.model))
        set_(self, "estimation", Window.parse(self.estimation, argument="estimation"))
        windows, sets = window_sets(dict(self.windows) if isinstance(self.windows, Mapping) else self.windows)
        set_(self, "windows", windows)
        set_(self, "window_sets", sets)
        if self.returns not in RETURN_KINDS:
            raise SpecificationError(f"returns={self.returns!r}: pass one of {list(RETURN_KINDS)}")
        check_policy(self.date_only)
        if self.overlap not in OVERLAP_POLICIES:
            raise SpecificationError(f"overlap={self.overlap!r}: use one of {', '.join(OVERLAP_POLICIES)} "
                                     "(eventstudy.overlaps says what each does)")
        if self.convention not in CONVENTIONS:
            raise SpecificationError(f"convention={self.convention!r}: use 'clm' (Campbell-Lo-MacKinlay, default) "
                                     "or 'estudy2'")
        if self.tests is not None:
            tests = (self.tests,) if isinstance(self.tests, str) else tuple(self.tests)
            unknown = [t for t in tests if t not in ALL_TESTS]
            if unknown or not tests:
                raise SpecificationError(f"tests={list(tests)}: unknown id(s) {unknown}; choose from "
                                         f"{', '.join(ALL_TESTS)}")
            set_(self, "tests", tests)
        if self.assets is not None:
            set_(self, "assets", (self.assets,) if isinstance(self.assets, str) else tuple(self.assets))
        for name in ("min_estimation", "seed", "n_boot"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, Integral) or v < (1 if name == "n_boot" else 0):
                raise SpecificationError(f"{name}={v!r}: pass a {'positive' if name == 'n_boot' else 'non-negative'} "
                                         "whole number")
        if self.estimation.end >= min(w.start for w in self.windows):
            raise EstimationWindowError(
                f"estimation window {self.estimation.label} overlaps event window(s) "
                f"{', '.join(w.label for w in self.windows)}; end the estimation before the first event day")
        if self.model.needs_market and not self.market:  # (a FactorModel names its own regressors)
            raise SpecificationError(f"model={self.model.name!r} needs a benchmark: pass market= "
                                     "(e.g. --market ACWI)")

    def fit(self, *, backend: Backend = "memory", memory: int | str | None = None, partition: Partition = "event",
            client: object = None, progress: bool | Callable[[int, int, str], None] = False,
            spill_dir: str | Path | None = None) -> EventStudyResults:
        """Estimate the study; the numbers do not depend on how (see :class:`Execution`).

        Parameters
        ----------
        backend
            ``"memory"`` (default), ``"chunked"`` (blocks within ``memory``) or ``"dask"``.
        memory
            Budget of the chunked engine (per task with Dask), bytes or ``"2GB"``.
        partition
            ``"event"`` or ``"asset"``: what the block engines keep together.
        client
            Dask: a ``distributed.Client`` or scheduler address (None: a ``LocalCluster``).
        progress
            One line per block on stderr (True) or a callback ``(done, total, message)``.
        spill_dir
            Where the chunked engine spills estimation rows between its passes.

        Returns
        -------
        EventStudyResults
        """
        return self.run(Execution(backend=backend, memory=memory, partition=partition, client=client,
                                  progress=progress, spill_dir=spill_dir))

    def run(self, execution: Execution) -> EventStudyResults:
        """:meth:`fit` with the execution options as one :class:`Execution` object."""
        from .allocator import retain_freed_memory, without_hugepage_hint
        from .pipeline.prepare import prepare

        with without_hugepage_hint():  # huge pages faulted into memory a VM gave back stall the kernel
            if execution.backend == "memory":
                from .pipeline.memory import fit_memory

                with retain_freed_memory():  # large temporaries reused, not refaulted from the system
                    return fit_memory(self, prepare(self), execution)
            # the block engines keep malloc's defaults: memory retained across blocks of other sizes
            # fragments and raised the chunked engine's peak above its budget (10^6: 3.4 GiB for 3 GB)
            from .pipeline.blocks import fit_blocks

            return fit_blocks(self, prepare(self), execution)
