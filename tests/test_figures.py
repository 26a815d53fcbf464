"""Figures from the real study and a user's: PNGs are written, the annotated prices are the real ones,
the member band is z times the estimation-window residual sd and the pooled band the Brown-Warner
1985 portfolio SD, both computed by hand; default taus, shared y scales and axis units."""

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
    selection = us_china.figure_selection(res)
    paths = figures.save_all(res, tmp_path)
    paths.append(tmp_path / "car_paths_events.png")
    figures.car_paths(res, **selection, path=paths[-1])
    paths += us_china.extra_figures(tmp_path)
    assert [p.name for p in paths] == ["car_paths.png", "caar_by_group.png", "car_paths_events.png",
                                       "intraday_es_kuala_lumpur.png"]
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
    fig = figures.car_paths(r)  # by group: one panel per region, nothing left out
    assert [ax.get_title(loc="left").split(":")[0] for ax in fig.axes if ax.get_visible()] == \
        ["north", "south", "east", "west"]
    fig = figures.car_paths(r, events=[f"x{i}" for i in range(20)])  # 20 named: 16 panels, the caption names the rest
    assert sum(ax.get_visible() for ax in fig.axes) == figures.MAX_PANELS == 16
    assert any("4 of the 20 events asked for left out" in t.get_text() and "x16, x17, x18 and x19" in
               t.get_text().replace("\n", " ") for t in fig.texts)


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

    # the band drawn in the figure (a panel of two markets) has the same half-width at the first day
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
    fig = figures.car_paths(res, events=["2025-10-26-kuala-lumpur-framework"], window=(-5, 5))
    assert any("windows=[(-5, 5)]" in t.get_text().replace("\n", " ") for t in fig.texts)


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


# ------------------------------------------------------------------ a small synthetic study, numbers by hand

def _synthetic(windows=((-2, 2),), n_days=420, seed=5):
    """Four markets and six events on known dates, a group column ``side`` (left/right)."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2022-01-03", periods=n_days)
    frames = [pd.DataFrame({"ticker": t, "date": dates, "close": 100 * np.cumprod(1 + rng.normal(0, 0.01, n_days))})
              for t in ("AAA", "BBB", "CCC", "DDD")]
    px = pd.concat(frames, ignore_index=True).assign(adj_close=lambda d: d["close"])
    ev = es.load_events(frame=pd.DataFrame({
        "event_id": [f"e{i}" for i in range(6)],
        "date": [f"{dates[300 + 17 * i]:%Y-%m-%d}" for i in range(6)],
        "side": ["left", "right"] * 3}))
    return es.EventStudy(ev, px, model="constant-mean", market=None, group="side", windows=windows,
                         estimation=(-250, -11), n_boot=50).fit()


@pytest.fixture(scope="module")
def synth():
    return _synthetic()


def _portfolio_sd_by_hand(r, group):
    """SD (ddof 1) of the group's equally weighted AAR over the estimation rows, the members aligned by
    business days before their anchor (day 0, unless a holiday of the market pushed day 0 later;
    np.busday_count), days inside other events' windows left out."""
    ar = r.abnormal_returns
    ar = ar[ar["member"].isin(r.groups()[group]) & (ar["part"] == "estimation")]
    day0 = r.members.loc[ar["member"], "anchor"].to_numpy().astype("datetime64[D]")
    off = -np.busday_count(ar["date"].to_numpy().astype("datetime64[D]"), day0)
    return ar.groupby(off)["ar"].mean().std(ddof=1)


def test_caar_band_is_the_brown_warner_1985_portfolio_sd(synth):
    data = figures.caar_path_data(synth, level=0.95)
    assert list(pd.unique(data["group"])) == ["left", "right"]
    for g in ("left", "right"):
        d = data[data["group"] == g].reset_index(drop=True)
        s = _portfolio_sd_by_hand(synth, g)
        assert d["s_portfolio"].iloc[0] == pytest.approx(s, rel=1e-9)
        n_days = np.arange(1, 6)
        assert d["se_bw1985"].to_numpy() == pytest.approx(np.sqrt(n_days) * s, rel=1e-9)
        assert (d["upper"] - d["caar"]).to_numpy() == pytest.approx(1.959963984540054 * np.sqrt(n_days) * s, rel=1e-9)
        # the naive SE: the cross-sectional sd of the members' CARs over sqrt(N), by hand
        cars = synth.car[(synth.car["window"] == "-2:2")].set_index("member")["car"]
        c = cars[synth.groups()[g]]
        assert d["caar"].iloc[-1] == pytest.approx(c.mean(), rel=1e-12)
        assert d["se_naive"].iloc[-1] == pytest.approx(c.std(ddof=1) / np.sqrt(len(c)), rel=1e-9)
    # the figure shades exactly that band
    fig = figures.caar_by_group(synth)
    band = next(c for c in fig.axes[0].collections if c.get_gid() == "band left")
    v = np.vstack([p.vertices for p in band.get_paths()])
    at_first = v[np.isclose(v[:, 0], -2), 1]
    s = _portfolio_sd_by_hand(synth, "left")
    assert (at_first.max() - at_first.min()) / 2 == pytest.approx(1.959963984540054 * s, rel=1e-9)
    dashed = [ln.get_gid() for ln in fig.axes[0].get_lines() if (ln.get_gid() or "").startswith("naive_")]
    assert sorted(dashed) == ["naive_lower left", "naive_lower right", "naive_upper left", "naive_upper right"]
    assert not [ln for ln in figures.caar_by_group(synth, naive=False).axes[0].get_lines()
                if (ln.get_gid() or "").startswith("naive_")]


