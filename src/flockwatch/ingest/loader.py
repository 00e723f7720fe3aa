"""Loading files into a workspace: format detection, staging, one transaction per file, idempotency.

Consumes paths (plain, ``.gz``, or ``.zip`` whose members are ingested one by one) and an open workspace; produces
rows in the canonical tables, rows in ``quarantine``, and one ``ingests`` row per file with its counts.

Guarantees:
- A file whose content (SHA-256) was already ingested adds nothing.
- All rows of a file, its quarantine rows and its ``ingests`` row commit together (one transaction, which the
  reader's first write opens): a process killed mid-file (even ``kill -9``) leaves the workspace as it was, and
  re-running completes the work. Readers write straight into the canonical tables (no staging copy).
- Rows whose key is already in the warehouse (the same account in a users file and a tweets file, the same tweet in
  two exports) are not duplicated: the first loaded wins.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import json
import shutil
import tempfile
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from flockwatch import schema
from flockwatch.errors import InputFileError
from flockwatch.ingest import registry
from flockwatch.ingest.base import SNIFF_BYTES, ReadContext, Reader, Sniff
from flockwatch.workspace import Workspace


@dataclass
class FileSummary:
    """What happened to one file."""

    source_file: str
    format: str
    status: str  # loaded | skipped (already ingested)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    added: dict[str, int] = field(default_factory=dict)
    ingest_id: str = ""
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


ProgressFn = Callable[[str], None]


def ingest_paths(
    ws: Workspace,
    paths: list[str | Path],
    format: str | None = None,
    platform: str | None = None,
    progress: ProgressFn | None = None,
) -> list[FileSummary]:
    """Ingest every path; raises :class:`InputFileError` for a missing file or an unknown format.

    Missing and unrecognised files are checked before anything loads, so a typo costs nothing.
    """
    plan: list[tuple[Path, str, Reader]] = []
    with tempfile.TemporaryDirectory(prefix="flockwatch-ingest-") as tmp:
        for raw in paths:
            p = Path(raw)
            if not p.exists():
                raise InputFileError(p, "no such file")
            if p.is_dir():
                raise InputFileError(p, "is a directory; pass the files inside it (e.g. DIR/*.csv)")
            for local, display in _expand(p, Path(tmp)):
                reader = registry.get(format) if format else registry.detect(_sniff(local))
                if reader is None:
                    raise InputFileError(
                        display,
                        "format not recognised from its header; pass --format with one of: "
                        + ", ".join(registry.names()),
                    )
                plan.append((local, display, reader))
        return [ingest_file(ws, local, reader, display, platform, progress) for local, display, reader in plan]


def ingest_file(
    ws: Workspace,
    path: Path,
    reader: Reader,
    source_file: str | None = None,
    platform: str | None = None,
    progress: ProgressFn | None = None,
) -> FileSummary:
    """Ingest one plain file with a given reader, atomically and idempotently."""
    source_file = source_file or str(path)
    engine = ws.engine
    digest = _sha256(path)
    done = engine.sql(
        "SELECT ingest_id FROM ingests WHERE content_sha256 = ? AND format = ?", [digest, reader.name]
    ).scalar()
    if done:
        return FileSummary(source_file, reader.name, "skipped", ingest_id=done, notes=["already ingested"])
    if progress:
        progress(f"reading {source_file} as {reader.name}")
    ingest_id = uuid.uuid4().hex[:16]
    started = _now()
    # The transaction opens at the reader's first write (parsing before it may fail and be retried, which DuckDB
    # does not allow inside a transaction) and commits with the ``ingests`` row: all of the file or nothing.
    with contextlib.ExitStack() as tx:
        opened: list[bool] = []

        def begin() -> None:
            if not opened:
                tx.enter_context(engine.transaction())
                opened.append(True)

        ctx = ReadContext(
            engine=engine,
            path=path,
            source_file=source_file,
            platform=platform or getattr(reader, "default_platform", "twitter"),
            ingest_id=ingest_id,
            begin=begin,
        )
        result = reader.read(ctx)
        begin()
        by_reason = dict(
            engine.sql(
                "SELECT reason, count(*) FROM quarantine WHERE ingest_id = ? GROUP BY reason ORDER BY 2 DESC, 1",
                [ingest_id],
            ).rows()
        )
        quarantined = sum(by_reason.values())
        summary = FileSummary(
            source_file=source_file,
            format=reader.name,
            status="loaded",
            rows_read=result.rows_read,
            rows_loaded=max(result.rows_read - quarantined, 0),
            rows_quarantined=quarantined,
            quarantined_by_reason=by_reason,
            added={t.name: ctx.added[t.name] for t in schema.DATA_TABLES if ctx.added.get(t.name)},
            ingest_id=ingest_id,
            notes=result.notes,
        )
        engine.sql(
            "INSERT INTO ingests VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                ingest_id,
                source_file,
                digest,
                reader.name,
                started,
                _now(),
                summary.rows_read,
                summary.rows_loaded,
                summary.rows_quarantined,
                json.dumps(summary.to_dict()),
            ],
        )
    if progress:
        progress(f"loaded {source_file}: {summary.rows_loaded:,} rows, {summary.rows_quarantined:,} quarantined")
    return summary


# -- files --------------------------------------------------------------------------------------------------------
def _expand(p: Path, tmp: Path) -> Iterator[tuple[Path, str]]:
    """Yield (local plain path, display name); zip members are extracted to ``tmp`` one by one."""
    if zipfile.is_zipfile(p):
        with zipfile.ZipFile(p) as zf:
            for member in zf.infolist():
                if member.is_dir() or member.filename.startswith("__MACOSX/"):
                    continue
                target = tmp / uuid.uuid4().hex / Path(member.filename).name
                target.parent.mkdir(parents=True)
                with zf.open(member) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                yield target, f"{p}!{member.filename}"
    else:
        yield p, str(p)


def _sniff(path: Path) -> Sniff:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputFileError(path, f"cannot read: {exc}") from exc
    return Sniff(path, head.decode("utf-8", errors="replace"))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
