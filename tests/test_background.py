"""The figure worker of ``eventstudy run``: jobs drawn in a second process or here, the same errors
as in one process, a dead worker's job drawn here, nothing written after the run has failed."""

import multiprocessing
import os
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.cli import main
from eventstudy.errors import DataError
from eventstudy.report import background
from eventstudy.report.background import FigureJobs, can_start_worker, core_is_free

TWO_CORES = len(os.sched_getaffinity(0)) >= 2 if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1) >= 2


def write_pid(path):
    """A job: which process drew it."""
    Path(path).write_text(str(os.getpid()))


def fail_in_worker(path):
    """A job that fails in the worker only."""
    if multiprocessing.parent_process() is not None:
        raise DataError(f"no figure at {Path(path).name} (raised in the worker)")
    Path(path).write_text("here")


def die_in_worker(path):
    """A job that kills the worker; drawn here, it writes its file."""
    if multiprocessing.parent_process() is not None:
        os._exit(3)
    Path(path).write_text("here")


@pytest.mark.skipif(not TWO_CORES or not can_start_worker(), reason="no worker on one core")
def test_jobs_are_drawn_by_the_worker_and_here(tmp_path):
    with FigureJobs() as jobs:
        assert jobs.parallel
        for i in range(6):
            jobs.add(write_pid, tmp_path / f"{i}.txt")
        jobs.finish()
    pids = {int((tmp_path / f"{i}.txt").read_text()) for i in range(6)}
    assert len(pids) in (1, 2) and pids - {os.getpid()}, "the worker drew none of them"


@pytest.mark.skipif(not TWO_CORES or not can_start_worker(), reason="no worker on one core")
def test_an_error_in_the_worker_is_raised_here_with_its_type_and_message(tmp_path):
    with FigureJobs() as jobs, pytest.raises(DataError, match="no figure at a.png .raised in the worker."):
        jobs.add(fail_in_worker, tmp_path / "a.png")  # the first job goes to the worker at once
        jobs.finish()
    assert not (tmp_path / "a.png").exists()


@pytest.mark.skipif(not TWO_CORES or not can_start_worker(), reason="no worker on one core")
def test_the_job_of_a_worker_that_died_is_drawn_here(tmp_path):
    with FigureJobs() as jobs:
        jobs.add(die_in_worker, tmp_path / "a.png")
        jobs.add(write_pid, tmp_path / "b.txt")
        jobs.finish()
    assert (tmp_path / "a.png").read_text() == "here" and (tmp_path / "b.txt").is_file()


def test_a_busy_machine_has_no_idle_core(monkeypatch, tmp_path):
    """core_is_free reads the kernel's count of threads ready to run: with this one and one more on a
    two-core machine, the run draws its figures itself."""
    assert isinstance(core_is_free(), bool)
    monkeypatch.setattr(background, "cores", lambda: 2)
    for running, free in [(1, True), (2, False), (5, False)]:
        (tmp_path / "loadavg").write_text(f"0.50 0.40 0.30 {running}/90 1234\n")
        assert core_is_free(tmp_path / "loadavg") is free
    assert core_is_free(tmp_path / "none")  # no such file (not Linux): assumed free


def test_without_a_worker_every_job_is_drawn_here_at_once(tmp_path):
    jobs = FigureJobs(worker=False)
    assert not jobs.parallel
    jobs.add(write_pid, tmp_path / "a.txt")
    assert (tmp_path / "a.txt").read_text() == str(os.getpid())
    jobs.finish()
    jobs.close()


@pytest.mark.skipif(not TWO_CORES, reason="no worker on one core")
def test_a_main_script_without_a_guard_gets_no_worker(tmp_path, monkeypatch):
    """A spawned worker imports the main script again: one without the __main__ guard would run
    its work twice, so its figures are drawn in its own process."""
    bare, guarded = tmp_path / "bare.py", tmp_path / "guarded.py"
    bare.write_text("from eventstudy.cli import main\nmain(['run'])\n")
    guarded.write_text("from eventstudy.cli import main\nif __name__ == '__main__':\n    main(['run'])\n")
    for path, expected in [(bare, False), (guarded, True), (None, True)]:
        fake = types.ModuleType("__main__")
        if path is not None:
            fake.__file__ = str(path)
        monkeypatch.setitem(sys.modules, "__main__", fake)
        assert can_start_worker() is expected, path


@pytest.mark.parametrize("free", [True, False], ids=["worker", "one process"])
def test_a_figure_that_fails_in_the_worker_fails_the_run_as_before(capsys, tmp_path, monkeypatch, free):
    """An intraday figure asked for a date-only event: the figure fails (in the worker, or here when
    no core is idle) with the message it had in one process, and no output folder nor staging
    folder is left. (This test once used --window 6:8, which the CAR-path figure's old -5:5 default
    could not draw; the figures now draw a study's own taus.)"""
    monkeypatch.setattr(background, "core_is_free", lambda: free)
    rng = np.random.default_rng(5)
    dates = pd.bdate_range("2024-01-01", periods=200)
    pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "MKT": 100 * np.cumprod(1 + rng.normal(0, 0.01, 200)),
                  "AAA": 50 * np.cumprod(1 + rng.normal(0, 0.01, 200))}).to_csv(tmp_path / "p.csv", index=False)
    (tmp_path / "e.csv").write_text("event_id,date\nx,2024-09-02\ny,2024-09-16\n")
    code = main(["run", "--prices", str(tmp_path / "p.csv"), "--events", str(tmp_path / "e.csv"), "--market", "MKT",
                 "--estimation", "-120:-11", "--window", "6:8", "--n-boot", "50", "--placebo", "0",
                 "--intraday-figure", "x:ES=F", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "eventstudy run: error: event 'x' is date-only: an intraday figure needs the time of the news" in err
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out.staging*"))
