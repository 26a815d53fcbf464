"""The project beside the numpy floor and the Python peers, on the same synthetic panel.

    python benchmarks/compare.py                  # 236 and 100,000 asset-events
    python benchmarks/compare.py --small-only     # 236 only (seconds)
    python benchmarks/compare.py --peers-python /tmp/peers-venv/bin/python   # and the Python peers

Two numpy floors, each the least work of its kind, with no calendar, no validation and no other
test: from a returns matrix, fit the market model of every member by closed-form OLS on its
estimation rows, its CAR over -1:1, the CLM variance of that CAR and a cross-sectional t across
members. The *prefix-sum floor* gets every sum from cumulative sums of the matrix (no member
array at all: a lower bound no event-time design reaches); the *panel floor* gathers each member's
(estimation + window) rows into an (N x T) panel, as any event study that keeps abnormal returns
per member and day must (its ARs are what rank, sign and resampling tests read), and fits from it.
The project runs the same study through the public API
(market model, estimation -250:-11, window -1:1, the full test battery, pooled, and with every
event's own battery), warm (a second fit in the process; the floors too), with its default clean estimation
windows; run without them, its CARs must equal the floor's to 1e-12 (checked for the small case).

The Python peers -- Lemaire's ``eventstudy``, ``robust-eventstudy`` and ``easy-es`` -- run only with
``--peers-python``, in their own virtual environment and in a subprocess, so that nothing of theirs
is installed beside the project (Lemaire's package has this project's import name)::

    python3 -m venv /tmp/peers-venv
    /tmp/peers-venv/bin/pip install robust-eventstudy==0.1.0 easy-es==0.1.2 eventstudy==0.1a12

For each case this script writes the panel (the long price frame and the events, as numpy arrays)
once to a temporary directory, and ``benchmarks/peers.py``, run by that interpreter (``-I``), rebuilds
the two frames, runs the peer's closest equivalent of the study (market model, the same windows,
the CAR of every asset-event and the peer's own tests) cold, then warm, timing from the long frame
(the conversion to the peer's input is in the time, as the project's fit starts from that frame),
and reports the warm run. Every peer's CARs must equal the panel floor's to 1e-12, and the table
says so where they do not; the notes below it give each peer's calls, where its definition of the
windows differs and what was done about it (robust-eventstudy and easy-es count calendar days, and
are given one calendar day per session), its statistics, and its cold time. A run longer than
``--peer-limit`` seconds (600) is stopped and printed as not finished, and a peer that fails is
printed with its error, in place of a time. Without ``--peers-python`` the peers are listed as not
measured, and only the project's environment is needed. The R packages cannot run here (see the
README for the timings measured elsewhere).

The floors run under the allocation policy of the project's in-memory fits
(:mod:`eventstudy.allocator`: freed memory retained, and numpy's huge-page hint off on a machine
that hands free pages back to a hypervisor, as this one does), so that the ratio compares the work
done, not the page faults: on this machine the 100,000 panel floor takes 0.4-0.5 s that way and
3.5-4.3 s with numpy's default hint after a fit has returned its memory. The peers' processes get
the same policy through the environment (glibc's ``MALLOC_MMAP_THRESHOLD_`` and
``MALLOC_TRIM_THRESHOLD_``, ``NUMPY_MADVISE_HUGEPAGE=0``). The project's cold and warm fits run inside one such block
too, so that its warm fit, like the floors' warm runs and the peers', reuses the memory of the
run before it instead of faulting it in afresh (a fit hands its memory back when it ends).
Prints one table: wall seconds and the ratio to the panel floor.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engine import synthetic  # noqa: E402 - the benchmarks' one synthetic panel

from eventstudy.allocator import RETAIN_BYTES, reports_free_pages, retain_freed_memory, without_hugepage_hint  # noqa: E402

EST, WIN = (-250, -11), (-1, 1)
PEERS = {"eventstudy": "eventstudy (Lemaire)", "robust-eventstudy": "robust-eventstudy", "easy-es": "easy-es"}
"""The peers benchmarks/peers.py runs: its name for each, and the table's."""
PEERS_SCRIPT = Path(__file__).resolve().parent / "peers.py"
CAR_TOL = 1e-12
"""A peer's CARs must equal the panel floor's to this (absolute), as the project's do."""


def returns_matrix(wide):
    """(returns (days x tickers), their dates, the market's column, the assets' column positions)."""
    p = wide.to_numpy()
    r = p[1:] / p[:-1] - 1.0
    names = list(wide.columns)
    return r, wide.index[1:], r[:, names.index("MKT")], np.array([i for i, c in enumerate(names) if c != "MKT"])


