"""Figures from the real study: PNGs are written, the annotated prices are the real ones, the band
half-width is z times the estimation-window residual sd computed by hand."""

import numpy as np
import pandas as pd
import pytest

import eventstudy as es

pytest.importorskip("matplotlib")
from eventstudy.report import figures  # noqa: E402


@pytest.fixture(scope="module")
def res():
    return es.us_china_study(assets=("SPY", "^N225", "^KS11", "ES=F"), n_boot=100).fit()


def test_save_all_writes_pngs(res, tmp_path):
    paths = figures.save_all(res, tmp_path)
    assert [p.name for p in paths] == ["car_paths.png", "caar_by_group.png", "intraday_es_kuala_lumpur.png"]
    for p in paths:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 20_000


def test_intraday_annotations_are_the_real_prices():
    fig = figures.intraday_es_kuala_lumpur()
    texts = {t.get_gid(): t.get_text() for t in fig.axes[0].texts if t.get_gid()}
    assert "6827.25" in texts["before"] and "Fri 15:59" in texts["before"]
    assert "6881.00" in texts["after"] and "Sun 18:00" in texts["after"]
    assert texts["move"] == f"{(6881.00 / 6827.25 - 1) * 100:+.2f} %" == "+0.79 %"


def test_band_half_width_is_z_times_residual_sd(res):
    data = figures.car_path_data(res, events=["2025-10-26-kuala-lumpur-framework"], assets=["^N225"], level=0.95)
    first = data.sort_values("tau").iloc[0]
    ar = res.abnormal_returns
    est = ar[(ar.event_id == "2025-10-26-kuala-lumpur-framework") & (ar.asset == "^N225") & (ar.part == "estimation")]
    s = np.sqrt((est["ar"] ** 2).sum() / (est["ar"].notna().sum() - 1))  # constant mean: k = 1
    assert (first["upper"] - first["car"]) == pytest.approx(1.959963984540054 * s, rel=1e-9)


def test_caar_by_group_lines(res):
    fig = figures.caar_by_group(res)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert any(lbl.startswith("de-escalation (N = ") for lbl in labels)
    assert any(lbl.startswith("escalation (N = ") for lbl in labels)


def test_unknown_event_or_asset_is_named(res):
    with pytest.raises(ValueError, match="nope"):
        figures.car_paths(res, events=["nope"])
    with pytest.raises(ValueError, match="TSLA"):
        figures.car_paths(res, assets=["TSLA"])
