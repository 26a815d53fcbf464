"""The one window type: session (or bar) offsets relative to day 0, inclusive at both ends.

``Window(-250, -11)`` means sessions -250 through -11 of each market relative to its day 0;
``Window(0, 0)`` is day 0 alone. A window is parsed once, where it enters (the study's
constructor, a CLI option), and travels as a :class:`Window` from then on; its text form
``"-1:1"`` is what tables and CSVs print, never parsed back by the library.

>>> w = Window.parse("-1:1")
>>> w, w.label, w.length, w == (-1, 1)
(Window(-1, 1), '-1:1', 3, True)
"""

from __future__ import annotations

from numbers import Integral
from operator import itemgetter

from .errors import SpecificationError

MAX_OFFSET = 10_000
"""Largest offset from day 0 a window may reach, either way (a panel of N members holds N x
the window's length cells: 0:100000 would ask for gigabytes)."""


class Window(tuple):
    """Offsets ``(start, end)`` relative to day 0, inclusive at both ends (a 2-tuple of ints).

    Parameters
    ----------
    start, end
        First and last offset; ``start <= end``.

    Raises
    ------
    SpecificationError
        If ``start > end``, an offset is not an integer or lies beyond :data:`MAX_OFFSET`.
    """

    __slots__ = ()

    def __new__(cls, start: int, end: int, *, argument: str = "window") -> Window:
        try:
            lo, hi = _as_int(start), _as_int(end)
        except (TypeError, ValueError):
            raise SpecificationError(f"{argument}=({start!r}, {end!r}): offsets must be whole numbers of "
                                     "sessions, e.g. (-1, 1)") from None
        if lo > hi:
            raise SpecificationError(f"{argument}=({lo}, {hi}) starts after it ends; write ({hi}, {lo})")
        if max(abs(lo), abs(hi)) > MAX_OFFSET:
            raise SpecificationError(f"{argument}=({lo}, {hi}): offsets beyond +-{MAX_OFFSET:,} sessions (some 40 "
                                     "years) are not supported; an event window spans days, an estimation window "
                                     "a year or so")
        return tuple.__new__(cls, (lo, hi))

    def __getnewargs__(self) -> tuple[int, int]:  # pickling (Dask ships plans holding windows)
        return tuple(self)  # type: ignore[return-value]

    start = property(itemgetter(0), doc="First offset (inclusive).")
    end = property(itemgetter(1), doc="Last offset (inclusive).")

    @classmethod
    def parse(cls, value: Window | str | tuple[int, int], *, argument: str = "window") -> Window:
        """A :class:`Window` from ``"-1:1"``, ``"-1,1"``, ``(-1, 1)`` or a Window.

        Parameters
        ----------
        value
            The window as text or a pair of offsets.
        argument
            Name used in error messages (``"estimation"``, ``"--window"``).

        Returns
        -------
        Window
        """
        if isinstance(value, Window):
            return value
        if isinstance(value, str):
            parts = value.replace(",", ":").split(":")
            if len(parts) != 2:
                raise SpecificationError(f"{argument}={value!r}: write two session offsets as START:END, e.g. -1:1")
            try:
                lo, hi = (int(p) for p in parts)
            except ValueError:
                raise SpecificationError(f"{argument}={value!r}: write two session offsets as START:END, e.g. -1:1") \
                    from None
            return cls(lo, hi, argument=argument)
        try:
            lo, hi = value
        except (TypeError, ValueError):
            raise SpecificationError(f"{argument}={value!r}: pass a pair of offsets such as (-1, 1) or '-1:1'") \
                from None
        return cls(lo, hi, argument=argument)

    @property
    def label(self) -> str:
        """``"-1:1"``: how tables, CSVs and ``tests.csv`` name the window."""
        return f"{self[0]}:{self[1]}"

    @property
    def length(self) -> int:
        """Number of offsets covered (``Window(-1, 1)`` covers 3)."""
        return self[1] - self[0] + 1

    def __str__(self) -> str:
        return self.label

    def __repr__(self) -> str:
        return f"Window({self[0]}, {self[1]})"


