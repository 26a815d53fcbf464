"""The chunked and Dask engines give the in-memory engine's numbers (issue 5).

The reference is the in-memory engine, itself pinned to R estudy2 (test_inference_estudy2,
test_study_cli_estudy2); here every statistic, CAR and event-window AR of the block engines must
agree with it to 1e-12 while the members are cut into many blocks (whole events, whole assets,
and events split across blocks), for every model, both return kinds, both conventions, the real
bundled markets with their own calendars, and the r̄ subset of large groups.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
import eventstudy.pipeline.blocks as engine
from eventstudy.errors import DataError, SpecificationError
from eventstudy.examples import us_china
from eventstudy.inference import correlation
from eventstudy.pipeline.executors import DEFAULT_MEMORY, parse_memory
from eventstudy.prices.parquet import ParquetSource


def synthetic(n_assets: int, n_events: int, n_days: int, seed: int = 0):
    """Market-model prices (beta in 0.5..1.5) for MKT, F2 (a second factor) and A000...; events
    on a grid of dates, alternately in groups a and b."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2019-01-01", periods=n_days)
    mkt = rng.normal(0.0003, 0.01, n_days)
    f2 = rng.normal(0.0, 0.008, n_days)
    beta = rng.uniform(0.5, 1.5, n_assets)
    ret = 0.0001 + beta * mkt[:, None] + 0.3 * f2[:, None] + rng.normal(0, 0.015, (n_days, n_assets))
    levels = np.exp(np.cumsum(np.log1p(np.column_stack([mkt, f2, ret])), axis=0)) * 100
    tickers = ["MKT", "F2"] + [f"A{i:03d}" for i in range(n_assets)]
    long = pd.DataFrame({"ticker": np.repeat(tickers, n_days), "date": np.tile(dates.to_numpy(), len(tickers)),
                         "close": levels.T.ravel()})
    long["adj_close"] = long["close"]
    pos = np.linspace(300, n_days - 20, n_events).astype(int)
    events = pd.DataFrame({"event_id": [f"E{i:03d}" for i in range(n_events)],
                           "date": dates[pos].strftime("%Y-%m-%d"),
                           "group": np.where(np.arange(n_events) % 2, "a", "b")})
    return long, es.load_events(frame=events)


@pytest.fixture(scope="module")
def data():
    prices, events = synthetic(24, 8, 800)
    # one asset starts late: its first events have too short an estimation window (excluded)
    late = prices["ticker"].eq("A003") & (prices["date"] < prices["date"].iloc[0] + pd.Timedelta(days=560))
    # one asset misses a stretch of prices (returns spanning several sessions, NaN rows in windows)
    gap = prices["ticker"].eq("A005") & prices["date"].between("2020-06-01", "2020-06-03")
    # one asset's data end the day after the last event: its (0, 2) window runs past the data
    last = pd.Timestamp(events["event_date"].iloc[-1])
    end = prices["ticker"].eq("A007") & (prices["date"] > last + pd.Timedelta(days=1))
    return prices[~late & ~gap & ~end].reset_index(drop=True), events


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of ~30 members whatever the machine's resident memory (deterministic block count)."""
    monkeypatch.setattr(engine, "BYTES_PER_CELL", 1)
    monkeypatch.setattr(engine, "SPILL_BYTES_PER_CELL", 0)
    monkeypatch.setattr(engine, "RESULT_BYTES", 0)
    monkeypatch.setattr(engine, "RESULT_BYTES_MEMBER", 0)
    monkeypatch.setattr(engine, "rss_bytes", lambda: 0)
    return 30 * 262  # memory= that gives 30 members per block for a 262-row panel


def assert_same(mem, other, tol=1e-12):
    """Every view of the one result schema: the same columns, equal values (1e-12)."""
    a, b = mem.tests, other.tests
    assert len(a) == len(b)
    keys = ["group", "window", "tau", "test"]
    pd.testing.assert_frame_equal(a[keys], b[keys])
    for col in ("statistic", "pvalue", "df"):
        np.testing.assert_allclose(b[col].to_numpy(float), a[col].to_numpy(float), rtol=tol, atol=tol,
                                   err_msg=col)
    assert (a["n"].to_numpy() == b["n"].to_numpy()).all()
    assert (a["note"] == b["note"]).all()  # r̄, p̂ and bootstrap bands are printed in the notes
    pd.testing.assert_frame_equal(mem.members, other.members)
    pd.testing.assert_frame_equal(mem.exclusions, other.exclusions)
    pd.testing.assert_frame_equal(mem.car, other.car, rtol=tol, atol=1e-14)
    pd.testing.assert_frame_equal(mem.params, other.params, rtol=tol, atol=1e-14)
    pd.testing.assert_frame_equal(mem.event_rows, other.event_rows, rtol=tol, atol=1e-14)
    pd.testing.assert_frame_equal(mem.abnormal_returns, other.abnormal_returns, rtol=tol, atol=1e-14)
    pd.testing.assert_frame_equal(mem.estimation_exclusions, other.estimation_exclusions)
    pd.testing.assert_frame_equal(mem.caar, other.caar, rtol=tol, atol=1e-14)
    pd.testing.assert_frame_equal(mem.aar, other.aar, rtol=tol, atol=1e-14)


