"""Command line: ``eventstudy <command>`` (also ``python -m eventstudy``).

Thin by design: parse arguments, call the public API, print or write files. Errors from bad input
are printed as one clear message (exit status 2), never as a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pandas as pd

from . import __version__
from .alignment import align, to_csv_frame
from .assets import REGISTRY, parse_tickers
from .calendars import DATE_ONLY_POLICIES, data_sessions
from .errors import EventStudyError
from .events import load_events
from .prices.bundled import BundledSource
from .prices.csvsource import CSVSource
from .returns import compute_returns


def _print_frame(df: pd.DataFrame, fmt: str) -> None:
    if fmt == "csv":
        df.to_csv(sys.stdout, index=False, lineterminator="\n")
    elif fmt == "md":
        sys.stdout.write(_markdown(df) + "\n")
    else:
        with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 200,
                               "display.max_colwidth", 60):
            sys.stdout.write(df.to_string(index=False) + "\n")


def _markdown(df: pd.DataFrame) -> str:
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in df.astype(str).itertuples(index=False):
        lines.append("| " + " | ".join(v.replace("|", "\\|") for v in row) + " |")
    return "\n".join(lines)


def _sessions_from_prices(prices_path: str | None, tickers: list[str]) -> dict:
    """Session tables for tickers the registry lacks, taken from the dates in a price CSV."""
    if not prices_path:
        return {}
    daily = CSVSource(prices_path).daily()
    return {t: data_sessions(g["date"], name=f"{t} data dates") for t, g in daily.groupby("ticker")
            if t not in REGISTRY and t in tickers}


def cmd_events(args) -> int:
    ev = load_events(args.events)
    cols = [c for c in ("event_id", "timestamp", "time_precision", "category", "direction", "title") if c in ev.columns]
    _print_frame(ev[cols], args.format)
    if args.format == "table":
        print(f"\n{len(ev)} events valid in {args.events or 'the bundled catalog'}")
    return 0


def cmd_align(args) -> int:
    ev = load_events(args.events)
    tickers = parse_tickers(args.assets)
    aligned = align(ev, tickers, date_only=args.date_only, sessions=_sessions_from_prices(args.prices, tickers))
    out = to_csv_frame(aligned)
    if args.format != "csv":
        out = out[["event_id", "asset", "event_time_market", "time_precision", "day0", "day0_close_utc"]]
    _print_frame(out, args.format)
    return 0


def cmd_snapshot(args) -> int:
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
        print("\nprovenance: eventstudy/data/PROVENANCE.md; removed rows and gaps per series: eventstudy/data/snapshot.json")
    return 0


def cmd_fetch(args) -> int:
    from .prices.yahoo import YFinanceSource

    src = YFinanceSource(args.cache_dir, refresh=args.refresh)
    paths = src.fetch(parse_tickers(args.tickers, argument="TICKERS"), args.start, args.end, interval=args.interval)
    for t, p in paths.items():
        print(f"{t}\t{p}")
    return 0


def cmd_run(args) -> int:
    """Main job on the bundled data (for now: alignment, price coverage and day-0 moves)."""
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    ev = load_events(args.events)
    tickers = parse_tickers(args.assets)
    src = BundledSource()
    prices = src.daily(tickers)
    aligned = align(ev, tickers, date_only=args.date_only)
    rets = compute_returns(prices, "simple")
    moves = aligned.merge(rets.rename(columns={"ticker": "asset", "date": "day0"}), on=["asset", "day0"],
                          how="left", validate="many_to_one")  # events can share a day 0
    moves["day0_return_pct"] = (100 * moves["ret"]).round(3)
    table = moves.pivot(index="event_id", columns="asset", values="day0_return_pct").reindex(
        index=list(dict.fromkeys(ev["event_id"])), columns=tickers)
    coverage = (prices.groupby("ticker", sort=False)["date"].agg(first="min", last="max", sessions="size")
                .reindex(tickers).reset_index())
    to_csv_frame(aligned).to_csv(out_dir / "alignment.csv", index=False)
    coverage.to_csv(out_dir / "prices_summary.csv", index=False)
    moves_out = to_csv_frame(moves.drop(columns=["ret"]))
    moves_out["prev_date"] = pd.to_datetime(moves_out["prev_date"]).dt.strftime("%Y-%m-%d")
    moves_out.to_csv(out_dir / "day0_moves.csv", index=False)
    print(f"eventstudy {__version__}: {len(ev)} events x {len(tickers)} assets on the bundled snapshot\n")
    print("Close-to-close return on day 0 (%), day 0 = first session closing after the event "
          f"(date-only events: {args.date_only}); blank = no price that day:\n")
    with pd.option_context("display.max_columns", None, "display.width", 250):
        print(table.to_string(na_rep=""))
    print(f"\nwrote {out_dir}/alignment.csv, prices_summary.csv, day0_moves.csv")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="eventstudy", description="Event studies of diplomatic news on market prices.")
    p.add_argument("--version", action="version", version=f"eventstudy {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp, *, assets=True):
        sp.add_argument("--events", help="events CSV (default: the bundled US-China catalog)")
        if assets:
            sp.add_argument("--assets", help="comma-separated tickers (default: all registered assets)")
            sp.add_argument("--date-only", choices=DATE_ONLY_POLICIES, default="session-date",
                            help="day-0 policy for events without a time of day (default: session-date)")

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

    sp = sub.add_parser("run", help="the main job on the bundled data")
    common(sp)
    sp.add_argument("--out", default="results", help="output folder (default: results)")
    sp.set_defaults(func=cmd_run)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except EventStudyError as exc:
        print(f"eventstudy {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - the interpreter flushes it at exit
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
