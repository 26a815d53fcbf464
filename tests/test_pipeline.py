"""The pipeline's steps agree with each other: the battery's CAR variance is the CLM prediction-error
variance of car.csv for every model (the three textbook ones, whose factors the battery derives
itself, and any other, which hands over its exact factors), and the plan travels to workers intact."""

import dataclasses
import pickle
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy.eventtime import build_panel
from eventstudy.pipeline.estimate import estimate
from eventstudy.pipeline.infer import BatteryInputs
from eventstudy.pipeline.prepare import prepare


@dataclasses.dataclass(frozen=True)
class BetaOnly(es.NormalReturnModel):
    """A user's model: R_it = beta_i R_mt + e_it (k = 1, but not the constant mean)."""

    name: ClassVar[str] = "beta-only"
    k: ClassVar[int] = 1

    def columns(self, reg):
        return [reg]


def universe(seed=4):
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2022-01-03", periods=600)
    m = rng.normal(0.0004, 0.01, len(dates))
    frames = [pd.DataFrame({"ticker": "MKT", "date": dates, "close": 100 * np.cumprod(1 + m)})]
    for i, beta in enumerate((0.6, 1.0, 1.4)):
        r = 0.0003 + beta * m + rng.normal(0, 0.012, len(dates))
        frames.append(pd.DataFrame({"ticker": f"A{i}", "date": dates, "close": 50 * np.cumprod(1 + r)}))
    px = pd.concat(frames, ignore_index=True).assign(adj_close=lambda d: d["close"])
    ev = es.load_events(frame=pd.DataFrame({"event_id": ["e0", "e1", "e2"],
                                            "date": [f"{dates[j]:%Y-%m-%d}" for j in (320, 335, 520)]}))
    return px, ev


@pytest.mark.parametrize("model", ["constant-mean", "market-adjusted", "market", BetaOnly(),
                                   es.FactorModel(("MKT",), lags=1)], ids=str)
def test_battery_car_variance_is_the_clm_variance_of_car_csv(model):
    px, ev = universe()
    spec = es.EventStudy(ev, px, model=model, market="MKT", estimation=(-250, -11),
                         windows=((-1, 1), (0, 3)), n_boot=50)
    res = spec.fit()
    prep = prepare(spec)
    plan = prep.plan
    panel = build_panel(prep.returns, prep.members, plan.taus, market=plan.market, factors=plan.factors,
                        kind=plan.returns)
    e = estimate(plan, prep.members, panel, prep.window_days)
    inputs = BatteryInputs(plan, e)
    for w in plan.windows:
        battery_var = inputs.panel(np.arange(len(e.panel.members)), w).car_var("clm")
        se = res.car.loc[res.car["window"] == w.label, "se"].to_numpy()
        np.testing.assert_allclose(battery_var, se ** 2, rtol=1e-9, err_msg=f"{model} {w}")


def test_plan_and_windows_pickle_for_workers():
    px, ev = universe()
    spec = es.EventStudy(ev, px, model=BetaOnly(), market={"A0": "MKT", "A1": "MKT", "A2": "A0"})
    plan = prepare(spec).plan
    back = pickle.loads(pickle.dumps(plan))
    assert back == plan and isinstance(back.estimation, es.Window) and back.windows == plan.windows
    assert plan.benchmarks(["A2"]) == {"A0"} and plan.regressors() == ({"MKT", "A0"}, {"MKT"})


def test_results_are_compared_by_identity_not_by_frames():
    px, ev = universe()
    a = es.EventStudy(ev, px, market="MKT", n_boot=50).fit()
    assert a == a and a != es.EventStudy(ev, px, market="MKT", n_boot=50).fit() and hash(a)