KW = dict(model="market", market="MKT", estimation=(-250, -11), windows=((-1, 1), (0, 0), (0, 2)), n_boot=300)


@pytest.mark.parametrize("partition", ["event", "asset"])
def test_chunked_equals_memory(data, small_blocks, partition):
    prices, events = data
    mem = es.EventStudy(events, prices, **KW).fit()
    assert len(mem.exclusions) > 0 and (mem.car["status"] != "ok").any()  # the hard cases are present
    ch = es.EventStudy(events, prices, **KW).fit(backend="chunked", memory=small_blocks, partition=partition)
    assert ch.options["blocks"] >= 6
    assert_same(mem, ch)


@pytest.mark.parametrize("model,extra", [
    ("constant-mean", {}),
    ("market-adjusted", {"returns": "log"}),
    ("market", {"convention": "estudy2", "clean_estimation": False}),
    (es.FactorModel(("MKT", "F2"), lags=1), {"market": None}),
])
def test_every_model_and_convention(data, small_blocks, model, extra):
    prices, events = data
    kw = {**KW, "model": model, **extra}
    mem = es.EventStudy(events, prices, **kw).fit()
    ch = es.EventStudy(events, prices, **kw).fit(backend="chunked", memory=small_blocks)
    assert ch.options["blocks"] >= 6
    assert_same(mem, ch)


def test_events_split_across_blocks(data, monkeypatch):
    """Blocks smaller than one event: each event's battery then comes from the reduced path."""
    monkeypatch.setattr(engine, "BYTES_PER_CELL", 1)
    monkeypatch.setattr(engine, "SPILL_BYTES_PER_CELL", 0)
    monkeypatch.setattr(engine, "RESULT_BYTES", 0)
    monkeypatch.setattr(engine, "RESULT_BYTES_MEMBER", 0)
    monkeypatch.setattr(engine, "rss_bytes", lambda: 0)
    prices, events = data
    mem = es.EventStudy(events, prices, **KW).fit()
    ch = es.EventStudy(events, prices, **KW).fit(backend="chunked", memory=10 * 262)
    assert ch.options["blocks"] > len(events)
    assert_same(mem, ch)


def test_rbar_subset_of_large_groups(data, small_blocks, monkeypatch):
    """Above MEMBER_MAX members r̄ comes from a seeded subset: the engine gathers the same rows."""
    monkeypatch.setattr(correlation, "MEMBER_MAX", 40)
    prices, events = data
    mem = es.EventStudy(events, prices, **KW).fit()
    assert mem.tests["note"].str.contains("random subset").any()
    ch = es.EventStudy(events, prices, **KW).fit(backend="chunked", memory=small_blocks)
    assert_same(mem, ch)


@pytest.mark.slow
def test_bundled_markets_with_their_own_calendars(small_blocks):
    """The real study: 14 markets on 9 calendars, stale quotes, holidays, the headline numbers."""
    mem = us_china.study().fit()
    ch = us_china.study().fit(backend="chunked", memory=small_blocks, partition="asset")
    assert ch.options["blocks"] >= 10
    assert_same(mem, ch)


def test_progress_and_spill_dir(data, small_blocks, tmp_path):
    prices, events = data
    seen = []
    spill = tmp_path / "spill"
    res = es.EventStudy(events, prices, **KW).fit(backend="chunked", memory=small_blocks, spill_dir=spill,
                                                  progress=lambda done, total, msg: seen.append((done, total, msg)))
    assert [d for d, _, _ in seen] == list(range(1, res.options["blocks"] + 1))
    assert all(t == res.options["blocks"] for _, t, _ in seen) and "members" in seen[0][2]
    assert spill.is_dir() and not list(spill.rglob("*.npy"))  # spilled rows removed after the fit


