"""The Python peers on compare.py's synthetic panel: run by the PEERS' interpreter, never the project's.

    python3 -m venv /tmp/peers-venv
    /tmp/peers-venv/bin/pip install robust-eventstudy==0.1.0 easy-es==0.1.2 eventstudy==0.1a12
    python benchmarks/compare.py --peers-python /tmp/peers-venv/bin/python   # runs this script

(easy-es 0.1.2 is its last release for Python 3.11; Lemaire's package is a pre-release, hence the pin.)
Lemaire's package is imported as ``eventstudy``, the project's own import name, so it lives in a
separate virtual environment and compare.py runs this script there with ``python -I`` (no
PYTHONPATH, no script directory on the path: the project cannot shadow it); nothing of the peers
is installed beside the project.

    python peers.py DATA.npz PEER OUT.npy [--limit SECONDS]

DATA.npz is written by compare.py: the long price frame (ticker, date, close) and the events
(event_id, date) of ``bench_engine.synthetic()``, as numpy arrays. This script rebuilds the same
two pandas frames the project's fit starts from (not timed), then times the PEER's study twice in
this process, cold then warm, and reports the warm run, as compare.py does for the project. The
timed part starts from those two frames, as the project's fit does: the conversion to what the
peer reads (wide returns, its calendar, its event list) is timed with the peer's own work. Each
peer does the closest equivalent of the project's study: market model on MKT, estimation -250:-11
and window -1:1 counted in sessions, the CAR of every (event, asset) and the peer's own test
statistics on them:

* ``eventstudy`` (Lemaire, 0.1a12): ``Single.market_model`` for every asset-event through
  ``Multiple.from_list`` (estimation_size=240, buffer_size=9, event_window=(-1, 1); statsmodels OLS
  per member), whose constructor computes the CAAR, its t and p-value and the CAR distribution, then
  ``Multiple.results()``. Returns go in through ``Single._save_parameter("returns", ...)``, the store
  that ``Single.import_returns`` fills from a CSV, given the same arrays without the CSV file
  (``import_returns(is_price=True, log_return=False)`` would also divide by the later price).
* ``robust-eventstudy`` (0.1.0): ``MarketModel.compute_abnormal_returns`` for every asset-event
  (the call ``event_level_cars`` makes), then its event-level inference: the event-level mean CARs
  (``event_level_cars``'s aggregation) and ``BootstrapBCA(n_bootstrap=1000).compute_bca_ci`` on them.
  It counts its windows in CALENDAR days and returns an error for an event window of fewer than
  five observations, so: its returns are put on a calendar of consecutive days, one per session
  (then its estimation_window=239, gap_window=10 are the sessions -250:-11), and it is asked for
  the window -1:3, of which the -1:1 abnormal returns are summed (alpha and beta come from the
  estimation rows alone, so the CAR is the -1:1 CAR). Its Kolari-Pynnonen test needs five aligned
  days, so it cannot be run on a three-day window and is not.
* ``easy-es`` (0.1.2): ``EventStudy(estimator_type="capm", estimation_days=240, gap_days=9,
  window_before=1, window_after=1, n_cores=1).run_study`` on one event row per asset-event, the
  market's return given as the ``Mkt-RF`` factor (``add_factors``) and returns through
  ``add_returns(ret_df=...)`` (so no download), then ``calculate_car_stats``. It counts offsets in
  sessions but first spans each event with CALENDAR days (260 before it), which would cut the
  estimation to about 176 sessions; on the same consecutive-day calendar as robust-eventstudy its
  estimation rows are the sessions -250:-11.

Prints one JSON line: the peer, its version, the cold and warm seconds, the number of CARs, their
sum and first values, the peer's headline statistics, or ``error``: a run that takes longer than
``--limit`` seconds is stopped (SIGALRM) and reported as not finished, a peer that raises is
reported with its exception. Writes the last run's CARs (event-major, the assets in column order,
as compare.py's floors) to OUT.npy.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
import traceback
from importlib import metadata

import numpy as np
import pandas as pd

EST, WIN = (-250, -11), (-1, 1)
EST_SIZE = EST[1] - EST[0] + 1  # 240 sessions
GAP = -EST[1] - 1 + WIN[0]  # 9 sessions between the estimation and the window (-10:-2)
DAY0 = pd.Timestamp("2000-01-01")


def load(path: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The long price frame and the events frame of ``bench_engine.synthetic()``."""
    z = np.load(path, allow_pickle=False)
    prices = pd.DataFrame({"ticker": z["ticker"], "date": z["date"], "close": z["close"]})
    prices["adj_close"] = prices["close"]
    events = pd.DataFrame({"event_id": z["event_id"], "date": z["event_date"]})
    return prices, events


