"""Command line: ``eventstudy <command>`` (also ``python -m eventstudy``).

Thin by design: parse arguments, call the public API, print or write files. Errors from bad input
are printed as one clear message (exit status 2), never as a traceback.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from . import __version__
from .errors import EventStudyError, OutputError, require

# The other modules (and pandas) are imported where they are used: ``eventstudy run`` starts its
# figure worker (:mod:`eventstudy.report.background`) first, so that the worker loads pandas and
# matplotlib while this process loads the rest.


def _print_frame(df, fmt: str) -> None:
    import pandas as pd

    from .report.summary import markdown_table
    from .safetext import csv_safe

    if fmt == "csv":
        csv_safe(df).to_csv(sys.stdout, index=False, lineterminator="\n")
    elif fmt == "md":
        sys.stdout.write(markdown_table(df) + "\n")
    else:
        with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 200,
                               "display.max_colwidth", 60):
            sys.stdout.write(df.to_string(index=False) + "\n")


def _sessions_from_prices(prices_path: str | None, calendars: dict | None = None) -> dict:
    """Session tables for tickers the registry lacks: a named exchange calendar (--calendar), else
    the dates in a price CSV (each assumed to close at 24:00 UTC)."""
    import pandas as pd

    from .assets import data_calendars
    from .prices.csvsource import CSVSource

    prices = CSVSource(prices_path).daily() if prices_path else pd.DataFrame(columns=["ticker", "date"])
    return data_calendars(prices, calendars)


def cmd_events(args) -> int:
    """``eventstudy events``: load and validate an event catalog and print its events.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options: ``events`` (CSV path, or None for the bundled catalog) and ``format``
        (``"table"``, ``"csv"`` or ``"md"``).

    Returns
    -------
    int
        Exit status 0. Prints the columns ``event_id, timestamp, time_precision, category,
        direction, title`` that the catalog has; in ``table`` format also the number of valid events.

    Raises
    ------
    EventStudyError
        If the catalog cannot be loaded (:func:`main` prints it and exits with status 2).
    """
    from .events import load_events

    ev = load_events(args.events)
    cols = [c for c in ("event_id", "timestamp", "time_precision", "category", "direction", "title") if c in ev.columns]
    _print_frame(ev[cols], args.format)
    if args.format == "table":
        print(f"\n{len(ev)} events valid in {args.events or 'the bundled catalog'}")
    return 0


def cmd_align(args) -> int:
    """``eventstudy align``: day 0 of every (event, asset) pair on each market's sessions.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options: ``events`` (CSV path or None for the bundled catalog), ``assets``
        (comma-separated tickers or None for the registry's defaults), ``date_only`` (the
        date-only policy), ``calendar`` (``TICKER:XCAL,...`` or None), ``prices`` (a price CSV
        whose dates give sessions to tickers the registry lacks, or None) and ``format``.

    Returns
    -------
    int
        Exit status 0. Prints the alignment; in ``csv`` format every column of
        :func:`~eventstudy.alignment.to_csv_frame`, else ``event_id, asset, event_time_market,
        time_precision, day0, day0_price_utc`` (when day 0's daily price is fixed: the close, or a
        futures settlement).

    Raises
    ------
    EventStudyError
        For bad input (events, tickers, calendars, prices, an event outside a calendar); :func:`main`
        prints it and exits with status 2.
    """
    from .alignment import align, to_csv_frame
    from .assets import parse_tickers
    from .events import load_events

    ev = load_events(args.events)
    tickers = parse_tickers(args.assets)
    calendars = _pairs(args.calendar, "--calendar") if args.calendar else None
    aligned = align(ev, tickers, date_only=args.date_only, sessions=_sessions_from_prices(args.prices, calendars))
    out = to_csv_frame(aligned)
    if args.format != "csv":
        out = out[["event_id", "asset", "event_time_market", "time_precision", "day0", "day0_price_utc"]]
    _print_frame(out, args.format)
    return 0


def cmd_snapshot(args) -> int:
    """``eventstudy snapshot``: show what the bundled price snapshot holds.

    Prints one row per daily series (ticker, name, calendar, first and last date, sessions, whether
    raw closes are available, removed rows, gaps, upstream source), then the intraday sets.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options: ``format`` (``"table"``, ``"csv"`` or ``"md"``).

    Returns
    -------
    int
        Exit status 0.
    """
    import pandas as pd

    from .assets import REGISTRY
    from .prices.bundled import BundledSource

    src = BundledSource()
    rows = []
    for t, info in src.manifest["daily"].items():
        rows.append({"ticker": t, "name": REGISTRY[t].name if t in REGISTRY else "", "calendar": info["calendar"],
                     "first": info["first"], "last": info["last"], "sessions": info["rows"],
                     "raw_close": "yes" if info["raw_close"].startswith(("same", "rebuilt")) else "no",
                     "removed_rows": len(info["removed_rows"]), "gaps": len(info["sessions_without_price"]),
                     "source": info["upstream_repo"]})
    _print_frame(pd.DataFrame(rows), args.format)
    print()
    _print_frame(src.intraday_sets(), args.format)
    if args.format == "table":
        print("\nprovenance: eventstudy/data/PROVENANCE.md; removed rows and gaps per series: "
              "eventstudy/data/snapshot.json")
    return 0


def cmd_fetch(args) -> int:
    """``eventstudy fetch``: download prices with yfinance into the on-disk cache (needs internet).

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options: ``tickers`` (comma-separated Yahoo symbols), ``start`` and ``end`` (dates,
        inclusive, for ``1d``; tz-aware instants for an intraday interval), ``interval``,
        ``cache_dir`` (None for the default cache) and ``refresh`` (download again even if cached).

    Returns
    -------
    int
        Exit status 0. Prints ``TICKER<TAB>cache file path`` per ticker.

    Raises
    ------
    EventStudyError
        If a ticker list is bad, the download fails or yfinance is missing; :func:`main` prints it
        and exits with status 2.
    """
    from .assets import parse_tickers
    from .prices.yahoo import YFinanceSource

    src = YFinanceSource(args.cache_dir, refresh=args.refresh)
    paths = src.fetch(parse_tickers(args.tickers, argument="TICKERS"), args.start, args.end, interval=args.interval)
    for t, p in paths.items():
        print(f"{t}\t{p}")
    return 0


def cmd_run(args) -> int:
    """The event study: the bundled US-China example without --prices, else the user's files.

    Fits the study, writes its results, the claims check (when there is a claims file), the
    placebo test (unless ``--placebo 0``), the tables, the figures (unless ``--no-figures``) and
    ``report.html`` (all of it on one self-contained page) under ``--out``, and prints the
    headline.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options of the ``run`` sub-command (see :func:`build_parser`).

    Returns
    -------
    int
        Exit status 0.

    Raises
    ------
    EventStudyError
        For an invalid combination of options (``--model factor`` without ``--factors``,
        ``--scheduler`` without ``--backend dask``, ``--memory`` with ``--backend memory``) or bad
        input; :func:`main` prints it and exits with status 2.
    """
    from .assets import parse_tickers
    from .events import load_events
    from .examples import us_china
    from .models import FactorModel
    from .outdir import seal, staged
    from .prices.bundled import data_dir
    from .report import figures
    from .report.tables import headline_table
    from .study import EventStudy

    if not args.no_figures:
        figures.need_matplotlib()  # before the fit: say so now, not after minutes of work
    if args.xlsx:
        require("openpyxl", extra="excel", feature="--xlsx (results.xlsx)")
    if getattr(args, "volatility", None) == "garch":  # before the fit, not after minutes of work
        require("arch", extra="volatility", feature="--volatility garch")
    options = dict(returns=args.returns, date_only=args.date_only, seed=args.seed, n_boot=args.n_boot,
                   convention=args.convention, clean_estimation=not args.keep_event_days,
                   min_estimation=args.min_estimation, by_event=not args.no_by_event, by_asset=not args.no_by_asset)
    if args.estimation:
        options["estimation"] = args.estimation
    if args.window:
        named = [w for w in args.window if isinstance(w[0], str)]
        if named and len(named) != len(args.window):
            raise EventStudyError("--window: name every window set (NAME=START:END,...) or none of them")
        options["windows"] = {n: list(ws) for n, ws in named} if named else tuple(args.window)
    if args.model == "factor" or args.factors:
        if not args.factors:
            raise EventStudyError("--model factor needs --factors, e.g. --factors ACWI or --factors ACWI,CNY=X")
        options["model"] = FactorModel(tuple(parse_tickers(args.factors, argument="--factors")), lags=args.lags)
    elif args.model:
        options["model"] = args.model
    if args.market:
        options["market"] = _benchmarks(args.market)
    if args.calendar:
        options["calendars"] = _pairs(args.calendar, "--calendar")
    if args.assets:
        options["assets"] = tuple(parse_tickers(args.assets))
    if args.group:
        options["group"] = tuple(c.strip() for c in args.group.split(",") if c.strip())
    if args.overlap:
        options["overlap"] = args.overlap
    if args.scheduler and args.backend != "dask":
        raise EventStudyError("--scheduler goes with --backend dask")
    if args.backend == "memory" and args.memory:
        raise EventStudyError("--memory and --scheduler go with --backend chunked or --backend dask")
    inputs = {}
    bundled = not (args.prices or args.returns_file)
    for option, needs in (("returns_units", "returns_file"), ("returns_kind", "returns_file"),
                          ("factor_units", "factor_returns"), ("ticker", "prices")):
        if getattr(args, option) is not None and not getattr(args, needs):
            raise EventStudyError(f"--{option.replace('_', '-')} describes --{needs.replace('_', '-')}; "
                                  f"pass --{needs.replace('_', '-')} FILE too, or leave it out")
    if args.factor_returns and (bundled or not (args.factors or args.market)):
        raise EventStudyError("--factor-returns FILE gives the factors of --prices or --returns-file: pass one of "
                              "those and name the factors of the file, e.g. --factors Mkt-RF,SMB,HML (or the "
                              "benchmark of the market model, --market Mkt-RF)")
    if args.across_halts and not args.interval:
        raise EventStudyError("--across-halts chooses what an intraday study does with windows across market "
                              "closures; pass --interval too (e.g. --interval 1m)")
    if args.bars and not args.interval:
        raise EventStudyError("--bars FILE holds intraday bars; pass --interval too (e.g. --interval 1m)")
    if args.interval and (args.signed or args.volume or args.volatility):  # before the fit, not after it
        raise EventStudyError("--signed, --volume and --volatility run on daily studies; drop them or --interval")
    if args.interval:
        spec, title = _intraday_spec(args, options, inputs)
        bundled, claims_file, args.placebo = False, None, 0  # the placebo-date test is for daily studies
    elif bundled:
        inputs["snapshot"] = data_dir()  # the bundled prices, catalog and claims, as one fingerprint
        if args.events:
            options["events"] = load_events(args.events)
            inputs["events"] = Path(args.events)
        spec = us_china.study(**options)
        title = "US-China trade talks 2025-26 on the bundled real prices"
        claims_file = Path(args.claims) if args.claims else us_china.claims_path()
    else:
        prices = _price_inputs(args, options, inputs)
        if args.events:
            inputs["events"] = Path(args.events)
        options.setdefault("model", "market")
        spec = EventStudy(load_events(args.events), prices, **options)
        title = (f"event study of {args.events or 'the bundled events'} on "
                 + " and ".join(str(p) for p in (args.prices, args.returns_file, args.factor_returns) if p))
        claims_file = Path(args.claims) if args.claims else None

    if args.signed:  # a sign column the events lack: say so before the fit
        events = spec.events if hasattr(spec.events, "columns") else load_events(spec.events)
        if args.signed not in events.columns:
            raise EventStudyError(f"--signed {args.signed}: the events have no such column; they have "
                                  f"{', '.join(map(str, events.columns))}")

    if claims_file is not None and Path(claims_file).is_file():  # the claims checked are an input too
        inputs["claims"] = Path(claims_file)

    def step(text: str) -> None:
        print(f"[eventstudy] {text}", file=sys.stderr, flush=True)

    with staged(args.out) as stage:  # the folder is checked and locked before the fit
        res, files, placebo, signed = _run_into(stage, args, spec, title, claims_file, bundled, inputs, step)
        seal(stage, files, extra=run_record(getattr(args, "argv", None)))
    out = Path(args.out)
    print(headline_table(res, placebo, signed).as_text())  # the full battery is in the tables
    step(f"wrote {len(files)} files under {out}/ (tables/: Markdown, LaTeX, CSV, HTML"
         + ("" if args.no_pdf or not any(p.suffix == ".pdf" for p in files) else ", tables.pdf")
         + ("" if args.no_figures else "; figures/: PNG") + f"); open {out / 'report.html'} to read it all")
    return 0


def _intraday_spec(args, options: dict, inputs: dict):
    """The intraday study of ``eventstudy run --interval``: bars of ``--bars FILE`` (CSV ``ticker,
    time,close``, ``time`` the bar start with its UTC offset) or of the bundled snapshot (every
    instrument it holds at that interval), the events of ``--events`` (default: the bundled
    catalog), ``--across-halts`` for windows across market closures. Returns (study, title)."""
    import pandas as pd

    from .events import load_events
    from .intraday import IntradayStudy
    from .prices.bundled import BundledSource, data_dir

    for option in ("prices", "returns_file", "factor_returns", "calendar", "claims"):
        if getattr(args, option):
            raise EventStudyError(f"--{option.replace('_', '-')} gives daily data; an intraday study (--interval) "
                                  "reads its bars from --bars FILE or the bundled snapshot")
    if args.date_only != "session-date":
        raise EventStudyError("--date-only does not apply with --interval: bar 0 is the first bar ending after "
                              "the event instant, and date-only events are excluded with the reason")
    if args.backend == "dask":
        raise EventStudyError("--backend dask reads daily Parquet prices; use --backend memory or chunked "
                              "with --interval")
    if args.bars:
        try:
            bars = pd.read_csv(args.bars)
            bars["time"] = pd.to_datetime(bars["time"], utc=True, format="ISO8601")
        except (OSError, ValueError, KeyError) as exc:
            raise EventStudyError(f"--bars {args.bars}: {exc}; write a CSV ticker,time,close with bar starts in "
                                  "ISO 8601 and their UTC offset, e.g. 2025-10-10T20:50:00Z") from exc
        inputs["bars"] = Path(args.bars)
    else:
        src = BundledSource()
        sets = src.intraday_sets()
        sets = sets[sets["interval"] == _bundled_interval(args.interval, sets)]
        bars = pd.concat([src.intraday(r.ticker, r.first, r.last, args.interval) for r in sets.itertuples()],
                         ignore_index=True)
        inputs["snapshot"] = data_dir()
    if args.events:
        inputs["events"] = Path(args.events)
    opts = {k: v for k, v in options.items() if k != "date_only"}
    opts["across_halts"] = args.across_halts or "flag"
    where = args.bars or "the bundled snapshot"
    return (IntradayStudy(load_events(args.events), bars, args.interval, opts),
            f"intraday study ({args.interval} bars of {where}) of {args.events or 'the bundled events'}")


def _bundled_interval(interval: str, sets) -> str:
    """The snapshot's name of a bar interval (``15min`` -> ``15m``), or an error naming those it has."""
    from .bars import bar_length

    try:
        want = bar_length(interval)
    except EventStudyError:
        want = None
    for iv in sets["interval"].unique():
        if want is not None and bar_length(iv) == want:
            return iv
    raise EventStudyError(f"--interval {interval}: the bundled snapshot has bars of "
                          f"{', '.join(sorted(sets['interval'].unique()))} only; pass --bars FILE for others")


