"""Benchmark of the article reader (not a test): draft and check every bundled test article.

    python benchmarks/bench_articles.py            # the 5 seed articles and the 36 real-news articles
    python benchmarks/bench_articles.py --repeat 5

In a fresh process: imports eventstudy, then reads each article of ``tests/data/articles`` (the
five seeds with their publication instants, and the real-news corpus grouped by URL into one short
article each), drafts its claims (:func:`eventstudy.draft_claims`) and checks them against the
bundled prices (:func:`eventstudy.check_claims`), ``--repeat`` times. Prints the wall time of the
first pass (calendars, prices and bars read), the median of the others, the claims found and the
peak resident memory of the process.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import csv, resource, statistics, sys, time
from pathlib import Path
t0 = time.perf_counter()
import pandas as pd
from eventstudy import check_claims, draft_claims
from eventstudy.claims import claims_frame
from eventstudy.prices.bundled import BundledSource
root, repeat = Path(sys.argv[1]), int(sys.argv[2])
seeds = root / "seeds"
articles = []
with open(seeds / "published.csv", encoding="utf-8") as fh:
    for r in csv.DictReader(fh):
        articles.append(((seeds / r["file"]).read_text(encoding="utf-8"), r["published"]))
corpus = pd.read_csv(root / "sentences.csv", dtype=str, keep_default_na=False)
for (_, _), g in corpus.groupby(["url", "wrong"], sort=False):
    articles.append(("\\n".join(dict.fromkeys(g["sentence"])), g["published"].iloc[0]))
t_import = time.perf_counter() - t0
times, n = [], 0
for _ in range(repeat):
    source = BundledSource()
    t = time.perf_counter()
    frames = [draft_claims(text, published=pub, source=f"a{i}") for i, (text, pub) in enumerate(articles)]
    drafts = pd.concat(frames, ignore_index=True)
    placed = drafts[drafts["status"] == "placed"]
    checked = check_claims(claims_frame(placed), source)
    times.append(time.perf_counter() - t)
    n = len(drafts)
print(f"{len(articles)} articles, {n} claims found ({len(placed)} placed, {n - len(placed)} unplaced), "
      f"{(checked['verdict'] == 'reproduced').sum()} reproduced: first pass {times[0]:.2f} s, "
      + (f"then median {statistics.median(times[1:]):.2f} s, " if len(times) > 1 else "")
      + f"imports and reading {t_import:.2f} s, "
      + f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
"""


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=3, help="passes over all articles (default 3)")
    args = p.parse_args()
    out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT / "tests" / "data" / "articles"), str(args.repeat)],
                         capture_output=True, text=True, check=False)
    sys.stdout.write(out.stdout)
    sys.stderr.write(out.stderr)
    return out.returncode


if __name__ == "__main__":
    raise SystemExit(main())