def returns_wide(prices: pd.DataFrame) -> tuple[np.ndarray, pd.DatetimeIndex, list[str]]:
    """Simple returns (sessions x tickers) from the long frame, their dates and the tickers."""
    wide = prices.pivot(index="date", columns="ticker", values="close")
    p = wide.to_numpy()
    return p[1:] / p[:-1] - 1.0, pd.DatetimeIndex(wide.index[1:]), list(wide.columns)


def session_calendar(dates: pd.DatetimeIndex, events: pd.DataFrame) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """One calendar day per session (for the peers that count days on the calendar): the
    returns' days and the events' days on it."""
    days = DAY0 + pd.to_timedelta(np.arange(len(dates)), unit="D")
    pos = dates.get_indexer(pd.to_datetime(events["date"]))
    assert (pos >= 0).all(), "an event date is not a session"
    return days, days[pos]


def lemaire(prices: pd.DataFrame, events: pd.DataFrame) -> tuple[np.ndarray, dict]:
    import eventstudy as les

    r, dates, names = returns_wide(prices)
    data = {"date": dates.to_numpy()}  # what Single.import_returns stores: datetime64 dates, one array per ticker
    data.update({c: r[:, i] for i, c in enumerate(names)})
    les.Single._save_parameter("returns", data)
    assets = [c for c in names if c != "MKT"]
    event_list = [{"security_ticker": a, "market_ticker": "MKT", "event_date": d}
                  for d in pd.to_datetime(events["date"]).to_numpy() for a in assets]
    agg = les.Multiple.from_list(event_list, les.Single.market_model, event_window=WIN, estimation_size=EST_SIZE,
                                 buffer_size=GAP, ignore_errors=False)
    table = agg.results(asterisks=False, decimals=None)
    car = np.array([single.CAR[-1] for single in agg.sample])
    return car, {"CAAR t (MacKinlay, estimation residual variance)": float(table["T-stat"].iloc[-1]),
                 "p": float(table["P-value"].iloc[-1])}


def robust(prices: pd.DataFrame, events: pd.DataFrame) -> tuple[np.ndarray, dict]:
    from robust_eventstudy import BootstrapBCA, MarketModel

    r, dates, names = returns_wide(prices)
    days, ev_days = session_calendar(dates, events)
    series = {c: pd.Series(r[:, i], index=days) for i, c in enumerate(names)}
    # its estimation days run from event - gap - 1 - estimation_window to event - gap - 1, both included
    model = MarketModel(estimation_window=EST[1] - EST[0], gap_window=-EST[1] - 1, market_proxy="MKT")
    model.set_market_returns(series["MKT"])
    assets = [c for c in names if c != "MKT"]
    window = (WIN[0], WIN[0] + 4)  # five observations, the fewest it accepts
    car, sar = np.empty(len(ev_days) * len(assets)), np.empty(len(ev_days) * len(assets))
    k = 0
    for d in ev_days:
        last = d + pd.Timedelta(days=WIN[1])
        for a in assets:
            res = model.compute_abnormal_returns(series[a], d, window, symbol=a)
            if "error" in res:
                raise RuntimeError(f"{a} {d.date()}: {res['error']}")
            ar = res["abnormal_returns"].loc[:last]  # the -1:1 abnormal returns
            assert len(ar) == WIN[1] - WIN[0] + 1 and res["estimation_n"] == EST_SIZE
            car[k] = ar.sum()
            sar[k] = car[k] / (res["estimation_std"] * np.sqrt(len(ar)))  # its SAR, over -1:1
            k += 1
    event_means = car.reshape(len(ev_days), len(assets)).mean(axis=1)  # event_level_cars' aggregation
    bca = BootstrapBCA(n_bootstrap=1000, random_state=0).compute_bca_ci(event_means)
    assert np.isfinite(sar).all()
    return car, {"event-level mean CAR, BCa bootstrap p": float(bca["bootstrap_pvalue"]),
                 "CI": [float(bca["ci_low"]), float(bca["ci_high"])]}