def _price_inputs(args, options: dict, inputs: dict):
    """The price source of ``eventstudy run``'s files: ``--prices`` (Parquet, or CSV/.xlsx in any
    layout, ``--ticker`` naming a single-ticker download), ``--returns-file`` and
    ``--factor-returns``, combined when there are several; each file's path goes into ``inputs``
    (hashed into the manifest) under ``prices``, ``returns`` or ``factor_returns``. Without
    ``--assets``, the factor file's columns are not studied (its ``RF`` is no asset)."""
    from .prices.combined import CombinedSource
    from .prices.csvsource import CSVSource
    from .prices.parquet import ParquetSource

    calendars = options.get("calendars")
    sources = []
    if args.prices:
        parquet = str(args.prices).endswith((".parquet", ".pq")) or Path(args.prices).is_dir()
        if parquet and args.ticker:
            raise EventStudyError("--ticker names the instrument of a single-ticker download CSV; a Parquet file "
                                  "names its tickers itself")
        sources.append(ParquetSource(args.prices) if parquet else CSVSource(args.prices, ticker=args.ticker))
        inputs["prices"] = Path(args.prices)
    if args.returns_file:
        sources.append(CSVSource(args.returns_file, kind="returns", units=args.returns_units or "decimal",
                                 return_kind=args.returns_kind or "simple", calendars=calendars))
        inputs["returns"] = Path(args.returns_file)
    if args.factor_returns:
        factor_file = CSVSource(args.factor_returns, kind="returns", units=args.factor_units or "decimal",
                                calendars=calendars)
        if "assets" not in options:
            market = options.get("market")
            benchmarks = set(market.values()) - set(market) if isinstance(market, dict) else {market}
            options["assets"] = tuple(t for s in sources for t in s.tickers if t not in benchmarks)
        sources.append(factor_file)
        inputs["factor_returns"] = Path(args.factor_returns)
    return sources[0] if len(sources) == 1 else CombinedSource(sources)


