"""The news-sentence corpus (tests/data/articles/sentences.csv, provenance in its README.md).

Each row is one quantitative market claim paraphrased from a real news article, with the claim's
instrument, basis, dates and reported figures written as a claims-file row. This test (1) keeps the
corpus well formed and varied, and (2) pins it to the bundled prices: the existing checker
``check_claims`` must give every row its ``expected_verdict`` (deliberately wrong rows: ``differs``).
The article reader's own tests are not here.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pandas as pd
import pytest

ARTICLES = Path(__file__).resolve().parent / "data" / "articles"
COLUMNS = ["id", "url", "published", "sentence", "instrument", "basis", "start", "end", "reported_pct",
           "reported_points", "reported_level", "expected_verdict", "wrong", "notes"]
INSTRUMENTS = {"^DJI", "^GSPC", "^IXIC", "^N225", "^KS11", "^HSI", "000001.SS", "SPY", "QQQ", "ES=F", "NQ=F", "YM=F",
               "CNY=X", "ZS=F"}
BASES = {"close-to-close", "year-to-date", "price-level", "intraday", "after-hours-futures"}
VERDICTS = {"reproduced", "differs", "needs-data"}
US = {"^DJI", "^GSPC", "^IXIC"}
ASIA = {"^N225", "^KS11", "^HSI", "000001.SS"}
OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|Z)$")


def _verify_module():
    spec = importlib.util.spec_from_file_location("verify_sentences", ARTICLES / "verify_sentences.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def corpus() -> pd.DataFrame:
    return pd.read_csv(ARTICLES / "sentences.csv", dtype=str, keep_default_na=False, encoding="utf-8")


def test_columns_and_ids(corpus):
    assert list(corpus.columns) == COLUMNS
    assert len(corpus) >= 50
    assert corpus["id"].is_unique
    assert (corpus["id"].str.strip() != "").all()


def test_every_row_has_provenance(corpus):
    assert corpus["url"].str.match(r"^https?://\S+$").all()
    assert (corpus["sentence"].str.strip() != "").all()
    assert (corpus["notes"].str.strip() != "").all()
    for value in corpus["published"]:
        assert OFFSET.match(value), f"published {value!r} has no UTC offset"
        assert pd.Timestamp(value).tzinfo is not None


def test_values(corpus):
    assert set(corpus["instrument"]) <= INSTRUMENTS
    assert set(corpus["basis"]) <= BASES
    assert set(corpus["expected_verdict"]) <= VERDICTS
    assert set(corpus["wrong"]) <= {"0", "1"}
    figures = corpus[["reported_pct", "reported_points", "reported_level"]]
    assert (figures != "").any(axis=1).all(), "every row reports at least one figure"
    for col in figures:
        pd.to_numeric(corpus.loc[corpus[col] != "", col])  # numbers only (signed, no commas or % signs)


def test_wrong_rows(corpus):
    wrong = corpus[corpus["wrong"] == "1"]
    assert len(wrong) >= 8
    assert wrong["id"].str.endswith("-wrong").all()
    assert (wrong["expected_verdict"] == "differs").all()
    assert wrong["notes"].str.contains("figure altered on purpose").all()
    real = corpus.set_index("id")
    for _, row in wrong.iterrows():
        base = real.loc[row["id"].removesuffix("-wrong")]
        assert base["url"] == row["url"] and base["wrong"] == "0"
    assert not corpus.loc[corpus["wrong"] == "0", "id"].str.endswith("-wrong").any()


def test_variety(corpus):
    real = corpus[corpus["wrong"] == "0"]
    assert real["instrument"].nunique() >= 6
    assert ((real["basis"] == "close-to-close") & real["instrument"].isin(US)).sum() >= 8
    assert real["instrument"].isin(ASIA).sum() >= 8
    assert (real["basis"] == "year-to-date").sum() >= 3
    assert ((real["reported_points"] != "") & (real["reported_pct"] != "")).sum() >= 3
    assert (real["basis"] == "price-level").sum() >= 3
    assert (real["instrument"] == "CNY=X").sum() >= 1
    assert (real["expected_verdict"] == "needs-data").sum() >= 5
    assert (real["expected_verdict"] == "reproduced").sum() >= 40
    weekly = real[(real["basis"] == "close-to-close") & real["sentence"].str.contains("week", case=False)]
    assert len(weekly) >= 3
    days = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Sunday")
    assert sum(real["sentence"].str.contains(d).any() for d in days) >= 4


def test_verdicts_against_bundled_snapshot(corpus):
    res = _verify_module().check(corpus)
    assert list(res["claim_id"]) == list(corpus["id"])
    got = dict(zip(res["claim_id"], res["verdict"], strict=True))
    mismatched = {i: (got[i], e) for i, e in zip(corpus["id"], corpus["expected_verdict"], strict=True) if got[i] != e}
    assert not mismatched, f"verdict != expected_verdict (got, expected): {mismatched}"