def floor(prices, events) -> tuple[float, np.ndarray]:
    """Seconds of the numpy floor, and its CARs (event-major, assets in column order): the check
    that it did the project's work.

    Every sum a member needs (returns, squares and cross products over its estimation rows, returns
    over its window) is a difference of two prefix sums of the returns matrix, so the floor costs
    one pass over the matrix and a few operations per member: no (members x rows) array at all."""
    wide = prices.pivot(index="date", columns="ticker", values="close")
    t0 = time.perf_counter()
    r, dates, mkt, cols = returns_matrix(wide)

    def prefix(a):
        out = np.zeros((a.shape[0] + 1, *a.shape[1:]))
        np.cumsum(a, axis=0, out=out[1:])
        return out

    sy, syy, sxy = prefix(r), prefix(r * r), prefix(r * mkt[:, None])
    sx, sxx_ = prefix(mkt), prefix(mkt * mkt)
    pos0 = dates.searchsorted(np.asarray(events["date"], dtype="datetime64[ns]"))
    mp = np.repeat(pos0, cols.size)
    mc = np.tile(cols, pos0.size)
    a, b = mp + EST[0], mp + EST[1] + 1  # estimation rows [a, b)
    m = b - a
    y1, y2, xy = sy[b, mc] - sy[a, mc], syy[b, mc] - syy[a, mc], sxy[b, mc] - sxy[a, mc]
    x1, x2 = sx[b] - sx[a], sxx_[b] - sxx_[a]
    xm = x1 / m
    sxx = x2 - x1 * xm
    beta = (xy - x1 * y1 / m) / sxx
    alpha = y1 / m - beta * xm
    ssr = y2 - alpha * y1 - beta * xy  # residuals orthogonal to the regressors
    s2 = ssr / (m - 2)
    wa, wb = mp + WIN[0], mp + WIN[1] + 1
    length = wb - wa
    xw = sx[wb] - sx[wa]
    car = (sy[wb, mc] - sy[wa, mc]) - alpha * length - beta * xw
    var = s2 * (length + length**2 / m + (xw - length * xm) ** 2 / sxx)  # CLM variance of the CAR
    scar = car / np.sqrt(var)
    t = car.mean() / (car.std(ddof=1) / np.sqrt(car.size))
    seconds = time.perf_counter() - t0
    assert np.isfinite(scar).all() and np.isfinite(t)
    return seconds, car


def panel_floor(prices, events) -> tuple[float, np.ndarray]:
    """Seconds of the panel floor and its CARs: each member's rows gathered into an (N, T) panel
    (a sliding-window view of each asset's column, one row copy per member), OLS from it, ARs,
    CAR, CLM variance and the cross-sectional t."""
    wide = prices.pivot(index="date", columns="ticker", values="close")
    t0 = time.perf_counter()
    r, dates, mkt, cols = returns_matrix(wide)
    pos0 = dates.searchsorted(np.asarray(events["date"], dtype="datetime64[ns]"))
    mp = np.repeat(pos0, cols.size)
    mc = np.tile(cols, pos0.size)
    width = WIN[1] - EST[0] + 1  # estimation start .. window end
    rt = np.ascontiguousarray(r.T)  # one contiguous column per asset
    windows = np.lib.stride_tricks.sliding_window_view(rt, width, axis=1)
    y = windows[mc, mp + EST[0]]  # (N, T) returns, one row copy per member
    x = np.lib.stride_tricks.sliding_window_view(mkt, width)[mp + EST[0]]
    m = EST[1] - EST[0] + 1
    ye, xe = y[:, :m], x[:, :m]
    xm, ym = xe.mean(axis=1), ye.mean(axis=1)
    xd = xe - xm[:, None]
    sxx = np.einsum("nt,nt->n", xd, xd)
    beta = np.einsum("nt,nt->n", xd, ye - ym[:, None]) / sxx
    alpha = ym - beta * xm
    ar = y - alpha[:, None] - beta[:, None] * x
    s2 = np.einsum("nt,nt->n", ar[:, :m], ar[:, :m]) / (m - 2)
    lo = WIN[0] - EST[0]
    car = ar[:, lo:].sum(axis=1)
    length = WIN[1] - WIN[0] + 1
    xw = x[:, lo:].sum(axis=1)
    var = s2 * (length + length**2 / m + (xw - length * xm) ** 2 / sxx)
    scar = car / np.sqrt(var)
    t = car.mean() / (car.std(ddof=1) / np.sqrt(car.size))
    seconds = time.perf_counter() - t0
    assert np.isfinite(scar).all() and np.isfinite(t)
    return seconds, car