def run_record(argv: list[str] | None) -> dict:
    """What the manifest records of how a run was made: the command line (quoted for a POSIX
    shell) and the versions of Python, the platform and the libraries the numbers depend on.

    Parameters
    ----------
    argv : list of str or None
        The arguments after the program name; None when the run did not come from :func:`main`.

    Returns
    -------
    dict
        ``{"command": str | None, "environment": {name: version}}``.
    """
    import platform
    import shlex
    from importlib import metadata

    env = {"python": platform.python_version(), "platform": platform.platform()}
    for lib in ("numpy", "pandas", "scipy", "statsmodels", "exchange_calendars", "matplotlib", "arch", "openpyxl"):
        try:
            env[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            env[lib] = None
    return {"command": None if argv is None else shlex.join(["eventstudy", *argv]), "environment": env}


SCHEDULER_TIMEOUT_S = 10
"""Seconds to wait for a Dask scheduler named by --scheduler before giving up with an error."""


def _run_into(out: Path, args, spec, title: str, claims_file, bundled: bool, inputs: dict, step):
    """Fit ``spec`` and write every file of the run under ``out`` (a staging folder).

    When a core is idle, the figures are drawn by a second process
    (:class:`~eventstudy.report.background.FigureJobs`) while this one writes the CSV files and
    tables; each is queued as soon as what it shows is known (the bundled study's intraday figure
    before the fit). Every job is over, and its error raised, before this returns: the staging
    folder is sealed complete or not at all."""
    import dataclasses

    import pandas as pd

    from .examples import us_china
    from .groups import groups_by_column
    from .prices.bundled import BundledSource
    from .report import figures
    from .report.background import FigureJobs, core_is_free
    from .report.html import write_report
    from .report.tables import conventions, file_tag, model_text, study_tables, write_tables
    from .safetext import write_csv

    client = None
    if args.backend == "dask" and args.scheduler:  # one connection for the fit and the placebo test
        distributed = require("distributed", extra="dask", feature="--backend dask")
        try:
            client = distributed.Client(args.scheduler, timeout=SCHEDULER_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as exc:
            raise EventStudyError(f"--scheduler {args.scheduler}: no Dask scheduler answered within "
                                  f"{SCHEDULER_TIMEOUT_S} s ({type(exc).__name__}: {exc}); start one "
                                  "(dask scheduler) or check the address, e.g. tcp://host:8786") from exc
    jobs = getattr(args, "figure_jobs", None)  # started by main() before the imports
    if jobs is None or args.no_figures:
        jobs = FigureJobs(worker=not args.no_figures and core_is_free())
    try:
        figure_dir = out / "figures"
        figure_files = []
        if not args.no_figures:
            figure_dir.mkdir()
            if bundled:  # needs nothing from the fit
                jobs.add(us_china.extra_figures, figure_dir)
            figure_files += _intraday_figures(args, spec, figure_dir, jobs)
        step(f"{__version__}: {title}")
        step("aligning events, estimating models and running the test battery ...")
        kw = dict(progress=True) if args.backend == "memory" else dict(memory=args.memory, partition=args.partition,
                                                                       progress=True, client=client)
        res = spec.fit(backend=args.backend, **kw)
        if not args.no_figures:
            shown = res.detached() if jobs.parallel else res
            figure_files.append(figure_dir / "car_paths.png")
            jobs.add(figures.car_paths, shown, path=figure_dir / "car_paths.png")  # by group, any study
            by_column = groups_by_column(res.members, res.plan.group)
            if len(by_column) > 1:  # a CAAR figure per group column
                for col, names in by_column.items():
                    figure_files.append(figure_dir / f"caar_by_{file_tag(col)}.png")
                    jobs.add(figures.caar_by_group, shown, groups=names[:figures.MAX_GROUPS], path=figure_files[-1])
            else:
                figure_files.append(figure_dir / "caar_by_group.png")
                jobs.add(figures.caar_by_group, shown, path=figure_files[-1])
            selection = us_china.figure_selection(res) if bundled else {}
            if selection.get("events"):  # the example's chosen events, the caption says why
                figure_files.append(figure_dir / "car_paths_events.png")
                jobs.add(figures.car_paths, shown, **selection, path=figure_files[-1])
        step(f"{len(res.members)} (event, asset) pairs estimated, {len(res.exclusions)} excluded; writing files ...")
        files = res.write(out, inputs=inputs)
        signed = None
        if args.signed:  # the pooled battery once more, each member's ARs times the sign of its event's column
            step(f"the pooled battery with abnormal returns signed by {args.signed} ...")
            signed = dataclasses.replace(spec, sign=args.signed, group=None, by_event=False,
                                         by_asset=False).fit(backend=args.backend, **kw)
            label = f"all x {args.signed}"
            write_csv(signed.tests.assign(group=label), out / "signed_tests.csv", float_format="%.15g")
            write_csv(signed.exclusions, out / "signed_exclusions.csv")
            files += [out / "signed_tests.csv", out / "signed_exclusions.csv"]
        jobs.poll()
        checked = None
        if claims_file is not None:
            from .claims import check_claims

            step(f"checking the reported market moves ({claims_file.name}) ...")
            checked = check_claims(claims_file, BundledSource() if bundled else spec.prices)
            write_csv(checked, out / "claims_check.csv")
            files.append(out / "claims_check.csv")
        placebo = None
        if args.placebo:
            from .placebo import placebo_test

            step(f"placebo-date permutation test ({args.placebo:,} draws) ...")
            try:
                placebo = placebo_test(res, n_draws=args.placebo, seed=args.seed, client=client)
                if signed is not None:  # the signed pooled CAAR against its own placebo dates
                    more = placebo_test(signed, n_draws=args.placebo, seed=args.seed, client=client, groups=["all"])
                    label = f"all x {args.signed}"
                    draws = {**placebo.attrs["draws"], **{(label, w): d for (_, w), d in more.attrs["draws"].items()}}
                    placebo, more = placebo.copy(), more.assign(group=label)
                    placebo.attrs, more.attrs = {}, {}  # the draws are merged by hand: concat compares attrs
                    placebo = pd.concat([placebo, more], ignore_index=True)
                    placebo.attrs["draws"] = draws
            except EventStudyError as exc:  # the study's results stand; say why there is no placebo table
                step(f"placebo test skipped: {exc}")
            else:
                write_csv(placebo, out / "placebo.csv", float_format="%.15g")
                files.append(out / "placebo.csv")
                if not args.no_figures:
                    figure_files.append(figure_dir / "placebo.png")
                    jobs.add(figures.placebo_null, placebo, path=figure_files[-1])
        regressions = []
        for k, formula in enumerate(args.regress or (), start=1):
            step(f"regressing the CARs: {formula} ...")
            for w in res.plan.windows:
                regressions.append((k, res.regress(formula, window=w.label, cov=args.regress_cov,
                                                   weights=None if args.regress_weights == "none" else
                                                   args.regress_weights)))
        if regressions:
            tidy = pd.concat([r.table.assign(formula_id=k) for k, r in regressions], ignore_index=True)
            write_csv(tidy, out / "regression.csv", float_format="%.15g")
            files.append(out / "regression.csv")
        volume = volatility = None
        if getattr(args, "volume", False) or getattr(args, "volatility", None):
            volume, volatility, written = _volume_volatility(res, out, args, step)
            files += written
        if args.xlsx:
            from .report.workbook import write_workbook
            from .results import CAR_COLUMNS

            car = res.car[CAR_COLUMNS + [c for c in ("halts",) if c in res.car]]  # as car.csv
            sheets = {"caar": res.caar, "car": car, "tests": res.tests, "params": res.params,
                      "bhar_tests": res.bhar_tests, "exclusions": res.exclusions, "overlaps": res.overlaps,
                      "alignment": res.alignment}
            for name, frame in (("claims_check", checked), ("placebo", placebo),
                                ("regression", tidy if regressions else None),
                                ("signed_tests", signed.tests.assign(group=f"all x {args.signed}")
                                 if signed is not None else None),
                                ("signed_exclusions", signed.exclusions if signed is not None else None),
                                ("volume_exclusions", volume.exclusions if volume is not None else None),
                                ("volume_car", volume.car if volume is not None else None),
                                ("volume_tests", volume.tests if volume is not None else None),
                                ("volatility", volatility.members if volatility is not None else None),
                                ("volatility_tests", volatility.tests if volatility is not None else None)):
                if frame is not None:
                    sheets[name] = frame
            files.append(write_workbook(sheets, out / "results.xlsx"))
        jobs.poll()
        tables = study_tables(res, claims=checked, placebo=placebo, regressions=regressions, signed=signed,
                              volume=volume, volatility=volatility)
        files += write_tables(res, out / "tables", tables=tables, pdf=not args.no_pdf)
        if not args.no_figures:
            step("drawing figures ...")
            if bundled:
                figure_files += us_china.extra_figure_paths(figure_dir)
            jobs.finish()
            files += figure_files
        files.append(write_report(res, out / "report.html", tables=tables, title=title, conventions=conventions(res),
                                  model_text=model_text(res.options),
                                  figures=figure_files, files=[*files, out / "manifest.json"],
                                  command=run_record(getattr(args, "argv", None))["command"]))
    finally:
        jobs.close()
        if client is not None:
            client.close()
    return res, files, placebo, signed


def _volume_volatility(res, out: Path, args, step):
    """``--volume`` / ``--volatility``: the studies (:mod:`eventstudy.volume`,
    :mod:`eventstudy.volatility`) and their CSV files under ``out``; returns (volume study or None,
    volatility study or None, files written)."""
    from .safetext import write_csv

    volume = volatility = None
    files = []
    if args.volume:
        step("abnormal trading volume ...")
        volume = res.volume_study()
        for name, frame in (("volume_car.csv", volume.car), ("volume_tests.csv", volume.tests),
                            ("volume_exclusions.csv", volume.exclusions)):
            write_csv(frame, out / name, float_format="%.15g")
            files.append(out / name)
    if args.volatility:
        step("abnormal volatility" + (" (GARCH(1,1) benchmark)" if args.volatility == "garch" else "") + " ...")
        volatility = res.volatility_study(garch=args.volatility == "garch")
        for name, frame in (("volatility.csv", volatility.members), ("volatility_tests.csv", volatility.tests)):
            write_csv(frame, out / name, float_format="%.15g")
            files.append(out / name)
    return volume, volatility, files


def _intraday_figures(args, spec, figure_dir: Path, jobs) -> list[Path]:
    """Queue the ``--intraday-figure EVENT_ID:TICKER[@INTERVAL]`` figures (before the fit: they need
    only the catalog and the bars) and return their paths, ``intraday_<event>_<ticker>[_<interval>].png``.

    Bars come from the bundled snapshot: the CSV and Parquet sources of ``--prices`` hold daily
    prices only."""
    import re

    from .prices.bundled import BundledSource
    from .report import figures

    wanted = getattr(args, "intraday_figure", None) or []
    if not wanted:
        return []
    events = spec.events
    source = BundledSource()
    paths = []
    for text in wanted:
        head, _, interval = text.partition("@")
        event_id, sep, ticker = head.rpartition(":")
        if not sep or not event_id or not ticker:
            raise EventStudyError(f"--intraday-figure {text!r}: write EVENT_ID:TICKER or EVENT_ID:TICKER@INTERVAL, "
                                  "e.g. 2025-10-26-kuala-lumpur-framework:ES=F@15m")
        if not (events["event_id"] == event_id).any():
            raise EventStudyError(f"--intraday-figure {text!r}: no event {event_id!r} in the catalog")
        row = events[events["event_id"] == event_id].iloc[0]
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", f"intraday_{event_id}_{ticker}"
                      + (f"_{interval}" if interval else ""))[:120] + ".png"  # two intervals: two files
        paths.append(figure_dir / name)
        jobs.add(figures.intraday_event, source, row, ticker, interval=interval or "1m", path=paths[-1])
    return paths


def cmd_claims(args) -> int:
    """Did the market move as reported? Check every claim of a claims file, or of an article, against prices.

    Invalid rows are reported on stderr as warnings and get the verdict ``needs-data``. Writes
    ``claims_check.csv`` under ``--out`` and prints the verdicts.

    With ``--article FILE`` (``-`` for standard input) the claims are first drafted from the article
    (:func:`eventstudy.claims.check_article`): ``claims_draft.csv`` holds every claim found, placed
    or not, with the sentence, the instrument and time chosen and why, and a confidence; the placed
    ones are checked. ``--published`` gives the publication instant the article's weekdays are
    resolved against (default: the one an HTML page or Markdown front matter declares).
    ``--draft-only`` writes only ``claims_draft.csv``, for review; its placed rows are claims-file
    rows.

    With ``--source yahoo``, a ticker that Yahoo Finance could not be reached for (offline, DNS,
    timeout, rate limit) is not a ``needs-data`` verdict: every claim is tried (tickers already in
    the cache are read from it), then, if any ticker could not be fetched, one line per such ticker
    goes to stderr naming it, the cause and the fix (check the network, or ``--source bundled``),
    nothing is printed on stdout, nothing is written (an existing ``claims_check.csv`` is left as it
    was) and the exit status is 2. This holds when only some tickers failed too: a table in which
    part of the claims are ``needs-data`` only because the network dropped would read as an answer.
    yfinance's own log lines and warnings are kept off stderr (see :mod:`eventstudy.prices.yahoo`).

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options: ``claims`` (CSV path or None for the bundled study's file), ``article``,
        ``published``, ``draft_only``, ``aliases``, ``out``, ``source`` (``"bundled"`` or
        ``"yahoo"``), ``prices`` (your own price file instead), ``cache_dir`` and ``format``.

    Returns
    -------
    int
        Exit status 0, or 2 when the price source could not be reached for some ticker.

    Raises
    ------
    EventStudyError
        If the claims file or the article cannot be read, or both are given; :func:`main` prints
        it and exits with status 2.
    """
    from .claims import VERDICTS, check_article, check_claims, load_claims
    from .errors import PriceFetchError
    from .examples import us_china
    from .outdir import check_target
    from .prices.bundled import BundledSource

    if args.article and args.claims:
        raise EventStudyError("--article and --claims both given: check either an article or a claims file")
    if (args.published or args.draft_only or args.aliases) and not args.article:
        raise EventStudyError("--published, --draft-only and --aliases go with --article FILE")
    known = None  # the instruments a claims file may name: the registry, and those of --prices
    if args.prices:
        from .assets import REGISTRY
        from .prices.csvsource import CSVSource
        from .prices.parquet import ParquetSource

        if args.source == "yahoo":
            raise EventStudyError("--prices and --source yahoo both given: check against your prices or Yahoo's")
        parquet = str(args.prices).endswith((".parquet", ".pq")) or Path(args.prices).is_dir()
        source = ParquetSource(args.prices) if parquet else CSVSource(args.prices)
        known = set(REGISTRY) | set(source.tickers)  # a property of every price source
    elif args.source == "yahoo":
        from .prices.yahoo import YFinanceSource

        source = YFinanceSource(args.cache_dir)
    else:
        source = BundledSource()
    if args.out is None:
        stem = "stdin" if args.article == "-" else re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(args.article).stem) \
            if args.article else ""
        args.out = f"article_checks/{stem}" if args.article else "results"
    out = check_target(Path(args.out), replace=False)  # files added to the folder
    target = out / "claims_check.csv"
    drafts, asked_for = None, []
    try:
        if args.article:
            if args.article == "-":  # bytes, decoded as a file is: not UTF-8 is an error, not a traceback
                try:
                    buf = getattr(sys.stdin, "buffer", None)
                    article = buf.read().decode("utf-8-sig") if buf is not None else sys.stdin.read()
                except UnicodeDecodeError as exc:
                    raise EventStudyError(f"standard input: not UTF-8 ({exc}); save the article as UTF-8 "
                                          "text") from exc
            else:
                article = Path(args.article)
            label = "stdin" if args.article == "-" else Path(args.article).name
            found = check_article(article, published=args.published, source=source, aliases=args.aliases,
                                  name=label, draft_only=True)
            asked_for = list(found.drafts.loc[found.drafts["status"] == "placed", "instrument"])
            if not args.draft_only:
                found.check(source, on_fetch_error="raise")
            drafts, res, what = found.drafts, found.checked, f"the article {label}"
            if found.published is None:
                print("eventstudy claims: warning: no publication date (--published, or one declared by the page): "
                      "claims placed by a weekday or 'last week' are unplaced", file=sys.stderr)
            n_unplaced = int((drafts["status"] == "unplaced").sum()) if len(drafts) else 0
            if n_unplaced:
                print(f"eventstudy claims: {n_unplaced} of {len(drafts)} claims found could not be placed (see "
                      "reason in claims_draft.csv)", file=sys.stderr)
        else:
            path = Path(args.claims) if args.claims else us_china.claims_path()
            claims = load_claims(path, instruments=known)
            for err in claims.loc[claims["error"] != "", "error"]:
                print(f"eventstudy claims: warning: {err} (row reported as needs-data)", file=sys.stderr)
            asked_for = list(claims["instrument"])
            res, what = check_claims(claims, source, on_fetch_error="raise"), str(path)
    except PriceFetchError as exc:
        for ticker, why in exc.failures.items():
            print(f"eventstudy claims: error: could not fetch {ticker} from Yahoo Finance ({why}); check the "
                  "network connection and run again, or use the bundled prices: --source bundled",
                  file=sys.stderr)
        kept = f"{target} left as it was" if target.exists() else f"{target} not written"
        asked = set(exc.failures) | set(asked_for)
        print(f"eventstudy claims: {len(exc.failures)} of {len(asked)} instruments could not be fetched; no claims "
              f"checked, {kept}", file=sys.stderr)
        return 2
    written = []
    if drafts is not None:
        written.append(_write_whole(drafts, out / "claims_draft.csv"))
        if res is None:
            _print_frame(drafts[["claim_id", "instrument", "basis", "start", "end", "reported_pct", "reported_level",
                                 "reported_points", "status", "confidence"]], args.format)
            if args.format == "table":
                print()
                for r in drafts.itertuples():
                    print(f"{r.claim_id} [{r.status}, {r.confidence or '-'}]: {r.sentence}\n    instrument: "
                          f"{r.why_instrument}\n    time: {r.why_time or r.reason}")
            print(f"wrote {written[0]}", file=sys.stderr)
            return 0
    written.append(_write_whole(res, target))
    _print_checked(res, args.format)
    if args.format == "table":
        counts = res["verdict"].value_counts()
        print("\n" + ", ".join(f"{counts.get(v, 0)} {v}" for v in VERDICTS if counts.get(v, 0) or v in
                                ("reproduced", "differs", "needs-data"))
              + f" of {len(res)} claims in {what}")
    for w in written:
        print(f"wrote {w}", file=sys.stderr)
    return 0