def test_portfolio_sd_of_the_bundled_study_by_hand(res):
    got = res.portfolio_sd(["all", "escalation", "de-escalation"])
    for g in got.index:
        assert got[g] == pytest.approx(_portfolio_sd_by_hand(res, g), rel=1e-9)


def test_default_taus_are_the_widest_window_and_shared_y(synth):
    fig = figures.car_paths(synth)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title(loc="left").split(":")[0] for ax in panels] == ["left", "right"]
    for ax in panels:
        xs = {x for ln in ax.get_lines() if (ln.get_gid() or "").startswith(("caar", "thin")) for x in ln.get_xdata()}
        assert xs == {-2, -1, 0, 1, 2}
    assert len({ax.get_ylim() for ax in panels}) == 1
    ev = figures.car_paths(synth, events=["e0", "e1", "e2"])
    shown = [ax for ax in ev.axes if ax.get_visible()]
    assert len(shown) == 3 and len({ax.get_ylim() for ax in shown}) == 1
    # four markets a panel: no overlapping per-market bands, and the caption says so
    assert not [c for ax in shown for c in ax.collections if (c.get_gid() or "").startswith("band")]
    assert any("No bands" in t.get_text() for t in ev.texts)


def test_a_study_of_later_days_only():
    """--window 6:8: the paths are tau 6..8 (the old default window -5:5 held none of them)."""
    r = _synthetic(windows=((6, 8),))
    assert sorted(figures.car_path_data(r)["tau"].unique()) == [6, 7, 8]
    assert sorted(figures.caar_path_data(r)["tau"].unique()) == [6, 7, 8]
    fig = figures.car_paths(r)
    ticks = {t for ax in fig.axes if ax.get_visible() for t in ax.get_xticks()}
    assert ticks == {6, 7, 8}
    figures.caar_by_group(r)


def _axes_labels(fig):
    return [(ax.get_xlabel(), ax.get_ylabel()) for ax in fig.axes if ax.get_visible()]


def test_every_axis_has_a_unit(synth, res, tmp_path):
    unit = ("(%", "(sessions from day 0)", "(index points)", "(count)", "(quote units)", "(USD)", "local time, ")
    for fig in (figures.car_paths(synth), figures.car_paths(synth, events=["e0", "e3"]), figures.caar_by_group(synth),
                us_china.kuala_lumpur_figure()):
        n = sum(ax.get_visible() for ax in fig.axes)
        ncols = fig.axes[0].get_gridspec().ncols if n > 1 else 1
        labelled = _axes_labels(fig)
        for j, (xl, yl) in enumerate(labelled):
            # shared axes: the first column carries the y label, the lowest row of each column the x label
            if j % ncols == 0:
                assert any(u in yl for u in unit), yl
            if xl:
                assert any(u in xl for u in unit), xl
        assert sum(bool(xl) for xl, _ in labelled) == min(n, ncols)
    assert figures.price_unit("ES=F") == "index points"
    assert figures.price_unit("CNY=X") == "CNY per USD"
    assert figures.price_unit("SPY") == "USD"
    assert figures.price_unit("NOPE") == "quote units"


def test_intraday_event_for_any_event_and_instrument():
    bars_source = es.BundledSource()
    fig = figures.intraday_event(bars_source, "2025-10-10T10:57:00-04:00", "ES=F", interval="15m",
                                 before="6h", after="6h")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "ES=F price (index points)"
    texts = {t.get_gid(): t.get_text() for t in ax.texts if t.get_gid()}
    assert "Fri 10:45" in texts["before"] and "Fri 11:00" in texts["after"]
    with pytest.raises(ValueError, match="date-only"):
        figures.intraday_event(bars_source, {"event_id": "x", "timestamp": "2025-10-10T00:00:00+00:00",
                                             "time_precision": "date-only"}, "ES=F")


def test_long_names_wrap_instead_of_being_cut(tmp_path):
    rng = np.random.default_rng(9)
    dates = pd.bdate_range("2022-01-03", periods=400)
    px = pd.concat([pd.DataFrame({"ticker": t, "date": dates, "close": 100 * np.cumprod(1 + rng.normal(0, 0.01, 400))})
                    for t in ("AAA", "BBB")], ignore_index=True).assign(adj_close=lambda d: d["close"])
    long_id = "an-event-id-" + "that-goes-on-" * 8 + "end"
    ev = es.load_events(frame=pd.DataFrame({"event_id": [long_id, "short"], "date": [f"{dates[300]:%Y-%m-%d}",
                                                                                     f"{dates[340]:%Y-%m-%d}"],
                                            "title": ["A title " * 20, "t"],
                                            "theme": ["a very long group name " * 4, "b"]}))
    r = es.EventStudy(ev, px, model="constant-mean", market=None, group="theme", windows=((-1, 1),), n_boot=50).fit()
    for fig in (figures.car_paths(r), figures.car_paths(r, events=[long_id, "short"])):
        text = " ".join(t.get_text() for t in fig.texts) + " ".join(ax.get_title(loc="left") for ax in fig.axes)
        assert "…" not in text and "..." not in text
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        renderer = canvas.get_renderer()
        W, H = fig.bbox.width, fig.bbox.height
        from matplotlib.text import Text

        titles = [c for ax in fig.axes if ax.get_visible() for c in ax.get_children() if isinstance(c, Text)]
        for t in list(fig.texts) + titles:
            if t.get_text() and t.get_visible():
                bb = t.get_window_extent(renderer)
                assert bb.x0 >= -1 and bb.y0 >= -1 and bb.x1 <= W + 1 and bb.y1 <= H + 1, t.get_text()[:60]
    ev_title = figures.car_paths(r, events=[long_id]).axes[0].get_title(loc="left").replace("\n", "")
    assert long_id in ev_title.replace(" ", "")
