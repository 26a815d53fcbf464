"""Figures drawn in a second process while this one writes the tables.

Drawing and saving the figures of a study is mostly matplotlib's Agg renderer and the PNG encoder:
single-threaded work, about as long as fitting the bundled study. On a machine with two cores or
more, :class:`FigureJobs` has one worker process draw them while the caller writes its CSV files and
tables, and draws itself, at the end, the jobs the worker has not started by then (so neither side
waits long for the other). ``eventstudy run`` uses it; the figure functions themselves
(:mod:`eventstudy.report.figures`) always draw in the calling process.

* The worker is started with the ``spawn`` method (a fresh interpreter: no lock, thread or
  file of this process is inherited) as soon as the object is made, and imports matplotlib and
  draws a small figure while the caller is still busy (the study's fit).
* A job is a module-level function and its arguments, pickled here; the function's return value
  is dropped (jobs write files). An exception raised by a job in the worker is raised again, with
  its type and message, by :meth:`FigureJobs.poll` or :meth:`FigureJobs.finish`, as it would have
  been if the job had run here; the worker applies this process's warning filters.
* ``eventstudy run`` asks for a worker only when a core is idle (:func:`core_is_free`): with the
  other core busy, drawing in one process is faster.
* Without a worker (one core, ``worker=False``, a main script that the worker would run again
  because it has no ``if __name__ == "__main__":`` guard, a platform where processes cannot be
  started) every job is drawn here as it is added; the jobs of a worker that died are drawn here
  by :meth:`FigureJobs.finish`.
* :meth:`FigureJobs.close` (also on leaving a ``with`` block, error or not) cancels the jobs not
  started and waits for the worker's current one, so no file is written after it returns. After
  :meth:`FigureJobs.finish` the worker, with nothing left to draw, exits on its own (the
  interpreter waits for it at exit).
"""

from __future__ import annotations

import os
import pickle
import re
import sys
import warnings
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

__all__ = ["FigureJobs", "can_start_worker", "core_is_free", "cores", "run_job"]

_GUARD = re.compile(r"""if\s+__name__\s*==\s*['"]__main__['"]\s*:""")