def _write_whole(frame, target: Path) -> Path:
    """Write ``frame`` to ``target`` as CSV, whole or not at all (a temporary file, then renamed)."""
    from .safetext import csv_safe

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        csv_safe(frame).to_csv(tmp, index=False, lineterminator="\n")
        os.replace(tmp, target)
    except OSError as exc:
        raise OutputError(f"cannot write {target} ({exc.strerror or exc}); choose another --out") from exc
    return target


def _print_checked(res, fmt: str) -> None:
    import pandas as pd

    table = res[["claim_id", "instrument", "basis", "reported_pct", "measured_pct", "diff_pct", "reported_level",
                 "measured_level", "verdict"]].copy()
    for col in ("reported_pct", "measured_pct", "diff_pct"):
        table[col] = table[col].map(lambda v: "" if pd.isna(v) else f"{v:+.3f}")
    for col in ("reported_level", "measured_level"):
        table[col] = table[col].map(lambda v: "" if pd.isna(v) else f"{v:,.2f}")
    _print_frame(table, fmt)
    if fmt == "table":
        print()
        for r in res.itertuples():
            print(f"{r.claim_id} [{r.verdict}]: {r.detail}")


def _pairs(text: str, option: str) -> dict:
    out = {}
    for part in text.split(","):
        key, sep, value = part.strip().partition(":")
        if not sep or not key or not value:
            raise EventStudyError(f"{option} {text!r}: write TICKER:VALUE pairs separated by commas, e.g. AAPL:XNYS")
        out[key] = value
    return out


