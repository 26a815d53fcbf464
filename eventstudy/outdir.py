"""Output folders that appear whole or not at all.

A study's files are written into a staging folder beside the target
(``.<name>.staging-<random>``), and only when every file is written is the staging folder renamed
into place, replacing the previous run's folder; ``manifest.json``, rewritten last with the list
of files, is the completion marker. A run killed at any point leaves the previous folder as it
was (its staging folder is removed by the next run into the same place). An exclusive lock
(``.<name>.lock`` beside the folder) keeps two runs from writing into one folder at once: the
second stops at once with an error instead of mixing files.

The target is checked before any work: a file in its place, a parent that is a file, a folder
that cannot be written, or an existing folder holding files eventstudy did not write (no
``manifest.json`` of eventstudy: a folder of the user's that would be replaced) are errors that
name the path and the fix.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from .errors import OutputError

try:  # POSIX; elsewhere runs are not locked against each other
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

OWN_FILES = frozenset({"claims_check.csv"})
"""Files another eventstudy command writes alone into a folder (so such a folder may be replaced)."""


def check_target(out: Path, *, replace: bool = True) -> Path:
    """The absolute output folder, after checking it can be made (and, with ``replace``, replaced
    whole: it holds only what eventstudy wrote), before any work.

    Parameters
    ----------
    out : Path
        The output folder asked for (``--out``).
    replace : bool, default True
        Whether the run replaces the folder whole (``eventstudy run``) rather than adding a file
        to it (``eventstudy claims``).

    Returns
    -------
    Path

    Raises
    ------
    OutputError
        A file (or a file above it) in the way, or a folder eventstudy did not write.
    """
    out = Path(out).expanduser().absolute()
    for parent in [out, *out.parents]:
        if parent.exists() and not parent.is_dir():
            where = "--out" if parent == out else f"{parent}, above --out,"
            raise OutputError(f"output folder {out}: {where} is a file, not a folder; choose another --out")
    if replace and out.is_dir() and any(out.iterdir()) and not written_by_eventstudy(out):
        raise OutputError(f"output folder {out} exists and holds files eventstudy did not write (no manifest.json "
                          "of a study); the run replaces its folder whole, so choose a new or empty --out")
    return out


def written_by_eventstudy(folder: Path) -> bool:
    """Whether ``folder`` is a study's output (a manifest of eventstudy) or holds only files that
    other eventstudy commands write."""
    manifest = folder / "manifest.json"
    if manifest.is_file():
        try:
            return json.loads(manifest.read_text(encoding="utf-8")).get("package") == "eventstudy"
        except (OSError, ValueError, AttributeError):
            return False
    return all(p.name in OWN_FILES for p in folder.iterdir())


@contextmanager
def staged(out: str | os.PathLike[str]) -> Iterator[Path]:
    """Write a folder atomically: yield an empty staging folder; on a clean exit it replaces ``out``.

    Parameters
    ----------
    out
        The output folder (made with its parents if needed).

    Yields
    ------
    Path
        The staging folder to write every file into (beside ``out``, on the same file system).

    Raises
    ------
    OutputError
        ``out`` cannot be made or replaced (:func:`check_target`), cannot be written, or another
        run holds its lock.
    """
    out = check_target(Path(out))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        lock = open(out.parent / f".{out.name}.lock", "a+")  # noqa: SIM115 - held until the rename
    except OSError as exc:
        raise OutputError(f"output folder {out} cannot be written ({exc.strerror or exc}); choose a folder you "
                          "can write to with --out") from exc
    try:
        if fcntl is not None:
            try:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                raise OutputError(f"another eventstudy run is writing into {out}; wait for it to finish or choose "
                                  "another --out") from exc
        for orphan in out.parent.glob(f".{out.name}.staging-*"):  # left by a killed run (we hold the lock)
            shutil.rmtree(orphan, ignore_errors=True)
        try:
            stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=out.parent))
        except OSError as exc:
            raise OutputError(f"output folder {out} cannot be written ({exc.strerror or exc}); choose a folder "
                              "you can write to with --out") from exc
        try:
            yield stage
            stage.chmod(0o777 & ~_umask())  # mkdtemp makes it private; a results folder is not
            old = None
            if out.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-old-", dir=out.parent))
                os.rename(out, old / out.name)
            os.rename(stage, out)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise
    finally:
        lock.close()


def seal(folder: Path, files: Sequence[Path], *, extra: dict | None = None) -> None:
    """Rewrite ``folder/manifest.json`` last, with every file written, its size and SHA-256: the
    completion marker of a staged folder.

    Parameters
    ----------
    folder : Path
        The staging folder (:func:`staged`).
    files : sequence of Path
        Every file written into it, recorded relative to it as ``{"bytes": size, "sha256": hex}``,
        beside ``"complete": true``.
    extra : dict, optional
        More entries for the manifest (the command line of the run, say).
    """
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else {}
    manifest.update(extra or {})
    manifest["files"] = {str(Path(f).relative_to(folder)): {"bytes": Path(f).stat().st_size, "sha256": sha256(f)}
                         for f in sorted(files) if Path(f).is_file() and Path(f) != manifest_path}
    manifest["complete"] = True
    tmp = folder / ".manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=1, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, manifest_path)


def sha256(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file, or of a folder: of the sorted list of its files' relative paths and
    their own SHA-256 (hidden files and folders skipped), so a folder of prices (a Parquet
    dataset, the bundled snapshot) has one fingerprint that changes when any file does.

    Parameters
    ----------
    path : str or os.PathLike
        A file or a folder.

    Returns
    -------
    str
        64 hexadecimal digits.
    """
    path = Path(path)
    if path.is_dir():
        h = hashlib.sha256()
        for f in sorted(p for p in path.rglob("*") if p.is_file()
                        and not any(part.startswith(".") for part in p.relative_to(path).parts)):
            h.update(f"{f.relative_to(path).as_posix()}\0{sha256(f)}\n".encode())
        return h.hexdigest()
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
