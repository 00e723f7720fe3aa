"""Read-only snapshots of a workspace's warehouse, so that the console keeps serving while the workspace is written.

Why this design: DuckDB admits one writing *process* per database file, and while it writes no other process may
open the file at all, not even read-only (measured: ``flockwatch info`` during a ``detect`` exits 2 with "Could not
set lock on file"). Conversely a console that held the live file open, even read-only, would make every
``ingest``/``detect`` fail. So the console never keeps the live file open. It serves from a *finished copy*:

1. when the warehouse file changed since the last snapshot (size, modification time, write-ahead log), it probes
   the live file with a read-only open — that fails at once while a writer holds it, and the old snapshot stays;
2. otherwise it copies the file (and a leftover write-ahead log) to ``DIR/console/snapshots/``, then checks that
   nothing changed during the copy (same signature, still no writer); a torn copy is discarded, never served;
3. the copy is opened read-only by a small pool of engines (DuckDB connections are not thread-safe, one request
   uses one engine at a time), swapped in atomically, and the previous snapshot is closed and deleted when its last
   borrower returns it.

Pages are therefore current up to the last finished write (a detection run still writing is ``running``, not
``done``, and ``core.runs`` never calls it the latest). The alternatives considered: a job runner owning the only
writer (every CLI verb would have to go through the console), per-run snapshot files written by ``detect`` (only
covers detection, not ingest or expansion), and DuckDB's read-only ATTACH of the live file (blocked by the same
lock). The probe holds the file for milliseconds; a writer that starts in exactly that instant fails with the lock
message and can simply be rerun.

Consumes a workspace directory; produces :class:`Workspace` objects whose engine reads the snapshot and whose
``path`` is the real workspace (so the operational SQLite store, which admits concurrent readers and writers, is
the live one).
"""

from __future__ import annotations

import contextlib
import queue
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flockwatch.engine import DuckDBEngine
from flockwatch.engine.migrations import SCHEMA_VERSION, current_version
from flockwatch.errors import WorkspaceError
from flockwatch.workspace import WAREHOUSE, Workspace

SNAPSHOT_DIR = Path("console") / "snapshots"
Signature = tuple[int, int, int, int]


class NoSnapshotError(WorkspaceError):
    """No readable snapshot yet: the workspace was being written when the console started."""


def _signature(path: Path) -> Signature:
    st = path.stat()
    wal = path.with_name(path.name + ".wal")
    try:
        w = wal.stat()
        wal_sig = (w.st_size, w.st_mtime_ns)
    except FileNotFoundError:
        wal_sig = (-1, -1)
    return (st.st_size, st.st_mtime_ns, *wal_sig)


def _probe(path: Path) -> bool:
    """True when no other process is writing ``path`` (a read-only open succeeds)."""
    try:
        DuckDBEngine(path, read_only=True).close()
    except WorkspaceError:
        return False
    return True


@dataclass
class _Snapshot:
    path: Path
    signature: Signature
    taken_at: float
    engines: queue.SimpleQueue[DuckDBEngine] = field(default_factory=queue.SimpleQueue)
    all_engines: list[DuckDBEngine] = field(default_factory=list)
    borrowers: int = 0
    retired: bool = False

    def close(self, keep_file: bool = False) -> None:
        for e in self.all_engines:
            e.close()
        if keep_file:
            return
        for p in (self.path, self.path.with_name(self.path.name + ".wal")):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()