def project(prices, events, by_event: bool, clean: bool = True):
    import eventstudy as es

    spec = es.EventStudy(es.load_events(frame=events), prices, model="market", market="MKT", estimation=EST,
                         windows=(WIN,), n_boot=1000, by_event=by_event, by_asset=False, clean_estimation=clean)
    with retain_freed_memory():  # both fits: the warm one reuses memory, as the floors' and the peers' runs do
        spec.fit()  # cold: imports, calendars
        t0 = time.perf_counter()
        res = spec.fit()
        return time.perf_counter() - t0, res


def peer_env() -> dict[str, str]:
    """The peers' environment: this one without Python's variables (``-I`` ignores them too), under
    the floors' allocation policy, as environment variables: glibc's thresholds at the values
    :func:`retain_freed_memory` sets, and numpy's huge-page hint off where :func:`without_hugepage_hint`
    turns it off (an explicit ``NUMPY_MADVISE_HUGEPAGE`` stands)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(MALLOC_MMAP_THRESHOLD_=str(RETAIN_BYTES), MALLOC_TRIM_THRESHOLD_=str(2 * RETAIN_BYTES))
    if "NUMPY_MADVISE_HUGEPAGE" not in env and reports_free_pages():
        env["NUMPY_MADVISE_HUGEPAGE"] = "0"
    return env


def run_peers(python: str, prices, events, car: np.ndarray, limit: float, case: str) -> dict[str, dict]:
    """Each peer's report (benchmarks/peers.py's JSON) on this panel, run by the peers' ``python`` in
    a subprocess, one per peer, with its CARs checked against the floor's (``diff``: the largest
    absolute difference). ``limit`` bounds each run (cold, warm) in the peer's process, twice that
    and 5 minutes the whole process; a peer that fails or runs out of time reports ``error``."""
    out: dict[str, dict] = {}
    env = peer_env()
    with tempfile.TemporaryDirectory(prefix="peers-") as tmp:
        data = Path(tmp) / "panel.npz"
        np.savez(data, ticker=prices["ticker"].to_numpy(str), date=prices["date"].to_numpy("datetime64[ns]"),
                 close=prices["close"].to_numpy(float), event_id=events["event_id"].to_numpy(str),
                 event_date=events["date"].to_numpy(str))
        for peer in PEERS:
            print(f"{case}: {peer} ...", file=sys.stderr, flush=True)
            cars = Path(tmp) / f"{peer}.npy"
            cmd = [python, "-I", str(PEERS_SCRIPT), str(data), peer, str(cars), "--limit", str(limit)]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=2 * limit + 300)
            except subprocess.TimeoutExpired:
                out[peer] = {"error": f"killed after {2 * limit + 300:g} s"}
                continue
            except OSError as e:  # no such interpreter
                out[peer] = {"error": f"cannot run {python}: {e.strerror}"}
                continue
            lines = proc.stdout.strip().splitlines()
            try:
                rep = json.loads(lines[-1])
            except (IndexError, json.JSONDecodeError):
                err = (proc.stderr.strip().splitlines() or ["no output"])[-1]
                rep = {"error": f"exit {proc.returncode}: {err}"}
            if "n" in rep:
                mine = np.load(cars)
                rep["diff"] = float(np.abs(mine - car).max()) if mine.shape == car.shape else float("inf")
            out[peer] = rep
    return out


def peer_cells(rep: dict, f: float) -> str:
    """A peer's two cells, time and ratio to the panel floor."""
    if rep.get("warm") is None:
        return f"{rep.get('error', 'no time')} | - |"
    differ = "" if rep["diff"] <= CAR_TOL else f" (CARs differ from the floor's by up to {rep['diff']:.1e})"
    return f"{rep['warm']:.2f} s{differ} | {rep['warm'] / f:.0f}x |"


