"""Bad input to eventstudy.inference gives clear errors naming the member and the fix."""

from __future__ import annotations

import numpy as np
import pytest

from eventstudy.errors import DataError, EstimationWindowError
from eventstudy.inference import Panel, battery

TAUS = np.array([-1, 0, 1])


def arrays(n=3, m=60, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(0, 0.01, (n, m)), rng.normal(0, 0.01, (n, 3))


def test_too_few_estimation_rows():
    est, evt = arrays(m=4)
    with pytest.raises(EstimationWindowError, match=r"member 0.*k\+3 = 5.*lengthen the estimation window"):
        Panel(est, evt, TAUS, k=2)
    Panel(est, evt, TAUS, k=1)  # 4 rows suffice with one parameter


def test_too_few_rows_after_missing_names_member():
    est, evt = arrays(m=30)
    est[2, 3:] = np.nan
    with pytest.raises(EstimationWindowError, match=r"member 2 \(C\): only 3 non-missing"):
        Panel(est, evt, TAUS, labels=["A", "B", "C"])


def test_all_nan_member():
    est, evt = arrays()
    est[1] = np.nan
    with pytest.raises(DataError, match=r"member 1: every estimation-window abnormal return is NaN; drop the member"):
        Panel(est, evt, TAUS)
    est, evt = arrays()
    evt[2] = np.nan
    with pytest.raises(DataError, match=r"member 2: every event-window"):
        Panel(est, evt, TAUS)


@pytest.mark.parametrize("where", ["est_ar", "evt_ar", "est_mkt"])
def test_non_finite_values(where):
    est, evt = arrays()
    mkt_e, mkt_v = arrays(seed=1)
    arrs = {"est_ar": est, "evt_ar": evt, "est_mkt": mkt_e, "evt_mkt": mkt_v}
    arrs[where][2, 1] = np.inf
    with pytest.raises(DataError, match=rf"member 2: {where} has a non-finite value .* replace it by NaN"):
        Panel(arrs["est_ar"], arrs["evt_ar"], TAUS, arrs["est_mkt"], arrs["evt_mkt"])


def test_shape_errors():
    est, evt = arrays()
    with pytest.raises(DataError, match="one row per member"):
        Panel(est, evt[:2], TAUS)
    with pytest.raises(DataError, match="one entry per evt_ar column"):
        Panel(est, evt, np.array([0, 1]))
    with pytest.raises(DataError, match="strictly increasing"):
        Panel(est, evt, np.array([1, 0, 2]))
    with pytest.raises(DataError, match="2-D"):
        Panel(est[0], evt, TAUS)
    with pytest.raises(DataError, match="both est_mkt and evt_mkt"):
        Panel(est, evt, TAUS, est_mkt=est)
    with pytest.raises(DataError, match="est_dates has shape"):
        Panel(est, evt, TAUS, est_dates=np.zeros((1, 1), dtype="datetime64[D]"))


def test_constant_returns():
    est, evt = arrays()
    est[0] = 0.0
    with pytest.raises(DataError, match=r"member 0: .*constant"):
        Panel(est, evt, TAUS)
    est, evt = arrays()
    mkt = np.ones_like(est)
    with pytest.raises(DataError, match=r"member 0: market return constant"):
        Panel(est, evt, TAUS, mkt, np.ones_like(evt), k=2)


def test_bad_options():
    p = Panel(*arrays(), TAUS)
    with pytest.raises(DataError, match="unknown test id"):
        battery(p, tests=["nope"])
    with pytest.raises(DataError, match="convention"):
        battery(p, convention="eventus")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="alternative"):
        battery(p, alternative="both")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="n_boot"):
        battery(p, n_boot=0)


def test_market_moments_stand_for_the_estimation_market_returns():
    """A caller that has each member's market mean and S_mm (the fit) may hand them over instead
    of the (N, M) market returns: the battery is the same, moments worked by hand over the rows
    that have an abnormal return."""
    rng = np.random.default_rng(3)
    est, evt = arrays(n=12, m=80, seed=3)
    est[2, 5:9] = np.nan
    est_mkt, evt_mkt = rng.normal(0, 0.01, est.shape), rng.normal(0, 0.01, evt.shape)
    mkt = np.where(np.isnan(est), np.nan, est_mkt)
    mean = np.array([np.mean(r[~np.isnan(r)]) for r in mkt])
    smm = np.array([np.sum((r[~np.isnan(r)] - mu) ** 2) for r, mu in zip(mkt, mean)])
    full = battery(Panel(est, evt, TAUS, est_mkt=est_mkt, evt_mkt=evt_mkt), n_boot=99)
    given = battery(Panel(est, evt, TAUS, evt_mkt=evt_mkt, mkt_moments=(mean, smm)), n_boot=99)
    assert np.allclose(full["statistic"], given["statistic"], rtol=1e-10, equal_nan=True)
    with pytest.raises(DataError, match="est_mkt or mkt_moments"):
        Panel(est, evt, TAUS, est_mkt=est_mkt, evt_mkt=evt_mkt, mkt_moments=(mean, smm))
    with pytest.raises(DataError, match=r"shape \(12,\)"):
        Panel(est, evt, TAUS, evt_mkt=evt_mkt, mkt_moments=(mean[:3], smm))
    with pytest.raises(DataError, match="S_mm = 0"):
        Panel(est, evt, TAUS, evt_mkt=evt_mkt, mkt_moments=(mean, np.where(np.arange(12) == 4, 0.0, smm)))