class EventWindows(Window):
    """The events' own windows: each event's ``window_start`` and ``window_end`` columns (as in
    Stata's eventstudy2), one window labelled ``"event"`` whose offsets are the union of them.

    A member's CAR, BHAR and battery rows in this window cover its own event's offsets only (its
    other rows are missing there, so each member counts its own length ``L_i``); a member whose
    event has no window gets no CAR in it. It never equals a :class:`Window` with the same offsets.

    Parameters
    ----------
    start, end
        The union of the events' windows: the smallest start and the largest end.
    """

    __slots__ = ()

    def __eq__(self, other) -> bool:
        return isinstance(other, EventWindows) and tuple.__eq__(self, other)

    def __ne__(self, other) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(("event", self[0], self[1]))

    @property
    def label(self) -> str:
        """``"event"``: each event's own window."""
        return "event"

    def __repr__(self) -> str:
        return f"EventWindows({self[0]}, {self[1]})"


def study_window(windows, value, *, argument: str = "window") -> Window:
    """One of a study's windows from a :class:`Window`, its label (``"-1:1"``, ``"event"``) or a
    pair of offsets; a window the study lacks is returned parsed (the caller says it is missing).

    Parameters
    ----------
    windows : sequence of Window
        The study's windows (``res.plan.windows``).
    value : Window, str or tuple of (int, int)
        The window asked for.
    argument : str, default "window"
        Name used in error messages.

    Returns
    -------
    Window
    """
    if isinstance(value, Window):
        return value
    for w in windows:
        if isinstance(value, str) and value.strip() == w.label:
            return w
    return Window.parse(value, argument=argument)


def window_sets(value, *, argument: str = "windows") -> tuple[tuple[Window, ...], dict[str, tuple[str, ...]] | None]:
    """The study's windows and, when they come as named sets, the sets by name.

    ``{"announcement": [(0, 0), (0, 1)], "drift": (2, 10)}`` gives the windows 0:0, 0:1, 2:10 (each
    once, in order) and ``{"announcement": ("0:0", "0:1"), "drift": ("2:10",)}``; a window may sit
    in several sets. Anything else is :func:`parse_windows` without sets.

    Parameters
    ----------
    value
        A mapping of set name to one window or a sequence of them, or what :func:`parse_windows`
        takes.
    argument : str, default "windows"
        Name used in error messages.

    Returns
    -------
    (windows, sets)
        The distinct windows and the set names' window labels (None without sets).

    Raises
    ------
    SpecificationError
        An empty or non-text set name, an empty set, or a window that cannot be parsed.
    """
    if not isinstance(value, dict):
        return parse_windows(value, argument=argument), None
    if not value:
        raise SpecificationError(f"{argument}={{}}: name at least one set, e.g. {{'announcement': [(0, 0), (0, 1)]}}")
    sets, flat = {}, []
    for name, ws in value.items():
        if not isinstance(name, str) or not name.strip():
            raise SpecificationError(f"{argument}: set name {name!r} must be a non-empty text")
        parsed = parse_windows(ws, argument=f"{argument}[{name!r}]")
        sets[name.strip()] = tuple(w.label for w in parsed)
        flat += [w for w in parsed if w not in flat]
    return tuple(flat), sets


WINDOW_COLUMNS = ("window_start", "window_end")
"""Columns of an events file that give each event its own window (:class:`EventWindows`)."""


def _as_int(v) -> int:
    if isinstance(v, bool):
        raise TypeError
    i = int(v)
    if i != v:
        raise ValueError
    return i


def parse_windows(values, *, argument: str = "windows") -> tuple[Window, ...]:
    """A non-empty tuple of distinct :class:`Window` from one window or a sequence of them.

    Parameters
    ----------
    values
        ``"-1:1"``, ``(-1, 1)`` or a sequence of such.
    argument
        Name used in error messages.

    Returns
    -------
    tuple of Window
        In the order given.

    Raises
    ------
    SpecificationError
        No window, or one given twice (``-1:1`` and ``(-1, 1)`` are the same window).
    """
    if isinstance(values, (str, Window)) or (isinstance(values, tuple) and len(values) == 2
                                             and all(isinstance(v, Integral) for v in values)):
        values = [values]
    parsed = [Window.parse(v, argument=argument) for v in values]
    twice = [w.label for i, w in enumerate(parsed) if w in parsed[:i]]
    if twice:
        raise SpecificationError(f"{argument}: window {twice[0]} is given more than once; give each window once")
    out = tuple(parsed)
    if not out:
        raise SpecificationError(f"{argument}: no window given; pass at least one, e.g. [(-1, 1)]")
    return out