def easy(prices: pd.DataFrame, events: pd.DataFrame) -> tuple[np.ndarray, dict]:
    from easy_es import EventStudy, calculate_car_stats

    r, dates, names = returns_wide(prices)
    days, ev_days = session_calendar(dates, events)
    m = names.index("MKT")
    cols = [i for i, c in enumerate(names) if c != "MKT"]
    assets = [names[i] for i in cols]
    # dates as datetime.date objects, the type it converts them to: under pandas >= 2 a datetime64 'Date'
    # column stays datetime64 through its .loc assignment and its merge with the events then fails
    ret = pd.DataFrame({"ticker": np.repeat(assets, len(days)), "Date": np.tile(days.date, len(cols)),
                        "Ret": r[:, cols].T.ravel(), "Volume": 0.0})
    factors = pd.DataFrame({"Date": days.date, "Mkt-RF": r[:, m]})
    ev = pd.DataFrame({"ticker": np.tile(assets, len(ev_days)), "event_date": np.repeat(ev_days.date, len(assets))})
    study = EventStudy(estimation_days=EST_SIZE, gap_days=GAP, window_before=-WIN[0], window_after=WIN[1],
                       min_estimation_days=100, estimator_type="capm", n_cores=1)
    study.add_returns(ret_df=ret)
    study.add_factors(factors)
    res = study.run_study(ev)
    stats = calculate_car_stats(res)
    last = res[res["Offset"] == WIN[1]].sort_values("event_id")
    assert len(last) == len(ev) and (last["event_id"].to_numpy() == np.arange(len(ev))).all(), "a member was dropped"
    return last["car"].to_numpy(dtype=float), {"mean-CAR t (cross-sectional)": float(stats["t_stat"].iloc[-1]),
                                               "p": float(stats["p_value"].iloc[-1])}


PEERS = {"eventstudy": (lemaire, "eventstudy"), "robust-eventstudy": (robust, "robust-eventstudy"),
         "easy-es": (easy, "easy-es")}


class Overtime(BaseException):  # not an Exception: no peer's ``except Exception`` swallows it
    pass


def _overtime(signum, frame):
    raise Overtime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data")
    ap.add_argument("peer", choices=sorted(PEERS))
    ap.add_argument("out")
    ap.add_argument("--limit", type=float, default=600.0, help="seconds allowed to each run (cold, warm)")
    a = ap.parse_args()
    func, dist = PEERS[a.peer]
    report = {"peer": a.peer, "python": sys.version.split()[0], "pandas": pd.__version__, "numpy": np.__version__,
              "cold": None, "warm": None}
    try:
        report["version"] = metadata.version(dist)
    except metadata.PackageNotFoundError:
        report["error"] = f"{dist} is not installed for {sys.executable}"
        print(json.dumps(report), flush=True)
        return
    if a.peer == "eventstudy":
        import eventstudy

        assert hasattr(eventstudy, "Single"), f"not Lemaire's eventstudy: {eventstudy.__file__}"
    prices, events = load(a.data)
    signal.signal(signal.SIGALRM, _overtime)
    car = stats = None
    for run in ("cold", "warm"):  # a second run in the process, as the project's timing
        car = stats = None
        t0 = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, a.limit)
        try:
            car, stats = func(prices, events)
        except Overtime:
            report["error"] = f"did not finish within {a.limit:g} s ({run} run)"
            break
        except Exception as e:  # the peer failed: say how, and stop
            traceback.print_exc()
            report["error"] = f"{run} run failed: {type(e).__name__}: {e}"
            break
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        report[run] = time.perf_counter() - t0
    if car is not None:
        np.save(a.out, car)
        report.update(n=int(car.size), sum=float(car.sum()), head=car[:3].tolist(), stats=stats)
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