def test_chunked_results_write_the_same_files(data, small_blocks, tmp_path):
    """One result schema: the files written from the chunked engine's results equal the in-memory
    ones (estimation rows and excluded days included, written block by block)."""
    prices, events = data
    mem = es.EventStudy(events, prices, **KW).fit()
    ch = es.EventStudy(events, prices, **KW).fit(backend="chunked", memory=small_blocks)
    a = {p.name: p for p in mem.write(tmp_path / "mem")}
    b = {p.name: p for p in ch.write(tmp_path / "chunked")}
    assert set(a) == set(b) >= {"abnormal_returns.csv", "car.csv", "params.csv", "tests.csv", "manifest.json",
                                "estimation_exclusions.csv", "exclusions.csv", "alignment.csv"}
    for name in sorted(set(a) - {"manifest.json"}):
        x, y = pd.read_csv(a[name]), pd.read_csv(b[name])
        assert list(x.columns) == list(y.columns), name
        num = x.select_dtypes("number").columns
        np.testing.assert_allclose(y[num].to_numpy(float), x[num].to_numpy(float), rtol=1e-12, atol=1e-14,
                                   err_msg=name)
        text = [c for c in x.columns if c not in num]
        pd.testing.assert_frame_equal(x[text], y[text], obj=name)
    assert len(pd.read_csv(a["abnormal_returns.csv"])) == len(mem.abnormal_returns) > 0
    assert len(pd.read_csv(a["estimation_exclusions.csv"])) == len(mem.estimation_exclusions) > 0


def test_group_values_that_name_an_event_are_refused(data):
    """tests.csv has one `group` column for pooled groups and events: a group value equal to an
    event id (or 'all') would merge two batteries under one name; both engines refuse it."""
    prices, events = data
    clash = events.assign(group=["E005"] + ["x"] * (len(events) - 1))
    for backend in ("memory", "chunked"):
        with pytest.raises(DataError, match="E005"):
            es.EventStudy(clash, prices, **KW).fit(backend=backend)
    with pytest.raises(DataError, match="pooled group"):
        es.EventStudy(events.assign(group="all"), prices, **KW).fit()


def test_memory_budget_parsing_and_errors(data):
    assert parse_memory("2GB") == 2_000_000_000
    assert parse_memory("1.5GiB") == int(1.5 * 1024 ** 3)
    assert parse_memory("500 mb") == 500_000_000
    assert parse_memory(None) == DEFAULT_MEMORY
    for bad in ("lots", "-1GB", 0):
        with pytest.raises(SpecificationError, match="memory="):
            parse_memory(bad)
    prices, events = data
    spec = es.EventStudy(events, prices, **KW)
    with pytest.raises(SpecificationError, match="too small"):
        spec.fit(backend="chunked", memory="1MB")
    with pytest.raises(SpecificationError, match="backend="):
        spec.fit(backend="spark")
    with pytest.raises(SpecificationError, match="partition="):
        spec.fit(backend="chunked", partition="day")
    with pytest.raises(SpecificationError, match="backend='chunked'"):
        spec.fit(memory="1GB")  # a budget without a block engine


def test_make_blocks_keeps_events_whole():
    m = pd.DataFrame({"event_id": np.repeat(["E1", "E2", "E3", "E4"], [3, 3, 5, 2]),
                      "asset": list("abc") + list("abc") + list("abcde") + list("ab")})
    blocks = engine.make_blocks(m, partition="event", capacity=6)
    assert [b.tolist() for b in blocks] == [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12]]
    blocks = engine.make_blocks(m, partition="event", capacity=4)  # E3 (5 members) is cut
    assert [b.tolist() for b in blocks] == [[0, 1, 2], [3, 4, 5], [6, 7, 8, 9], [10], [11, 12]]
    blocks = engine.make_blocks(m, partition="asset", capacity=8)
    assert sorted(np.concatenate(blocks).tolist()) == list(range(13))
    block_of = {int(i): k for k, b in enumerate(blocks) for i in b}
    for asset, rows in m.groupby("asset").indices.items():  # whole assets: each in one block
        assert len({block_of[int(i)] for i in rows}) == 1, asset


# ------------------------------------------------------------------------------------ Dask
@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as c:
        yield c


@pytest.mark.slow
@pytest.mark.parametrize("partition", ["event", "asset"])
def test_dask_equals_local(data, client, tmp_path, partition):
    prices, events = data
    src = ParquetSource.write(prices, tmp_path / "prices.parquet")
    mem = es.EventStudy(events, prices, **KW).fit()
    d = es.EventStudy(events, src, **KW).fit(backend="dask", client=client, partition=partition, memory=40 * 200 * 262)
    assert d.options["blocks"] >= 4
    assert_same(mem, d)


