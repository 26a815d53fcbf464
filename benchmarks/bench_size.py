"""Size and power of every test when the news clusters: a Monte Carlo through the public API (not a test).

    python benchmarks/bench_size.py                    # 500 studies per design, null and +0.5 % effect
    python benchmarks/bench_size.py --studies 100      # a quicker look
    python benchmarks/bench_size.py --designs pairs,time-zones

Each study is simulated, fitted with ``EventStudy(...).fit()`` and tested with the whole battery and
the placebo-date test, exactly as a user would. 14 markets whose returns share a common factor
(correlation 0.5 between any two markets on a day), 10 events, constant-mean model, estimation
window -250:-11, event windows 0:0 and -1:1; under the null there is no event effect, under the
alternative every member gains +0.5 % on its day 0 (a day's SD is 1 %). Designs:

``random``       10 event dates drawn at random (at least 30 sessions apart)
``pairs``        5 dates, two events on each (the news of one day told twice); the default overlap
                 policy merges each pair into one member per market
``pairs-kept``   the same simulated studies as ``pairs`` (the same seeds), with ``overlap="keep"``:
                 both events of a date stay, every market counted twice (what the pooled tests and
                 the placebo clusters must survive)
``clustered``    5 clusters of two events 3 sessions apart (windows close, estimation windows shared)
``single-date``  the battery of each event on its own: 14 markets, one date
``time-zones``   7 New York and 7 Tokyo markets (their exchange calendars); news during New York
                 hours reaches Tokyo the next session, whose return carries the New York day's
                 common factor (lead-lag correlation 0.5), so Tokyo's day 0 is a session later

The script prints, for the CAR statistic of window 0:0 (and -1:1), the share of studies whose
p-value is below 5 % -- pooled group ``all``, or each event's own group in ``single-date`` --
under the null (size) and with the effect (power), per test and design.
``--out FILE.csv`` keeps the table; ``--markdown FILE.csv`` prints the README's tables from it.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd

DESIGNS = ("random", "pairs", "clustered", "single-date", "time-zones", "pairs-kept")
N_MARKETS, N_EVENTS, RHO, SD, EFFECT = 14, 10, 0.5, 0.01, 0.005
START, N_DAYS = "2018-01-01", 1500
WINDOWS = ((0, 0), (-1, 1))
SEEDS_OF = {"pairs-kept": "pairs"}  # the same simulated studies, another overlap policy


def _dates(rng, n_dates, first, last, gap):
    """``n_dates`` sorted positions in [first, last] at least ``gap`` apart."""
    while True:
        pos = np.sort(rng.choice(np.arange(first, last), size=n_dates, replace=False))
        if n_dates < 2 or np.diff(pos).min() >= gap:
            return pos


def simulate(design: str, seed: int, effect: float):
    """Prices, events and study options of one simulated study."""
    import eventstudy as es

    rng = np.random.default_rng(seed)
    sd_f, sd_e = SD * np.sqrt(RHO), SD * np.sqrt(1 - RHO)
    if design == "time-zones":
        ny = es.exchange_sessions("XNYS")
        tk = es.exchange_sessions("XTKS")
        days = pd.bdate_range(START, periods=N_DAYS)
        cum_f = np.concatenate([[0.0], np.cumsum(rng.normal(0, sd_f, len(days)))])  # the factor of each US day
        ny_days = ny.sessions[(ny.sessions >= days[0]) & (ny.sessions <= days[-1])]
        tk_days = tk.sessions[(tk.sessions > days[0]) & (tk.sessions <= days[-1])]
        ev_pos = _dates(rng, N_EVENTS, 400, len(ny_days) - 40, 30)
        ev_days = ny_days[ev_pos]
        frames, calendars = [], {}
        for i in range(N_MARKETS):
            name, cal = (f"NY{i}", "XNYS") if i < N_MARKETS // 2 else (f"TK{i}", "XTKS")
            sess = ny_days if cal == "XNYS" else tk_days
            # a close carries the factor of every US day since the market's previous close: New York
            # through that day, Tokyo through the US day before (it closes before New York opens)
            through = np.searchsorted(days, sess) + (1 if cal == "XNYS" else 0)
            r = np.diff(cum_f[np.concatenate([[through[0] - 1], through])]) + rng.normal(0, sd_e, len(sess))
            if effect:
                for d in ev_days:
                    j = np.searchsorted(sess, d, side="left" if cal == "XNYS" else "right")
                    if j < len(sess):
                        r[j] += effect
            frames.append(pd.DataFrame({"ticker": name, "date": sess, "close": 100 * np.cumprod(1 + r)}))
            calendars[name] = cal
        events = pd.DataFrame({"event_id": [f"E{k}" for k in range(N_EVENTS)],
                               "timestamp": [f"{d:%Y-%m-%d}T15:00:00+00:00" for d in ev_days]})
        opts = {"calendars": calendars}
    else:
        days = pd.bdate_range(START, periods=N_DAYS)
        f = rng.normal(0, sd_f, len(days))
        if design in ("pairs", "pairs-kept"):
            pos = np.repeat(_dates(rng, N_EVENTS // 2, 400, N_DAYS - 40, 30), 2)
        elif design == "clustered":
            pos = (_dates(rng, N_EVENTS // 2, 400, N_DAYS - 40, 40)[:, None] + np.array([0, 3])).ravel()
        else:
            pos = _dates(rng, N_EVENTS, 400, N_DAYS - 40, 30)
        frames = []
        for i in range(N_MARKETS):
            r = f + rng.normal(0, sd_e, len(days))
            r[np.unique(pos)] += effect
            frames.append(pd.DataFrame({"ticker": f"M{i:02d}", "date": days, "close": 100 * np.cumprod(1 + r)}))
        events = pd.DataFrame({"event_id": [f"E{k}" for k in range(N_EVENTS)],
                               "date": [f"{days[p]:%Y-%m-%d}" for p in pos]})
        opts = {"overlap": "keep"} if design == "pairs-kept" else {}
    prices = pd.concat(frames, ignore_index=True).assign(adj_close=lambda d: d["close"])
    return prices, es.load_events(frame=events), opts


def one_study(args):
    """p-values of one simulated study: {(test, window, scope): [p, ...]}."""
    design, seed, effect = args
    import eventstudy as es

    warnings.simplefilter("ignore")
    prices, events, opts = simulate(design, seed, effect)
    by_event = design == "single-date"
    res = es.EventStudy(events, prices, model="constant-mean", estimation=(-250, -11), windows=WINDOWS,
                        by_event=by_event, n_boot=999, seed=seed, **opts).fit()
    out: dict = {}
    car = res.tests[res.tests["tau"].isna()]
    groups = [g for g in car["group"].unique() if g != "all"] if by_event else ["all"]
    for row in car[car["group"].isin(groups)].itertuples():
        out.setdefault((row.test, row.window), []).append(row.pvalue)
    placebo = es.placebo_test(res, n_draws=499, seed=seed, groups=groups, exclude_real=True)
    for row in placebo.itertuples():
        out.setdefault(("placebo", row.window), []).append(row.pvalue)
    return out


def run(design: str, studies: int, effect: float, workers: int) -> pd.DataFrame:
    base = 100_000 * (1 + DESIGNS.index(SEEDS_OF.get(design, design)))
    jobs = [(design, base + s, effect) for s in range(studies)]
    with mp.get_context("fork").Pool(workers) as pool:
        parts = pool.map(one_study, jobs, chunksize=4)
    rows = []
    for key in sorted({k for p in parts for k in p}):
        ps = np.array([v for p in parts for v in p.get(key, [])], dtype=float)
        rows.append({"test": key[0], "window": key[1], "design": design,
                     "reject": float(np.mean(ps[np.isfinite(ps)] < 0.05)), "n": int(np.isfinite(ps).sum())})
    return pd.DataFrame(rows)


VALID = (3.0, 7.0)  # the size band (%) a test must keep at 5 % nominal to be marked valid in a design
ORDER = ("kp_bmp", "kp_patell", "bw1985", "bootstrap", "placebo", "grank", "rank", "mrank", "t_cs", "bmp", "patell",
         "bw1980", "sign", "gsign", "wilcoxon")


def markdown(table: pd.DataFrame) -> str:
    """The README's tables: size per design (0:0 / -1:1, marked valid when both lie in VALID), then
    power at 0:0 and -1:1."""
    designs = [d for d in DESIGNS if d in set(table["design"])]
    size = table[table["kind"] == "size"].set_index(["test", "design", "window"])["reject"] * 100
    power = table[table["kind"] == "power"].set_index(["test", "design", "window"])["reject"] * 100
    tests = [t for t in ORDER if t in set(table["test"])] + sorted(set(table["test"]) - set(ORDER))
    lines = ["| test | " + " | ".join(designs) + " |", "|---|" + "---|" * len(designs)]
    for t in tests:
        cells = []
        for d in designs:
            a, b = size.get((t, d, "0:0"), float("nan")), size.get((t, d, "-1:1"), float("nan"))
            ok = all(VALID[0] <= v <= VALID[1] for v in (a, b))
            cells.append(f"{a:.1f} / {b:.1f} {'✓' if ok else '✗'}")
        lines.append(f"| `{t}` | " + " | ".join(cells) + " |")
    lines += ["", "| test | " + " | ".join(designs) + " |", "|---|" + "---|" * len(designs)]
    for t in tests:
        cells = [f"{power.get((t, d, '0:0'), float('nan')):.1f} / {power.get((t, d, '-1:1'), float('nan')):.1f}"
                 for d in designs]
        lines.append(f"| `{t}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--studies", type=int, default=500)
    ap.add_argument("--designs", default=",".join(DESIGNS))
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", help="also write the table as CSV")
    ap.add_argument("--markdown", metavar="CSV", help="print the README's Markdown tables from a CSV written by --out "
                                                    "(no simulation)")
    a = ap.parse_args()
    if a.markdown:
        print(markdown(pd.read_csv(a.markdown)))
        return
    t0 = time.perf_counter()
    frames = []
    for design in a.designs.split(","):
        for label, effect in (("size", 0.0), ("power", EFFECT)):
            f = run(design, a.studies, effect, a.workers).assign(kind=label)
            frames.append(f)
            print(f"{design} {label}: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    table = pd.concat(frames, ignore_index=True)
    if a.out:
        table.to_csv(a.out, index=False)
    wide = table.pivot_table(index=["window", "test"], columns=["design", "kind"], values="reject")
    with pd.option_context("display.width", 250, "display.max_columns", None, "display.max_rows", None):
        print((100 * wide).round(1).to_string())
    print(f"\n{a.studies} studies per design; reject = share of p < 0.05 (%); "
          f"{time.perf_counter() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