def fmt(v) -> str:
    """A statistic of a peer's report, in four significant digits."""
    if isinstance(v, list):
        return "[" + ", ".join(fmt(x) for x in v) + "]"
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def peer_notes(reports: list[tuple[str, dict]]) -> list[str]:
    """One paragraph per peer: version, what it ran, the CAR check and its statistics per case."""
    about = {
        "eventstudy": "Single.market_model per asset-event via Multiple.from_list (estimation_size=240, "
                      "buffer_size=9, event_window=(-1, 1)), Multiple.results(); same windows in sessions",
        "robust-eventstudy": "MarketModel.compute_abnormal_returns per asset-event, BootstrapBCA(1000) on the "
                             "event-level mean CARs. DIFFERS: it counts windows in calendar days and refuses an "
                             "event window of fewer than 5 observations, so it is run on one calendar day per "
                             "session (estimation_window=239, gap_window=10 = sessions -250:-11) with window "
                             "-1:3, of which the -1:1 ARs are summed; its Kolari-Pynnonen test needs 5 days "
                             "and is not run",
        "easy-es": "EventStudy(estimator_type='capm', estimation_days=240, gap_days=9, window_before=1, "
                   "window_after=1, n_cores=1).run_study on one row per asset-event, MKT as the Mkt-RF factor, "
                   "calculate_car_stats. DIFFERS: it spans each event with 260 calendar days before counting "
                   "sessions (about 176 estimation sessions here), so it is run on one calendar day per session, "
                   "where its estimation rows are sessions -250:-11",
    }
    lines = []
    for peer, name in PEERS.items():
        runs = [(case, reps[peer]) for case, reps in reports]
        version = next((r["version"] for _, r in runs if "version" in r), "?")
        checks = []
        for case, r in runs:
            if "diff" in r:
                ok = "CARs = floor's" if r["diff"] <= CAR_TOL else "CARs DIFFER from the floor's"
                cold = f"cold {r['cold']:.2f} s" if r.get("cold") is not None else "cold -"
                stats = ", ".join(f"{k} {fmt(v)}" for k, v in r["stats"].items())
                checks.append(f"{case}: {r['n']:,} {ok} (max |diff| {r['diff']:.0e}), {cold}, {stats}")
            else:
                checks.append(f"{case}: {r.get('error', 'not run')}")
        lines.append(f"{name} {version}: {about[peer]}. " + "; ".join(checks) + ".")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small-only", action="store_true", help="only the 236 asset-events case")
    ap.add_argument("--peers-python", metavar="PYTHON",
                    help="interpreter of the peers' virtual environment (see benchmarks/peers.py): measure them")
    ap.add_argument("--peer-limit", type=float, default=600.0, metavar="SECONDS",
                    help="seconds a peer's run may take (each of cold and warm) before it is reported as too slow")
    a = ap.parse_args()
    cases = [("236 (59 events x 4 markets)", 4, 59, 1200)]
    if not a.small_only:
        cases.append(("100,000 (100 events x 1,000 assets)", 1000, 100, 1000))
    head = ("| asset-events | prefix-sum floor | panel floor | eventstudy pooled | ratio to panel floor "
            "| eventstudy, battery per event | ratio |")
    rule = "|---|---|---|---|---|---|---|"
    if a.peers_python:
        head += "".join(f" {name} | ratio |" for name in PEERS.values())
        rule += "---|---|" * len(PEERS)
    print(head)
    print(rule)
    reports = []
    for name, n_assets, n_events, n_days in cases:
        prices, events = synthetic(n_assets, n_events, n_days)
        with without_hugepage_hint(), retain_freed_memory():  # as a fit allocates
            floor(prices, events), panel_floor(prices, events)  # warm, as the project's second fit
            f0, car = floor(prices, events)
            f, car_panel = panel_floor(prices, events)
        assert np.allclose(car_panel, car, rtol=0, atol=1e-12), "the two floors disagree"
        pooled, _ = project(prices, events, by_event=False)
        each, _ = project(prices, events, by_event=True)
        if n_assets * n_events < 10_000:  # the same study: the floor keeps other events' days in its fits
            _, res = project(prices, events, by_event=False, clean=False)
            mine = res.car[res.car["window"] == f"{WIN[0]}:{WIN[1]}"].sort_values(["event_id", "asset"])["car"]
            assert np.allclose(mine.to_numpy(), car, rtol=0, atol=1e-12), "the floor and the project disagree"
        row = (f"| {name} | {f0:.3f} s | {f:.3f} s | {pooled:.2f} s | {pooled / f:.0f}x | {each:.2f} s "
               f"| {each / f:.0f}x |")
        if a.peers_python:
            reps = run_peers(a.peers_python, prices, events, car_panel, a.peer_limit, name.split()[0])
            reports.append((name.split()[0], reps))
            row += "".join(f" {peer_cells(reps[peer], f)}" for peer in PEERS)
        print(row, flush=True)
    print()
    if a.peers_python:
        for line in peer_notes(reports):
            print(f"* {line}")
    else:
        for name in PEERS.values():
            print(f"{name}: not measured: pass --peers-python (see benchmarks/peers.py)")


if __name__ == "__main__":
    main()