def _benchmarks(text: str):
    """``MKT`` (one benchmark) or ``^N225:ACWI,SPY:VT`` (a benchmark per asset; ':' because Yahoo
    symbols such as ES=F contain '=')."""
    return _pairs(text, "--market") if ":" in text else text


def _window_option(option: str):
    """An argparse type that parses a window and names ``option`` in its error."""
    from .windows import Window

    def parse(text: str):
        try:
            name, sep, rest = text.partition("=")
            if sep and name.strip() and not name.strip().lstrip("-").isdigit():  # a named set: NAME=W1,W2
                parts = [p for p in rest.split(",") if p.strip()]
                if not parts or any(":" not in p for p in parts):
                    raise argparse.ArgumentTypeError(
                        f"{option} {text!r}: a named set is NAME=START:END[,START:END...], e.g. announcement=0:0,0:1")
                return name.strip(), tuple(Window.parse(p, argument=option) for p in parts)
            return Window.parse(text, argument=option)
        except EventStudyError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return parse


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``eventstudy`` with its sub-commands.

    Sub-commands ``events``, ``align``, ``snapshot``, ``fetch``, ``run`` and ``claims``; each sets
    ``func`` to its ``cmd_*`` function. Options must be written in full (no abbreviations).

    Returns
    -------
    argparse.ArgumentParser
    """
    from .calendars import DATE_ONLY_POLICIES
    from .halts import ACROSS_HALTS
    from .overlaps import OVERLAP_POLICIES

    p = argparse.ArgumentParser(prog="eventstudy", description="Event studies of diplomatic news on market prices.",
                                allow_abbrev=False)
    p.add_argument("--version", action="version", version=f"eventstudy {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    _add_parser = sub.add_parser
    sub.add_parser = lambda *a, **k: _add_parser(*a, allow_abbrev=False, **k)  # whole option names only

    def common(sp, *, assets=True):
        sp.add_argument("--events", help="events CSV (default: the bundled US-China catalog)")
        if assets:
            sp.add_argument("--assets", help="comma-separated tickers (default: all registered assets)")
            sp.add_argument("--date-only", choices=DATE_ONLY_POLICIES, default="session-date",
                            help="day-0 policy for events without a time of day (default: session-date)")
            sp.add_argument("--calendar", help="exchange calendar of tickers the registry lacks, TICKER:XCAL,... "
                                               "(e.g. AAPL:XNYS); else their data dates, closing at 24:00 UTC")

    sp = sub.add_parser("events", help="list and validate an event catalog")
    common(sp, assets=False)
    sp.add_argument("--format", choices=["table", "csv", "md"], default="table")
    sp.set_defaults(func=cmd_events)

    sp = sub.add_parser("align", help="day 0 of every (event, asset) on each market's sessions")
    common(sp)
    sp.add_argument("--prices", help="price CSV whose dates give sessions to tickers the registry lacks")
    sp.add_argument("--format", choices=["csv", "table", "md"], default="table")
    sp.set_defaults(func=cmd_align)

    sp = sub.add_parser("snapshot", help="show what the bundled price snapshot holds")
    sp.add_argument("--format", choices=["table", "csv", "md"], default="table")
    sp.set_defaults(func=cmd_snapshot)

    sp = sub.add_parser("fetch", help="download prices with yfinance into the on-disk cache (needs internet)")
    sp.add_argument("tickers", help="comma-separated Yahoo symbols, e.g. ES=F,^N225")
    sp.add_argument("--start", required=True, help="first date (YYYY-MM-DD) or instant with offset for intraday")
    sp.add_argument("--end", required=True, help="last date (inclusive) or instant")
    sp.add_argument("--interval", default="1d", help="1d (default), 1h, 15m, 1m ...")
    sp.add_argument("--cache-dir", help="cache folder (default $EVENTSTUDY_CACHE or ~/.cache/eventstudy/yfinance)")
    sp.add_argument("--refresh", action="store_true", help="download again even if cached")
    sp.set_defaults(func=cmd_fetch)

    sp = sub.add_parser("run", help="run an event study (default: the bundled US-China study)")
    common(sp)
    sp.add_argument("--prices", help="daily prices: Parquet (long ticker,date,close[,adj_close]; what Dask workers "
                    "read) or CSV/.xlsx, wide date,TICKER,..., long date,ticker,close or a single-ticker download "
                    "with --ticker (default: the bundled snapshot)")
    sp.add_argument("--ticker", help="the instrument of a single-ticker download file given to --prices "
                                     "(Date,Open,High,Low,Close,Adj Close,Volume as Yahoo Finance writes it)")
    sp.add_argument("--returns-file", metavar="FILE",
                    help="daily returns instead of prices (CSV or .xlsx, wide date,TICKER,... or long "
                         "date,ticker,return); also beside --prices (each ticker in one file)")
    sp.add_argument("--returns-units", choices=["decimal", "percent"],
                    help="units of --returns-file: decimal (0.012 = 1.2%%, the default) or percent (1.2)")
    sp.add_argument("--returns-kind", choices=["simple", "log"],
                    help="whether --returns-file holds simple (default) or log returns (the study's own kind "
                         "is --returns)")
    sp.add_argument("--factor-returns", metavar="FILE",
                    help="factor returns for --model factor, e.g. a Fama-French file date,Mkt-RF,SMB,HML,RF "
                         "(name the factors with --factors; its other columns are not studied)")
    sp.add_argument("--factor-units", choices=["decimal", "percent"],
                    help="units of --factor-returns: decimal (default) or percent (Fama-French files)")
    sp.add_argument("--market", help="benchmark ticker for the market and market-adjusted models, or a "
                                     "benchmark per asset: ASSET:BENCHMARK,... (e.g. ^N225:ACWI,NQ=F:ES=F)")
    sp.add_argument("--model", choices=["constant-mean", "market-adjusted", "market", "factor"],
                    help="normal-return model (default: market with --prices, constant-mean for the bundled study)")
    sp.add_argument("--factors", help="factor tickers for --model factor, comma-separated (e.g. ACWI,CNY=X)")
    sp.add_argument("--lags", type=int, default=0,
                    help="Dimson leads and lags of each factor for --model factor (default 0)")
    sp.add_argument("--returns", choices=["simple", "log"], default="simple")
    sp.add_argument("--estimation", type=_window_option("--estimation"),
                    help="estimation window START:END in sessions (default -250:-11)")
    sp.add_argument("--window", type=_window_option("--window"), action="append",
                    help="event window START:END, inclusive; repeat for several (default: -1:1 and 0:0 with "
                         "--prices; 0:0, 0:1 and -1:1 for the bundled study); or named sets, "
                         "NAME=START:END[,START:END...], e.g. --window announcement=0:0,0:1 --window drift=2:10")
    sp.add_argument("--min-estimation", type=int, default=60, help="fewest estimation observations (default 60)")
    sp.add_argument("--keep-event-days", action="store_true",
                    help="keep days inside other events' windows in the estimation window (default: excluded)")
    sp.add_argument("--convention", choices=["clm", "estudy2"], default="clm",
                    help="variance conventions of the tests (default clm; estudy2 reproduces R estudy2)")
    sp.add_argument("--seed", type=int, default=0, help="seed of the bootstrap test")
    sp.add_argument("--n-boot", type=int, default=2000, help="bootstrap draws")
    sp.add_argument("--out", default="results", help="output folder (default: results)")
    sp.add_argument("--interval", help="run an intraday study on bars of this length (1m, 15m, 1h): bar 0 is the "
                    "first bar ending after the event instant, windows count bars; bars from --bars or the bundled "
                    "snapshot")
    sp.add_argument("--bars", metavar="FILE", help="intraday bars for --interval: CSV ticker,time,close with "
                    "time the bar start in ISO 8601 with its offset (default: the bundled snapshot's bars)")
    sp.add_argument("--across-halts", choices=ACROSS_HALTS,
                    help="with --interval, windows whose returns span a market closure (weekend, overnight, CME "
                         "daily break, lunch): flag (default: keep, status says bar0-across-halt or crosses-halt), "
                         "allow (keep, status ok), exclude-bar0 (leave out members whose bar 0 opens across one) "
                         "or exclude (leave out members whose windows cross one); all name it in car.csv's halts")
    sp.add_argument("--no-figures", action="store_true", help="skip the PNG figures (matplotlib not needed)")
    sp.add_argument("--intraday-figure", action="append", metavar="EVENT_ID:TICKER[@INTERVAL]",
                    help="also draw the intraday move of TICKER around the event (bars of INTERVAL, default 1m, "
                         "a day either side) into figures/; repeat for several; bars from the bundled snapshot "
                         "(eventstudy snapshot lists them)")
    sp.add_argument("--no-pdf", action="store_true",
                    help="do not compile tables/tables.pdf (compiled when pdflatex is installed; tables.tex is "
                         "written either way)")
    sp.add_argument("--backend", choices=["memory", "chunked", "dask"], default="memory",
                    help="memory (default): whole panel at once; chunked: blocks within --memory; dask: blocks "
                         "on a dask.distributed cluster (--scheduler, else a local one)")
    sp.add_argument("--memory", help="memory budget of the chunked engine (per task with dask), e.g. 2GB, 500MB")
    sp.add_argument("--partition", choices=["event", "asset"], default="event",
                    help="blocks of whole events (default) or whole assets")
    sp.add_argument("--scheduler", help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786")
    sp.add_argument("--placebo", type=int, default=5000, metavar="N",
                    help="placebo-date permutation test with N draws (default 5000; 0 = off)")
    sp.add_argument("--no-by-event", action="store_true",
                    help="pooled statistics only (no test battery per event; large universes)")
    sp.add_argument("--no-by-asset", action="store_true",
                    help="no test battery per asset pooled over its events (asset:SPY; large universes)")
    sp.add_argument("--group", help="column of the events to pool by (default: group), or several: region,sector "
                                    "(each column's values are then groups named column=value)")
    sp.add_argument("--overlap", choices=OVERLAP_POLICIES,
                    help="events within each other's windows on a market: merge (default: the same day 0 "
                         "counted once), keep, drop-later or drop; all are listed in overlaps.csv")
    sp.add_argument("--claims", help="claims CSV to check against the same prices (default: the bundled "
                                     "study's claims.csv without --prices; none with --prices)")
    sp.add_argument("--regress", action="append", metavar="FORMULA",
                    help="cross-sectional regression of the CARs in every window, e.g. "
                         "'car_pct ~ direction + C(market)' (repeatable; columns: the events file's, the members' "
                         "and car, car_pct, car_se, scar, market, event_hour_utc, weekend, date_cluster)")
    sp.add_argument("--volume", action="store_true",
                    help="also the abnormal log volume study (volume_car.csv, volume_tests.csv, tables/volume.*): "
                         "market model on the benchmark's volume with --market, else mean-adjusted")
    sp.add_argument("--volatility", nargs="?", const="ratio", choices=["ratio", "garch"],
                    help="also the abnormal volatility tests (volatility.csv, volatility_tests.csv, "
                         "tables/volatility.*); 'garch' adds the GARCH(1,1) benchmark (needs eventstudy[volatility])")
    sp.add_argument("--regress-weights", choices=["none", "inverse-variance"], default="none",
                    help="OLS (default) or WLS with weights 1/SE(CAR)^2")
    sp.add_argument("--signed", metavar="COLUMN",
                    help="also run the pooled battery with each member's abnormal returns times the sign of its "
                         "event's COLUMN (e.g. direction: escalation -1), added to the headline as 'all x COLUMN'; "
                         "signed_tests.csv")
    sp.add_argument("--xlsx", action="store_true",
                    help="also write results.xlsx: the tidy tables (car, caar, tests, params, ...) a sheet each "
                         "(needs openpyxl: pip install 'eventstudy[excel]')")
    sp.add_argument("--regress-cov", choices=["cluster", "HC1", "nonrobust"], default="cluster",
                    help="standard errors that lead: clustered by independent event date (default), HC1 or classical")
    sp.set_defaults(func=cmd_run)

    sp = sub.add_parser("claims", help="did the market move as reported? check the news claims of a claims file "
                                       "or of an article")
    sp.add_argument("--claims", help="claims CSV (default: claims.csv of the repository, else the bundled copy)")
    sp.add_argument("--article", help="an article (.txt, .md or .html; - for standard input): its market claims are "
                                      "drafted into claims_draft.csv, placed in time and checked")
    sp.add_argument("--published", help="with --article: when it was published, ISO 8601 with UTC offset (e.g. "
                                        "2025-05-06T20:15:00-04:00) or a date; weekdays and 'last week' resolve "
                                        "against it (default: the date the page declares)")
    sp.add_argument("--draft-only", action="store_true",
                    help="with --article: write claims_draft.csv for review and check nothing")
    sp.add_argument("--aliases", help="with --article: your own alias table (CSV: phrase, instrument, futures, "
                                      "invert, confidence, note) instead of the bundled one")
    sp.add_argument("--out", help="output folder for claims_check.csv (default: results; with --article "
                                  "article_checks/<name>, outside results/, which eventstudy run replaces whole)")
    sp.add_argument("--source", choices=["bundled", "yahoo"], default="bundled",
                    help="prices: the bundled snapshot (default) or yfinance with its cache (after `eventstudy fetch`)")
    sp.add_argument("--prices", help="check against your own prices instead (CSV or Parquet, the layouts of "
                                     "`eventstudy run --prices`); their tickers may be named by claims and aliases")
    sp.add_argument("--cache-dir",
                    help="yfinance cache folder (default $EVENTSTUDY_CACHE or ~/.cache/eventstudy/yfinance)")
    sp.add_argument("--format", choices=["table", "csv", "md"], default="table")
    sp.set_defaults(func=cmd_claims)
    return p


def _join_negative_values(argv: list[str]) -> list[str]:
    """``--window -1:1`` -> ``--window=-1:1``: argparse would take ``-1:1`` for an option."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        if argv[i] in ("--window", "--estimation") and i + 1 < len(argv) and argv[i + 1].startswith("-"):
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``eventstudy`` command: parse ``argv`` and run the sub-command.

    An :class:`~eventstudy.errors.EventStudyError` is printed as one line on stderr
    (``eventstudy <command>: error: ...``), never as a traceback. ``--window -1:1`` and
    ``--estimation -250:-11`` may be written with a space before a negative value.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; None for ``sys.argv[1:]``.

    Returns
    -------
    int
        Exit status: 0 on success (also when the output pipe is closed early), 2 for an
        :class:`~eventstudy.errors.EventStudyError`. Argument errors exit through argparse
        (``SystemExit`` with status 2).
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    jobs = _figure_jobs(argv)  # before pandas is imported here: the worker loads it meanwhile
    try:
        args = build_parser().parse_args(_join_negative_values(argv))
        args.figure_jobs = jobs
        args.argv = argv
        from .safetext import terminal_safe_output

        try:
            with terminal_safe_output():  # ids with ANSI escapes print as text, not as terminal commands
                try:
                    return args.func(args)
                except EventStudyError as exc:
                    print(f"eventstudy {args.command}: error: {exc}", file=sys.stderr)
                    return 2
        except BrokenPipeError:  # output piped into `head` and the like: stop quietly
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - the interpreter flushes it at exit
            return 0
    finally:
        if jobs is not None:
            jobs.close()


def _figure_jobs(argv: list[str]):
    """The figure worker of ``eventstudy run`` (:class:`~eventstudy.report.background.FigureJobs`),
    started from the raw arguments before anything else is imported, when the run draws figures
    and a core is idle; None otherwise (the run then decides itself)."""
    if not argv or argv[0] != "run" or any(a in ("--no-figures", "-h", "--help") for a in argv):
        return None
    from .report.background import FigureJobs, core_is_free

    return FigureJobs() if core_is_free() else None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