@pytest.mark.slow
def test_cli_points_at_an_existing_scheduler(data, client, tmp_path, capsys):
    """`eventstudy run --backend dask --scheduler ADDRESS` with Parquet prices: the fit and the
    placebo test run on that cluster; the CSVs equal the in-memory run's."""
    from eventstudy.cli import main

    prices, events = data
    ParquetSource.write(prices, tmp_path / "p.parquet")
    events[["event_id", "date", "group"]].to_csv(tmp_path / "ev.csv", index=False)
    common = ["run", "--prices", str(tmp_path / "p.parquet"), "--events", str(tmp_path / "ev.csv"), "--market", "MKT",
              "--n-boot", "200", "--placebo", "200", "--no-figures", "--window=-1:1"]
    assert main([*common, "--out", str(tmp_path / "mem")]) == 0
    assert main([*common, "--out", str(tmp_path / "dask"), "--backend", "dask", "--partition", "asset",
                 "--scheduler", client.scheduler.address]) == 0
    assert "dask block 1/" in capsys.readouterr().err
    for name in ("car.csv", "tests.csv", "placebo.csv"):
        a, b = pd.read_csv(tmp_path / "mem" / name), pd.read_csv(tmp_path / "dask" / name)
        num = a.select_dtypes("number").columns
        np.testing.assert_allclose(b[num].to_numpy(float), a[num].to_numpy(float), rtol=1e-12, atol=1e-13,
                                   err_msg=name)


@pytest.mark.slow
def test_dask_needs_parquet_not_a_frame(data, client):
    prices, events = data
    with pytest.raises(DataError, match="ParquetSource"):
        es.EventStudy(events, prices, **KW).fit(backend="dask", client=client)


def test_parquet_source_reads_only_what_is_asked(data, tmp_path):
    prices, _ = data
    src = ParquetSource.write(prices, tmp_path / "p.parquet")
    got = src.daily(["A001", "MKT"])
    want = prices[prices["ticker"].isin(["A001", "MKT"])].sort_values(["ticker", "date"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want[got.columns.tolist()], check_dtype=False)
    assert set(src.tickers) == set(prices["ticker"])
    with pytest.raises(es.UnknownTickerError, match="NOPE"):
        src.daily(["NOPE"])
    with pytest.raises(es.PriceSourceError, match="no such Parquet"):
        ParquetSource(tmp_path / "missing.parquet")
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(es.PriceSourceError, match="not a readable Parquet"):
        ParquetSource(tmp_path / "bad.parquet")


def test_atoms_split_members_by_their_groups_and_each_group_is_the_union_of_its_atoms():
    from eventstudy.pipeline.blocks import ATOM_GROUPS, _atoms

    rng = np.random.default_rng(5)
    n = 40
    for n_groups in (1, 3, ATOM_GROUPS, ATOM_GROUPS + 1, 20):
        groups = {f"g{j}": np.sort(rng.choice(n, size=rng.integers(1, n), replace=False)) for j in range(n_groups)}
        atoms = _atoms(groups, n)
        for g, rows in groups.items():
            mine = np.sort(np.concatenate([a for a, gs in atoms if g in gs]))
            assert np.array_equal(mine, rows), (n_groups, g)  # each member once, none missing
        if n_groups <= ATOM_GROUPS:  # disjoint sets, each member in the set of exactly its groups
            seen = np.concatenate([a for a, _ in atoms])
            assert len(seen) == len(np.unique(seen))
            for a, gs in atoms:
                assert all((set(g for g, r in groups.items() if i in r) == gs) for i in a)
        else:  # too many groups to split: each group on its own
            assert [gs for _, gs in atoms] == [frozenset([g]) for g in groups]
    assert _atoms({}, n) == []


@pytest.mark.parametrize("partition", ["event", "asset"])
def test_a_signed_study_is_the_same_in_blocks(data, small_blocks, partition):
    """Signed abnormal returns (sign='direction') are signed where they are made, so every engine
    gives the in-memory numbers, with spanning groups summed over blocks."""
    prices, events = data
    events = events.assign(direction=np.where(np.arange(len(events)) % 3 == 0, -1, 1))
    events.loc[events.index[5], "direction"] = 0  # no sign: left out with the reason
    mem = es.EventStudy(events, prices, sign="direction", **KW).fit()
    ch = es.EventStudy(events, prices, sign="direction", **KW).fit(backend="chunked", memory=small_blocks,
                                                                    partition=partition)
    assert ch.options["blocks"] >= 5
    assert_same(mem, ch)
    n_assets = prices["ticker"].nunique() - 1  # every ticker but the benchmark MKT is an asset of each event
    assert mem.exclusions["reason"].str.contains("no sign: direction is 0").sum() == n_assets