def cores() -> int:
    """The cores this process may run on.

    Returns
    -------
    int
    """
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def core_is_free(loadavg: str | os.PathLike = "/proc/loadavg") -> bool:
    """Whether a core is idle now for a worker: fewer threads ready to run on the machine (this one
    included) than cores, from the kernel's count in ``/proc/loadavg`` (where there is none: assumed
    free). On a machine whose other core is busy, a worker would only share that core with this
    process and add the cost of its start (about 1 s of CPU).

    Parameters
    ----------
    loadavg : str or path, default "/proc/loadavg"
        The kernel's load file (its fourth field: ready threads / all threads).

    Returns
    -------
    bool
    """
    try:
        with open(loadavg, encoding="ascii") as f:
            running = int(f.read().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        return True
    return running < cores()


def can_start_worker() -> bool:
    """Whether a ``spawn`` worker may be started from this process.

    A spawned process imports the main script again (as ``__mp_main__``) before it runs anything;
    a script without an ``if __name__ == "__main__":`` guard would run its work a second time there.
    ``python -m package``, ``python -c``, an interactive session and scripts with the guard (the
    ``eventstudy`` and ``pytest`` commands) are fine. A worker is started on two cores or more only
    (on one it would only slow the run down).

    Returns
    -------
    bool
    """
    if cores() < 2 or getattr(sys, "frozen", False):
        return False
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    name = getattr(spec, "name", None)
    if name is not None and (name == "__main__" or name.endswith(".__main__")):
        return True  # multiprocessing does not import a package's __main__ again
    path = getattr(spec, "origin", None) if name is not None else getattr(main, "__file__", None)
    if not path:
        return True  # python -c, standard input, an interactive session: nothing to import again
    try:
        return _GUARD.search(Path(path).read_text(encoding="utf-8", errors="replace")) is not None
    except OSError:
        return False


def run_job(payload: bytes) -> None:
    """Run one pickled job, ``(function, args, kwargs)``, dropping its return value (a job writes files).

    Parameters
    ----------
    payload : bytes
        The pickled job (:meth:`FigureJobs.add`).
    """
    function, args, kwargs = pickle.loads(payload)
    function(*args, **kwargs)


def _start(filters: list) -> None:
    """Worker initializer: the caller's warning filters (errors stay errors)."""
    warnings.filters[:] = filters


def _warm() -> None:
    """Import matplotlib and draw a small figure (fonts, the Agg renderer, the PNG writer) in the
    worker while the caller is still busy; import what unpickling a study's results needs."""
    import io

    from matplotlib.figure import Figure

    from .. import results  # noqa: F401 - the jobs' results unpickle without importing the engine then
    from . import figures  # noqa: F401 - imported for the jobs to come

    fig = Figure(figsize=(1, 1))
    fig.subplots().set_title("warm")
    fig.savefig(io.BytesIO(), format="png", dpi=30)


def _draw(job: tuple) -> None:
    function, args, kwargs = job
    function(*args, **kwargs)


def _error(future: Future) -> BaseException | None:
    """The error a finished job raised (None while it runs, when it was cancelled or succeeded, and
    when the worker died: that job is drawn here instead)."""
    if not future.done() or future.cancelled():
        return None
    exc = future.exception()
    return None if isinstance(exc, BrokenProcessPool) else exc


class FigureJobs:
    """Figure jobs drawn by one worker process while the caller goes on (see the module docstring).

    The worker holds at most :attr:`DEPTH` unfinished jobs (the one it draws and the next); the
    others wait here, handed to it by :meth:`poll` as it gets through them, and :meth:`finish`
    draws those still waiting in this process, the last first, while the worker draws the rest.

    Parameters
    ----------
    worker : bool, default True
        Start a worker (when :func:`can_start_worker`); False draws every job in this process.
    """

    DEPTH = 2
    """Unfinished jobs the worker holds (so it never waits for this process between two)."""

    def __init__(self, *, worker: bool = True) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._waiting: list[tuple] = []  # jobs not handed to the worker yet
        self._sent: list[tuple[tuple | None, Future]] = []  # (job, future); job None: the warm-up
        if worker and can_start_worker():
            try:
                import multiprocessing

                self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_start, initargs=(list(warnings.filters),))
                self._sent.append((None, self._pool.submit(_warm)))
            except (OSError, RuntimeError, ValueError, TypeError, AttributeError, ImportError, pickle.PicklingError):
                self._close_pool()

    @property
    def parallel(self) -> bool:
        """Whether a worker process draws jobs (False: they are drawn here as they are added).

        Returns
        -------
        bool
        """
        return self._pool is not None

    def add(self, function, *args, **kwargs) -> None:
        """Queue ``function(*args, **kwargs)`` for the worker (without one: draw it here at once).

        Parameters
        ----------
        function
            A module-level function (the worker imports it by name), e.g.
            :func:`eventstudy.report.figures.car_paths` with a ``path=``.
        *args, **kwargs
            Its arguments, pickled when the job is handed to the worker (send a
            :meth:`~eventstudy.results.EventStudyResults.detached` copy of the results); a job whose
            arguments cannot be pickled is drawn here by :meth:`finish`.

        Raises
        ------
        Exception
            Whatever the job raises, when it is drawn here at once, or the error of a job the
            worker has finished (:meth:`poll`).
        """
        job = (function, args, kwargs)
        if self._pool is None:
            _draw(job)
            return
        self._waiting.append(job)
        self.poll()

    def poll(self) -> None:
        """Raise the error of a job the worker has finished, if any, and hand it the next jobs
        (call between other work).

        Raises
        ------
        Exception
            The first error a finished job raised in the worker, with its type and message.
        """
        for job, future in self._sent:
            if job is not None and _error(future) is not None:  # (a failed warm-up: the jobs say why)
                raise _error(future)
        if self._pool is None:
            return
        while self._waiting and sum(not f.done() for _, f in self._sent) < self.DEPTH:
            job = self._waiting[0]
            try:
                payload = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
            except (pickle.PicklingError, TypeError, AttributeError):
                return  # drawn here by finish
            try:
                future = self._pool.submit(run_job, payload)
            except (BrokenProcessPool, RuntimeError):
                return  # the worker is gone: finish draws the waiting jobs here
            self._sent.append((self._waiting.pop(0), future))

    def finish(self) -> None:
        """Draw the jobs: the worker goes on with its own and takes the next waiting ones as it is
        free; this process draws the waiting ones from the last. Returns when every job is drawn.

        A job the worker could not run (it died) is drawn here.

        Raises
        ------
        Exception
            The error of a job (the first added, of those finished when one failed).
        """
        while True:
            self.poll()
            if self._waiting:
                _draw(self._waiting.pop())
                continue
            running = [f for _, f in self._sent if not f.done()]
            if not running:
                break
            wait(running, return_when=FIRST_COMPLETED)
        for job, future in self._sent:
            if job is not None and not future.cancelled() and isinstance(future.exception(), BrokenProcessPool):
                _draw(job)
        self._sent = []
        if self._pool is not None:  # every job is over: the worker exits while the caller goes on
            pool, self._pool = self._pool, None
            pool.shutdown(wait=False)

    def close(self) -> None:
        """Drop the jobs not handed to the worker, wait for the worker's own and stop it: no figure
        is written after this returns."""
        self._waiting = []
        if self._pool is not None and all(job is None for job, _ in self._sent):
            pool, self._pool = self._pool, None  # only the warm-up was sent: it writes nothing
            pool.shutdown(wait=False, cancel_futures=True)
        self._close_pool()

    def _close_pool(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> FigureJobs:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
