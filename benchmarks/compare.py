"""The project beside the numpy floor (and Python peers when installed), on the same synthetic panel.

    python benchmarks/compare.py                  # 236 and 100,000 asset-events
    python benchmarks/compare.py --small-only     # 236 only (seconds)

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
Peers are reported when installed, but none is wired in yet (Lemaire's ``eventstudy`` shares this
package's import name, so it cannot be installed beside it); the R packages cannot run here (see
the README for the timings measured elsewhere).
The floors run under the allocation policy of the project's in-memory fits
(:mod:`eventstudy.allocator`: freed memory retained, and numpy's huge-page hint off on a machine
that hands free pages back to a hypervisor, as this one does), so that the ratio compares the work
done, not the page faults: on this machine the 100,000 panel floor takes 0.4-0.5 s that way and
3.5-4.3 s with numpy's default hint after a fit has returned its memory.
Prints one table: wall seconds and the ratio to the floor.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engine import synthetic  # noqa: E402 - the benchmarks' one synthetic panel

from eventstudy.allocator import retain_freed_memory, without_hugepage_hint  # noqa: E402

EST, WIN = (-250, -11), (-1, 1)


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
                         windows=(WIN,), n_boot=1000, by_event=by_event, clean_estimation=clean)
    spec.fit()  # cold: imports, calendars
    t0 = time.perf_counter()
    res = spec.fit()
    return time.perf_counter() - t0, res


def peers() -> list[str]:
    names = {"robust_eventstudy": "robust-eventstudy", "easy_es": "easy-es"}
    return [f"{pkg}: {'installed but not wired in' if importlib.util.find_spec(mod) else 'not installed'}"
            for mod, pkg in names.items()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small-only", action="store_true", help="only the 236 asset-events case")
    a = ap.parse_args()
    cases = [("236 (59 events x 4 markets)", 4, 59, 1200)]
    if not a.small_only:
        cases.append(("100,000 (100 events x 1,000 assets)", 1000, 100, 1000))
    print("| asset-events | prefix-sum floor | panel floor | eventstudy pooled | ratio to panel floor "
          "| eventstudy, battery per event | ratio |")
    print("|---|---|---|---|---|---|---|")
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
        print(f"| {name} | {f0:.3f} s | {f:.3f} s | {pooled:.2f} s | {pooled / f:.0f}x | {each:.2f} s "
              f"| {each / f:.0f}x |", flush=True)
    print()
    for line in peers():
        print(line)


if __name__ == "__main__":
    main()
