"""Event catalog loading: the bundled catalog is valid; each malformed input names file, line, column and fix."""

import filecmp
from pathlib import Path

import pandas as pd
import pytest

from eventstudy import EventCatalogError, bundled_events_path, load_events
from eventstudy.examples import us_china

ROOT = Path(__file__).resolve().parents[1]
HEADER = "event_id,timestamp,time_precision,title,category,direction,location,source,notes\n"
GOOD = "geneva,2025-05-06T18:05:00-04:00,approximate,Geneva talks announced,announcement,1,Washington,seed,ok\n"


def write(tmp_path, body, header=HEADER, name="events.csv"):
    p = tmp_path / name
    p.write_text(header + body)
    return p


def test_repo_catalog_is_the_bundled_one():
    assert filecmp.cmp(ROOT / "events.csv", bundled_events_path(), shallow=False), \
        "events.csv changed: rerun scripts/build_snapshot.py to copy it into the package"


def test_bundled_catalog_is_valid_and_tz_aware():
    ev = load_events()
    assert ev["event_id"].is_unique
    assert str(ev["event_time_utc"].dt.tz) == "UTC"
    assert set(ev["time_precision"]) <= {"exact", "approximate", "date-only"}
    assert set(ev["direction"].dropna()) <= {1, -1}
    # the milestones the foundation issue names are all there, on the right local dates
    dates = dict(zip(ev["event_id"], ev["event_date"].dt.strftime("%Y-%m-%d")))
    for needle, date in [("geneva-announce", "2025-05-06"), ("geneva-joint-statement", "2025-05-12"),
                         ("trump-xi-call", "2025-06-05"), ("london-talks-announce", "2025-06-06"),
                         ("kuala-lumpur", "2025-10-26"), ("busan", "2025-10-30"),
                         ("trump-xi-call", "2025-11-24"), ("bessent-cnbc", "2025-11-25"),
                         ("90day-pause", "2025-04-09"), ("electronics", "2025-04-11"),
                         ("rare-earth", "2025-10-09"), ("100pct", "2025-10-10"), ("beijing-staff", "2026-02")]:
        assert any(needle in k and v.startswith(date) for k, v in dates.items()), (needle, date)


def test_geneva_announcement_is_tuesday_evening_eastern():
    ev = load_events().set_index("event_id")
    t = ev.loc["2025-05-06-geneva-announce", "event_time_utc"].tz_convert("America/New_York")
    assert t.day_name() == "Tuesday" and t.hour >= 17


def test_missing_file(tmp_path):
    with pytest.raises(EventCatalogError, match=r"nope\.csv: no such file; pass --events"):
        load_events(tmp_path / "nope.csv")


def test_missing_columns_named(tmp_path):
    p = write(tmp_path, "a,2025-05-06\n", header="id,when\n")
    with pytest.raises(EventCatalogError,
                       match=r"events\.csv: missing column\(s\) \['event_id', 'timestamp \(or date\)'\]"):
        load_events(p)


def test_naive_timestamp_names_line_column_and_fix(tmp_path):
    p = write(tmp_path, GOOD + "naive,2025-05-12 09:30,approximate,x,agreement,1,Geneva,s,n\n")
    with pytest.raises(EventCatalogError) as exc:
        load_events(p)
    msg = str(exc.value)
    assert "events.csv, line 3, column timestamp" in msg
    assert "no UTC offset" in msg and "2025-05-12T09:30:00-04:00" in msg


def test_unparseable_timestamp(tmp_path):
    p = write(tmp_path, "bad,next tuesday,exact,x,talks,1,x,s,n\n")
    with pytest.raises(EventCatalogError, match=r"line 2, column timestamp: 'next tuesday' is not an ISO 8601"):
        load_events(p)


def test_duplicate_event_id_names_both_lines(tmp_path):
    p = write(tmp_path, GOOD + GOOD.replace("18:05", "19:00"))
    with pytest.raises(EventCatalogError, match=r"duplicate event_id='geneva' on lines 2, 3"):
        load_events(p)


def test_unknown_category_lists_choices(tmp_path):
    """Categories are free text unless the study names its own (the bundled example does)."""
    p = write(tmp_path, GOOD.replace("announcement", "rumour"))
    assert load_events(p)["category"].tolist() == ["rumour"]
    with pytest.raises(EventCatalogError,
                       match=r"line 2, column category: 'rumour' is not a known category; use one of \["):
        load_events(p, categories=us_china.CATEGORIES)


def test_custom_categories_allowed(tmp_path):
    p = write(tmp_path, GOOD.replace("announcement", "rumour"))
    assert load_events(p, categories={"rumour"})["category"].tolist() == ["rumour"]


@pytest.mark.parametrize("value", ["2", "up", ""])
def test_bad_direction(tmp_path, value):
    p = write(tmp_path, GOOD.replace(",1,Washington", f",{value},Washington"))
    with pytest.raises(EventCatalogError, match=r"line 2, column direction: .* must be \+1 or -1"):
        load_events(p)


def test_date_only_with_time_of_day_is_an_error(tmp_path):
    p = write(tmp_path, GOOD.replace("approximate", "date-only"))
    with pytest.raises(EventCatalogError, match="has a time of day but time_precision is date-only"):
        load_events(p)


def test_all_problems_reported_together_nothing_dropped(tmp_path):
    body = (GOOD + "x1,2025-05-12 09:30,exact,x,talks,1,x,s,n\n"
            + "x2,2025-05-12T09:30:00+02:00,exact,x,gossip,1,x,s,n\n")
    with pytest.raises(EventCatalogError) as exc:
        load_events(write(tmp_path, body), categories=us_china.CATEGORIES)
    assert str(exc.value).startswith("2 problem(s)")
    assert "line 3" in str(exc.value) and "line 4" in str(exc.value)


def test_date_column_and_asset_rows(tmp_path):
    """The engine's minimal format: event_id, date, asset (one row per event and asset)."""
    p = write(tmp_path, "E1,2024-09-11,A1\nE1,2024-09-11,A2\nE2,2024-12-04,A1\n", header="event_id,date,asset\n")
    ev = load_events(p)
    assert list(ev["time_precision"]) == ["date-only"] * 3
    assert list(ev["event_date"].dt.strftime("%Y-%m-%d")) == ["2024-09-11", "2024-09-11", "2024-12-04"]


def test_staggered_event_has_a_date_per_asset(tmp_path):
    """One event id may hit assets on different dates (estudy2's staggered sample E3)."""
    p = write(tmp_path, "E3,2024-10-16,A6\nE3,2025-02-12,A7\n", header="event_id,date,asset\n")
    assert list(load_events(p)["event_date"].dt.strftime("%Y-%m-%d")) == ["2024-10-16", "2025-02-12"]


def test_in_memory_frame_offsets_kept():
    ev = load_events(frame=pd.DataFrame({"event_id": ["b"], "timestamp": ["2025-10-30T11:00:00+09:00"]}))
    assert ev.loc[0, "utc_offset"] == "+09:00"
    assert ev.loc[0, "event_time_utc"] == pd.Timestamp("2025-10-30T02:00:00Z")
    assert ev.loc[0, "time_precision"] == "exact"
