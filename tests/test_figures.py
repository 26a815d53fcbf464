"""Figures from the real study: PNGs are written, the annotated prices are the real ones, the band
half-width is z times the estimation-window residual sd computed by hand."""

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy.examples import us_china

pytest.importorskip("matplotlib")
from eventstudy.report import figures  # noqa: E402


@pytest.fixture(scope="module")
def res():
    return us_china.study(n_boot=200).fit()


@pytest.mark.slow
def test_save_all_writes_pngs(res, tmp_path):
    paths = figures.save_all(res, tmp_path, **us_china.figure_selection(res))
    paths += us_china.extra_figures(tmp_path)
    assert [p.name for p in paths] == ["car_paths.png", "caar_by_group.png", "intraday_es_kuala_lumpur.png"]
    for p in paths:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 20_000


def test_figures_of_a_users_own_study(tmp_path):
    """No example names inside the library: any group column, any events, any markets."""
    rng = np.random.default_rng(3)
    dates = pd.bdate_range("2023-01-02", periods=500)
    frames = [pd.DataFrame({"ticker": t, "date": dates, "close": 100 * np.cumprod(1 + rng.normal(0, 0.01, 500))})
              for t in ("MKT", "AAA", "BBB", "CCC")]
    px = pd.concat(frames, ignore_index=True).assign(adj_close=lambda d: d["close"])
    ev = es.load_events(frame=pd.DataFrame({"event_id": [f"x{i}" for i in range(20)],
                                            "date": [f"{dates[300 + 9 * i]:%Y-%m-%d}" for i in range(20)],
                                            "region": ["north", "south", "east", "west"] * 5}))
    r = es.EventStudy(ev, px, market="MKT", group="region", windows=((-2, 2),), n_boot=50).fit()
    paths = figures.save_all(r, tmp_path)
    assert [p.name for p in paths] == ["car_paths.png", "caar_by_group.png"]
    labels = [line.get_label() for line in figures.caar_by_group(r).axes[0].get_lines()]
    assert [lbl.split(" (")[0] for lbl in labels if "(N = " in lbl] == ["north", "south", "east", "west"]
    fig = figures.car_paths(r)  # 20 events: the 16 largest, and the caption says so
    assert sum(ax.get_visible() for ax in fig.axes) == 16
    assert any("16 of 20 events shown" in t.get_text() for t in fig.texts)


def test_intraday_annotations_are_the_real_prices():
    fig = us_china.kuala_lumpur_figure()
    texts = {t.get_gid(): t.get_text() for t in fig.axes[0].texts if t.get_gid()}
    assert "6827.25" in texts["before"] and "Fri 15:59" in texts["before"]
    assert "6881.00" in texts["after"] and "Sun 18:00" in texts["after"]
    assert texts["move"] == f"{(6881.00 / 6827.25 - 1) * 100:+.2f} %" == "+0.79 %"


def test_band_half_width_is_z_times_residual_sd(res):
    data = figures.car_path_data(res, events=["2025-10-26-kuala-lumpur-framework"], assets=["^N225"], level=0.95)
    first = data.sort_values("tau").iloc[0]
    ar = res.abnormal_returns  # recomputed from the inputs: an independent path from params["sigma"]
    est = ar[(ar.event_id == "2025-10-26-kuala-lumpur-framework") & (ar.asset == "^N225") & (ar.part == "estimation")]
    s = np.sqrt((est["ar"] ** 2).sum() / (est["ar"].notna().sum() - 1))  # constant mean: k = 1
    assert (first["upper"] - first["car"]) == pytest.approx(1.959963984540054 * s, rel=1e-9)
    assert first["n"] == 1 and first["tau"] == -1  # the bundled study's windows cover tau -1..1

    # the band drawn in the figure has the same half-width at the first accumulated day
    fig = figures.car_paths(res, events=["2025-10-26-kuala-lumpur-framework"], assets=["^N225", "SPY"])
    band = next(c for c in fig.axes[0].collections if c.get_gid() == "band 2025-10-26-kuala-lumpur-framework ^N225")
    v = np.vstack([p.vertices for p in band.get_paths()])
    at_first = v[np.isclose(v[:, 0], first["tau"]), 1]
    assert (at_first.max() - at_first.min()) / 2 == pytest.approx(1.959963984540054 * s, rel=1e-9)


def test_caar_by_group_lines(res):
    fig = figures.caar_by_group(res)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert any(lbl.startswith("de-escalation (N = ") for lbl in labels)
    assert any(lbl.startswith("escalation (N = ") for lbl in labels)


def test_unknown_event_or_asset_is_named(res):
    with pytest.raises(ValueError, match=r"unknown event.*'nope'.*2025-10-26-kuala-lumpur-framework"):
        figures.car_paths(res, events=["nope"])
    with pytest.raises(ValueError, match=r"unknown asset.*'TSLA'.*\^N225.*CNY=X"):
        figures.car_paths(res, assets=["TSLA"])
    with pytest.raises(ValueError, match=r"unknown group.*'sideways'.*escalation"):
        figures.caar_by_group(res, groups=["sideways"])


def test_no_global_style_leaks(res, tmp_path):
    import matplotlib
    import matplotlib.pyplot as plt

    before = dict(matplotlib.rcParams)
    backend, n_figs = matplotlib.get_backend(), len(plt.get_fignums())
    figures.car_paths(res, events=["2025-10-26-kuala-lumpur-framework"], path=tmp_path / "one.png")
    assert dict(matplotlib.rcParams) == before
    assert matplotlib.get_backend() == backend and len(plt.get_fignums()) == n_figs


def test_wider_window_is_clipped_to_the_study_and_said(res):
    data = figures.car_path_data(res, events=["2025-10-26-kuala-lumpur-framework"], window=(-5, 5))
    assert sorted(data["tau"].unique()) == [-1, 0, 1]
    fig = figures.car_paths(res, events=["2025-10-26-kuala-lumpur-framework"])
    assert any("windows=[(-5, 5)]" in t.get_text() for t in fig.texts)


def test_placebo_figure_marks_the_observed_caar(res, tmp_path):
    placebo = es.placebo_test(res, n_draws=400, seed=1)
    fig = figures.placebo_null(placebo, groups=["all"], path=tmp_path / "placebo.png")
    assert (tmp_path / "placebo.png").stat().st_size > 10_000
    ax = fig.axes[0]
    line = next(a for a in ax.lines if a.get_gid() == "observed all")
    want = placebo.query("group == 'all'")["caar"].iloc[0]
    assert line.get_xdata()[0] == pytest.approx(want) == pytest.approx(res.caar.query(
        "group == 'all'")["caar"].iloc[0])
    heights = sum(p.get_height() for p in ax.patches if p.get_gid() == "null all")
    assert heights == 400  # every placebo draw is in the histogram
    with pytest.raises(ValueError, match="no placebo draws"):
        figures.placebo_null(placebo, groups=["nope"])
