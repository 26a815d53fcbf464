"""The HTML outputs: styled tables written out by hand, and the run's self-contained report.html
opened in a real headless browser (Debian's Chromium): it must render content, decode every
embedded figure and never scroll sideways, on a desktop's width and on the narrowest window
headless Chromium makes (500 px).

CI installs Chromium and requires the browser tests (EVENTSTUDY_REQUIRE_CHROMIUM=1); elsewhere
they are skipped when no Chromium is installed."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.cli import main
from eventstudy.report.html import html_document, html_table, write_report

BROWSER_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--hide-scrollbars", "--disable-dev-shm-usage"]
PROBE = """<script>
window.addEventListener('load', function () {
  var d = document.documentElement, imgs = Array.prototype.slice.call(document.images);
  var wide = Array.prototype.slice.call(document.querySelectorAll('body *')).filter(function (e) {
    return e.getBoundingClientRect().right > d.clientWidth + 1 && !e.closest('.scroll'); });
  var p = document.createElement('pre'); p.id = 'es-probe';
  p.textContent = JSON.stringify({scrollWidth: d.scrollWidth, clientWidth: d.clientWidth, images: imgs.length,
    decoded: imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length,
    text: document.body.innerText.length, wide: wide.slice(0, 5).map(function (e) { return e.tagName; })});
  document.body.appendChild(p);
});
</script>"""


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    if os.environ.get("EVENTSTUDY_REQUIRE_CHROMIUM") == "1":
        pytest.fail("Chromium is not installed; .ci/run installs Debian's chromium package")
    pytest.skip("Chromium is not installed")


def browse(page: Path, tmp: Path, width: int, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([chromium(), *BROWSER_FLAGS, f"--user-data-dir={tmp / f'profile-{width}'}",
                           f"--window-size={width},1600", *args, page.as_uri()],
                          capture_output=True, text=True, timeout=120, check=True)


def measure(report: Path, tmp: Path, width: int) -> dict:
    """Open a copy of the report with a probe script at its end; the DOM after load carries what
    the browser measured (the report itself has no script)."""
    probe = tmp / f"probe-{width}.html"
    probe.write_text(report.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = browse(probe, tmp, width, "--virtual-time-budget=10000", "--dump-dom").stdout
    found = re.search(r'<pre id="es-probe">(.*?)</pre>', dom, re.S)
    assert found, f"the probe did not run; the browser printed {dom[:300]!r}"
    return json.loads(found.group(1).replace("&quot;", '"'))


def screenshot_is_content(report: Path, tmp: Path, width: int) -> None:
    from PIL import Image

    shot = tmp / f"shot-{width}.png"
    browse(report, tmp, width, f"--screenshot={shot}")
    pixels = np.asarray(Image.open(shot).convert("RGB")).reshape(-1, 3)
    ink = (pixels < 200).any(axis=1).mean()
    colours = len(np.unique(pixels[:: max(1, len(pixels) // 200_000)], axis=0))
    assert ink > 0.03 and colours > 50, f"{width}px screenshot looks blank: {ink:.1%} ink, {colours} colours"


# ------------------------------------------------------------------------------------------ tables


def test_a_table_is_escaped_with_readable_headers_and_true_minus_signs():
    frame = pd.DataFrame({"event_id": ["<script>alert(1)</script>", "a&b"], "kp_bmp stat": ["-2.500", "1.000"],
                          "kp_bmp p": ["0.014**", "<0.001***"], "CAAR %": ["-1.40", "0.22"]})
    out = html_table(frame, "Title <b>", "p<0.10 & more")
    assert "<script>" not in out and "&lt;script&gt;alert(1)&lt;/script&gt;" in out and "a&amp;b" in out
    assert [h for h in re.findall(r"<th>(.*?)</th>", out)] == ["event_id", "KP-BMP t", "KP-BMP p", "CAAR (%)"]
    assert '<td class="num">−2.500</td>' in out and '<td class="num">&lt;0.001***</td>' in out
    assert '<td class="num">0.014**</td>' in out and "<td>a&amp;b</td>" in out
    assert "<figcaption>Title &lt;b&gt;</figcaption>" in out and '<p class="note">p&lt;0.10 &amp; more</p>' in out


def test_empty_tables_say_so():
    assert "(no rows)" in html_table(pd.DataFrame({"a": []}), "t")
    assert "(no columns)" in html_table(pd.DataFrame(), "t")


def test_a_figure_shows_at_its_own_resolution(tmp_path):
    """A 4 x 3 inch figure saved at 100 dpi (400 px) is shown 4 x 96 = 384 CSS pixels wide."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 3))
    fig.subplots().plot([0, 1], [1, 0])
    fig.savefig(tmp_path / "f.png", dpi=100)
    import eventstudy as es

    res = small_study_results()
    page = write_report(res, tmp_path / "report.html", tables={}, title="t", conventions="c", model_text="m",
                        figures=[tmp_path / "f.png", tmp_path / "missing.png"])
    text = page.read_text()
    assert len(re.findall(r"<img ", text)) == 1 and 'width="384" src="data:image/png;base64,' in text
    assert es.__version__ in text


