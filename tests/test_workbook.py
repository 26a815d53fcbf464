"""results.xlsx (``eventstudy run --xlsx``): every tidy table a sheet, numbers as numbers, instants
as ISO text with their offset, and a hostile id written as text, never as a formula."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eventstudy.cli import main

openpyxl = pytest.importorskip("openpyxl")


def test_the_workbook_holds_every_tidy_table(tmp_path):
    rng = np.random.default_rng(2)
    dates = pd.bdate_range("2023-01-02", periods=400)
    closes = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, (len(dates), 3)), axis=0))
    pd.DataFrame(closes, columns=["MKT", "AAA", "BBB"]).assign(date=dates.strftime("%Y-%m-%d"))[
        ["date", "MKT", "AAA", "BBB"]].to_csv(tmp_path / "p.csv", index=False)
    pd.DataFrame({"event_id": ["=HYPERLINK(\"http://x\")", "calm"], "date": dates[[300, 350]].strftime("%Y-%m-%d"),
                  "timestamp": ["", f"{dates[350]:%Y-%m-%d}T14:30:00-04:00"]}).to_csv(tmp_path / "e.csv", index=False)
    out = tmp_path / "out"
    assert main(["run", "--events", str(tmp_path / "e.csv"), "--prices", str(tmp_path / "p.csv"), "--market", "MKT",
                 "--window", "0:1", "--xlsx", "--no-figures", "--no-pdf", "--placebo", "0", "--n-boot", "50",
                 "--out", str(out)]) == 0
    book = pd.read_excel(out / "results.xlsx", sheet_name=None)
    assert list(book) == ["caar", "car", "tests", "params", "bhar_tests", "exclusions", "overlaps", "alignment"]
    car_csv = pd.read_csv(out / "car.csv")
    np.testing.assert_allclose(book["car"]["car"].to_numpy(float), car_csv["car"].to_numpy(float), rtol=1e-12)
    assert len(book["tests"]) == len(pd.read_csv(out / "tests.csv"))
    wb = openpyxl.load_workbook(out / "results.xlsx")
    ids = [c.value for c in wb["car"]["A"][1:]]
    assert "'=HYPERLINK(\"http://x\")" in ids  # the apostrophe of the CSVs: text, not a formula
    assert all(c.data_type != "f" for row in wb["car"].iter_rows() for c in row)
    instants = book["alignment"]["event_time_utc"].astype(str).tolist()
    assert any(t.endswith("+00:00") and "18:30:00" in t for t in instants)  # 14:30 -04:00 as UTC, with its offset
    assert "results.xlsx" in (out / "manifest.json").read_text()


def test_a_table_longer_than_a_sheet_is_named_not_a_traceback(tmp_path, monkeypatch):
    import eventstudy.report.workbook as workbook

    monkeypatch.setattr(workbook, "MAX_SHEET_ROWS", 3)
    path = workbook.write_workbook({"small": pd.DataFrame({"a": [1, 2]}), "big": pd.DataFrame({"a": range(5)})},
                                   tmp_path / "r.xlsx")
    book = pd.read_excel(path, sheet_name=None)
    assert list(book) == ["notes", "small"] and "big: 5 rows" in book["notes"]["note"].iloc[0]
    assert "read big.csv" in book["notes"]["note"].iloc[0]
