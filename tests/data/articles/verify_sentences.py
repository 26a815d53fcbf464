"""Check the news-sentence corpus against the bundled price snapshot.

Builds a claims file (the columns of :func:`eventstudy.claims.load_claims`) from ``sentences.csv``,
runs the existing checker :func:`eventstudy.claims.check_claims` on it (default source: the bundled
snapshot) and prints, per row, the verdict, the expected verdict and the checker's detail.

    PYTHONPATH=. python tests/data/articles/verify_sentences.py           # print
    PYTHONPATH=. python tests/data/articles/verify_sentences.py --write   # fill expected_verdict

Exit status 1 if some verdict differs from ``expected_verdict`` (without ``--write``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
SENTENCES = HERE / "sentences.csv"
CLAIM_COLUMNS = ["claim_id", "source", "quote", "instrument", "basis", "start", "end", "reported_pct",
                 "reported_level", "reported_points", "tolerance_pct", "notes"]


def read_sentences(path: Path = SENTENCES) -> pd.DataFrame:
    """The corpus as strings (empty cells are '')."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def claims_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The corpus rows as a claims table (tolerance empty: half a unit of the last quoted digit)."""
    return pd.DataFrame({
        "claim_id": rows["id"], "source": rows["url"], "quote": rows["sentence"],
        "instrument": rows["instrument"], "basis": rows["basis"], "start": rows["start"], "end": rows["end"],
        "reported_pct": rows["reported_pct"], "reported_level": rows["reported_level"],
        "reported_points": rows["reported_points"], "tolerance_pct": "", "notes": "",
    })[CLAIM_COLUMNS]


def check(rows: pd.DataFrame) -> pd.DataFrame:
    """check_claims on the rows (written to a temporary claims CSV); claim_id, verdict, detail."""
    from eventstudy.claims import check_claims

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "claims.csv"
        claims_frame(rows).to_csv(path, index=False, encoding="utf-8")
        res = check_claims(path)
    return res[["claim_id", "verdict", "detail"]].reset_index(drop=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="write the verdicts into expected_verdict")
    args = ap.parse_args(argv)
    rows = read_sentences()
    res = check(rows)
    bad = 0
    for (_, row), (_, r) in zip(rows.iterrows(), res.iterrows(), strict=True):
        flag = "" if r["verdict"] == row["expected_verdict"] else "  <-- expected " + (row["expected_verdict"] or "?")
        bad += bool(flag)
        print(f"{row['id']:<32} {r['verdict']:<11}{flag}\n    {r['detail']}")
    print(pd.Series(res["verdict"]).value_counts().to_string())
    if args.write:
        rows["expected_verdict"] = res["verdict"].to_numpy()
        rows.to_csv(SENTENCES, index=False, encoding="utf-8")
        print(f"wrote expected_verdict into {SENTENCES}")
        return 0
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
