"""Returns on each instrument's own sessions: hand-computed values, no made-up holiday zeros, gaps flagged."""

import numpy as np
import pandas as pd
import pytest

from eventstudy import CSVSource, DataError, compute_returns, session_gaps


@pytest.fixture(scope="module")
def rets(bundled_daily):
    return compute_returns(bundled_daily, "simple").set_index(["ticker", "date"])


def test_sp500_geneva_day_by_hand(rets):
    # 5844.19 / 5659.91 - 1 (closes of 2025-05-12 and 2025-05-09)
    assert rets.loc[("^GSPC", pd.Timestamp("2025-05-12")), "ret"] == pytest.approx(5844.19 / 5659.91 - 1, abs=2e-6)


def test_log_is_log1p_of_simple(bundled_daily):
    s = compute_returns(bundled_daily, "simple")
    lg = compute_returns(bundled_daily, "log")
    np.testing.assert_allclose(lg["ret"], np.log1p(s["ret"]), rtol=1e-12)


def test_holiday_is_skipped_not_zero(rets):
    """Tokyo closed 2025-05-05/06: the 05-07 return runs from the 05-02 close, one session."""
    row = rets.loc[("^N225", pd.Timestamp("2025-05-07"))]
    assert row["prev_date"] == pd.Timestamp("2025-05-02")
    assert row["sessions_spanned"] == 1
    assert ("^N225", pd.Timestamp("2025-05-06")) not in rets.index
    assert row["ret"] == pytest.approx(36779.66 / 36830.69 - 1, abs=1e-6)  # Nikkei closes 05-07 and 05-02


def test_gap_in_data_is_flagged(rets, bundled_daily):
    """HKEX closed for a typhoon on 2023-09-01 but exchange_calendars has it as a session."""
    row = rets.loc[("^HSI", pd.Timestamp("2023-09-04"))]
    assert row["prev_date"] == pd.Timestamp("2023-08-31") and row["sessions_spanned"] == 2
    gaps = session_gaps(bundled_daily)
    assert set(gaps.loc[gaps["ticker"] == "^HSI", "date"].dt.strftime("%Y-%m-%d")) == {"2023-09-01", "2023-09-08"}


def test_one_row_per_price_row_minus_first(bundled_daily, rets):
    assert len(rets) == len(bundled_daily) - bundled_daily["ticker"].nunique()
    assert rets.index.is_unique


def test_raw_close_returns_need_raw_prices(bundled_daily):
    with pytest.raises(DataError, match=r"close is missing for ACWI.*use price='adj_close'"):
        compute_returns(bundled_daily[bundled_daily["ticker"] == "ACWI"], price="close")


def test_bad_kind():
    with pytest.raises(DataError, match=r"kind='pct'; pass one of \['simple', 'log'\]"):
        compute_returns(pd.DataFrame(columns=["ticker", "date", "close", "adj_close"]), "pct")


def test_unknown_ticker_uses_its_own_dates(tmp_path):
    p = tmp_path / "p.csv"
    p.write_text("date,FUND,^N225\n2025-05-02,100,36830.69\n2025-05-05,101,\n2025-05-07,99.99,36779.66\n")
    r = compute_returns(CSVSource(p).daily(), "simple").set_index(["ticker", "date"])
    assert r.loc[("FUND", pd.Timestamp("2025-05-05")), "ret"] == pytest.approx(0.01)
    assert r.loc[("FUND", pd.Timestamp("2025-05-07")), "sessions_spanned"] == 1
    assert r.loc[("^N225", pd.Timestamp("2025-05-07")), "prev_date"] == pd.Timestamp("2025-05-02")


def test_row_order_of_the_prices_does_not_matter(bundled_daily, rets):
    shuffled = bundled_daily.sample(frac=1.0, random_state=3)
    pd.testing.assert_frame_equal(compute_returns(shuffled).set_index(["ticker", "date"]), rets)


def test_no_return_at_all_is_an_empty_frame_and_a_study_says_why():
    import eventstudy as es
    from eventstudy import EstimationWindowError

    one_day = pd.DataFrame({"ticker": ["SPY", "AAA"], "date": pd.to_datetime(["2025-05-06"] * 2),
                            "close": [1.0, 2.0], "adj_close": [1.0, 2.0]})
    out = compute_returns(one_day)  # every ticker has one price row: no return
    assert out.empty and list(out.columns) == ["ticker", "date", "prev_date", "ret", "sessions_spanned"]
    events = es.load_events(frame=pd.DataFrame({"event_id": ["E1"], "date": ["2025-05-06"]}))
    with pytest.raises(EstimationWindowError, match="no \\(event, asset\\) pair has prices on its day 0: E1/AAA"):
        es.EventStudy(events, one_day, market="SPY", assets=["AAA"]).fit()


def test_categorical_tickers_come_back_as_names(bundled_daily, rets):
    cat = bundled_daily.assign(ticker=bundled_daily["ticker"].astype("category"))
    out = compute_returns(cat)
    assert not isinstance(out["ticker"].dtype, pd.CategoricalDtype)
    assert out["ticker"].tolist() == rets.index.get_level_values("ticker").tolist()