def small_study_results():
    import eventstudy as es

    rng = np.random.default_rng(5)
    dates = pd.bdate_range("2023-01-02", periods=400)
    tickers = ["MKT", "AAA", "BBB"]
    ret = rng.normal(0.0003, 0.01, (len(dates), len(tickers)))
    prices = pd.DataFrame({"ticker": np.repeat(tickers, len(dates)), "date": np.tile(dates, len(tickers)),
                           "close": (100 * np.exp(np.cumsum(ret, axis=0))).T.ravel()})
    prices["adj_close"] = prices["close"]
    events = pd.DataFrame({"event_id": ["e1", "e2", "e3", "e4"], "side": ["up", "down"] * 2,
                           "date": dates[[300, 320, 340, 360]].strftime("%Y-%m-%d")})
    return es.EventStudy(es.load_events(frame=events), prices, model="market", market="MKT", group="side",
                         windows=((-1, 1), (0, 0)), n_boot=50).fit()


# ------------------------------------------------------------------------------------------ the report


@pytest.fixture(scope="module")
def main_job(tmp_path_factory):
    out = tmp_path_factory.mktemp("html") / "results"
    assert main(["run", "--out", str(out), "--placebo", "200", "--no-pdf"]) == 0
    return out


@pytest.mark.slow
def test_the_report_is_self_contained_and_complete(main_job):
    report = main_job / "report.html"
    text = report.read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    assert not re.search(r'(src|href)="(https?:)?//', text), "the report fetches or links something outside itself"
    figures = sorted((main_job / "figures").glob("*.png"))
    assert len(figures) >= 3 and len(re.findall(r'<img [^>]*src="data:image/png;base64,', text)) == len(figures)
    for heading in ("Headline", "Conventions", "Figures", "Pooled tests by group", "CAR per event and market",
                    "Claims check", "Placebo-date test", "Exclusions", "Overlapping windows", "Day-0 alignment",
                    "Files of this run"):
        assert f"<h2>{heading}</h2>" in text
    links = re.findall(r'<a href="([^"#][^"]*)"', text)
    assert "manifest.json" in links and "tables/headline.md" in links
    assert all((main_job / link).is_file() for link in links)
    manifest = json.loads((main_job / "manifest.json").read_text())
    assert "report.html" in manifest["files"]
    # the headline's cells are those of tables/headline.csv, in order
    cells = re.findall(r"<td[^>]*>(.*?)</td>", text.split("<h2>Conventions</h2>")[0])
    head = pd.read_csv(main_job / "tables" / "headline.csv", dtype=str, keep_default_na=False)
    assert cells[: head.shape[1]] == [c.replace("-", "−", 1) if c.startswith("-") else c for c in head.iloc[0]]
    # the exclusions, one row each, as in exclusions.csv
    excl = pd.read_csv(main_job / "exclusions.csv")
    assert f"Pairs left out ({len(excl):,} rows)" in text or len(excl) <= 40


@pytest.mark.slow
@pytest.mark.parametrize("width", [1280, 500])  # 500: the narrowest window headless Chromium makes
def test_the_report_renders_in_a_browser_without_sideways_scrolling(main_job, tmp_path, width):
    m = measure(main_job / "report.html", tmp_path, width)
    assert m["scrollWidth"] <= m["clientWidth"], f"{width}px: the page scrolls sideways ({m})"
    assert m["images"] == m["decoded"] == len(list((main_job / "figures").glob("*.png")))
    assert m["text"] > 2000 and not m["wide"]
    screenshot_is_content(main_job / "report.html", tmp_path, width)


def test_a_users_report_without_figures_renders_too(tmp_path):
    """A user's small study with a group column, drawn without figures: the report says so and
    stands on its own in the browser."""
    events = pd.DataFrame({"event_id": ["a-very-long-event-identifier-" + "x" * 60, "b", "c"],
                           "date": ["2024-03-05", "2024-04-09", "2024-05-14"], "kind": ["one", "two", "one"]})
    dates = pd.bdate_range("2023-01-02", "2024-06-28")
    rng = np.random.default_rng(1)
    closes = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, (len(dates), 3)), axis=0))
    prices = pd.DataFrame(closes, columns=["MKT", "AAA", "BBB"]).assign(date=dates.strftime("%Y-%m-%d"))
    events.to_csv(tmp_path / "events.csv", index=False)
    prices[["date", "MKT", "AAA", "BBB"]].to_csv(tmp_path / "prices.csv", index=False)
    out = tmp_path / "out"
    assert main(["run", "--events", str(tmp_path / "events.csv"), "--prices", str(tmp_path / "prices.csv"),
                 "--market", "MKT", "--group", "kind", "--no-figures", "--no-pdf", "--placebo", "0",
                 "--n-boot", "50", "--out", str(out)]) == 0
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "No figures in this run." in text and "<h2>Claims check</h2>" not in text
    assert html_document("x", "y").startswith("<!DOCTYPE html>")
    m = measure(out / "report.html", tmp_path, 500)
    assert m["scrollWidth"] <= m["clientWidth"] and m["images"] == 0 and not m["wide"]