class WarehouseSnapshots:
    """The console's view of one workspace: :meth:`workspace` lends a read-only :class:`Workspace` over the newest
    finished snapshot; :meth:`refresh` takes a new one when the warehouse changed and nobody is writing it."""

    def __init__(self, workspace_dir: str | Path, pool_size: int = 4) -> None:
        self.root = Path(workspace_dir)
        self.live = self.root / WAREHOUSE
        if not self.live.exists():
            raise WorkspaceError(
                f"{self.root} is not a flockwatch workspace (no {WAREHOUSE}); create one with "
                f"`flockwatch init {self.root}`"
            )
        self.dir = self.root / SNAPSHOT_DIR
        self.dir.mkdir(parents=True, exist_ok=True)
        self.pool_size = max(1, int(pool_size))
        self._lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._current: _Snapshot | None = None
        self.last_refresh_error: str | None = None

    # -- taking snapshots ---------------------------------------------------------------------------------------
    def refresh(self) -> bool:
        """Take a new snapshot when the warehouse changed and no writer holds it; True when one was swapped in."""
        with self._refresh_lock:
            before = _signature(self.live)
            cur = self._current
            if cur is not None and cur.signature == before:
                return False
            if not _probe(self.live):
                return False
            target = self.dir / f"snap-{time.time_ns()}.duckdb"
            shutil.copyfile(self.live, target)
            wal = self.live.with_name(self.live.name + ".wal")
            if wal.exists():
                shutil.copyfile(wal, target.with_name(target.name + ".wal"))
            if _signature(self.live) != before or not _probe(self.live):
                # written during the copy: a torn copy is never served; the next refresh tries again
                _Snapshot(target, before, 0.0).close()
                return False
            self._swap_in(self._open(target, before, time.time()))
            return True

    def _open(self, path: Path, signature: Signature, taken_at: float) -> _Snapshot:
        snap = _Snapshot(path, signature, taken_at)
        try:
            for _ in range(self.pool_size):
                engine = DuckDBEngine(path, read_only=True)
                snap.all_engines.append(engine)
                snap.engines.put(engine)
            version = current_version(snap.all_engines[0])
            if version != SCHEMA_VERSION:
                raise WorkspaceError(
                    f"{self.root} has schema version {version}, this flockwatch needs {SCHEMA_VERSION}; "
                    f"run `flockwatch migrate --workspace {self.root}` first"
                )
        except BaseException:
            snap.close()
            raise
        return snap

    def _swap_in(self, snap: _Snapshot) -> None:
        with self._lock:
            old, self._current = self._current, snap
            if old is not None:
                old.retired = True
                if old.borrowers == 0:
                    old.close()

    def adopt_previous(self) -> bool:
        """With no snapshot of its own (the warehouse was being written when this console started), serve the
        newest copy an earlier console left behind, until a fresh one can be taken; True when one was adopted."""
        if self._current is not None:
            return False
        for path in sorted(self.dir.glob("snap-*.duckdb"), key=lambda p: p.stat().st_mtime_ns, reverse=True):
            try:
                # an impossible signature: the next refresh replaces it as soon as the live file is free
                self._swap_in(self._open(path, (-2, -2, -2, -2), path.stat().st_mtime))
            except WorkspaceError:
                continue
            return True
        return False

    def refresh_quietly(self) -> None:
        """:meth:`refresh` for the background thread: a failure is kept for the status page, not raised."""
        try:
            self.refresh()
            self.last_refresh_error = None
        except Exception as exc:  # the console must keep serving the snapshot it has
            self.last_refresh_error = str(exc)

    def drop_stale_files(self) -> None:
        """Delete snapshot files left by an earlier console process (never the one in use; none while there is no
        snapshot in use, for :meth:`adopt_previous`)."""
        if self._current is None:
            return
        keep = self._current.path
        for p in self.dir.glob("snap-*.duckdb*"):
            if not p.name.startswith(keep.name):
                with contextlib.suppress(OSError):
                    p.unlink()

    # -- reading ------------------------------------------------------------------------------------------------
    @property
    def taken_at(self) -> float | None:
        return self._current.taken_at if self._current else None

    @contextlib.contextmanager
    def workspace(self) -> Iterator[Workspace]:
        """A read-only workspace over the current snapshot for the duration of the block (one engine, one thread)."""
        if self._current is None:
            self.refresh()
        with self._lock:
            snap = self._current
            if snap is None:
                raise NoSnapshotError(
                    f"{self.root} is being written and the console has no finished copy of it yet; "
                    "pages open when the writer finishes"
                )
            snap.borrowers += 1
        engine = snap.engines.get()
        try:
            yield Workspace(self.root, engine)
        finally:
            snap.engines.put(engine)
            with self._lock:
                snap.borrowers -= 1
                if snap.retired and snap.borrowers == 0:
                    snap.close()

    def close(self) -> None:
        """Close the engines; the current copy stays on disk for the next console (:meth:`adopt_previous`)."""
        with self._lock:
            snap, self._current = self._current, None
        if snap is not None:
            snap.close(keep_file=True)

    def signature_of_current(self) -> Signature | None:
        return self._current.signature if self._current else None


def snapshot_age_s(snapshots: WarehouseSnapshots) -> float | None:
    t = snapshots.taken_at
    return None if t is None else max(0.0, time.time() - t)


__all__ = ["NoSnapshotError", "WarehouseSnapshots", "snapshot_age_s"]
