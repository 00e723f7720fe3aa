"""The leak search: does any raw id or handle of a protected account appear anywhere in a release directory?

Consumes a directory (every file in it; zips are unpacked in memory, PDFs' text is extracted with ``pypdf`` when it
is installed — a PDF that cannot be read is reported, never skipped silently) and the raw identifiers to look for;
produces :class:`LeakReport` with every hit (file, member, form, value, excerpt).

Each file's text is searched in several forms: as written, NFKC-normalised, HTML entities undone, %-escapes undone
(and both), all case-folded; in each form it is cut into runs of ASCII letters, digits and ``_`` and every run is
looked up among the protected values. A handle next to CJK text (``请看alice``) is still a run of its own; a value
inside a longer run (``alice`` in ``alice_2``) is a different handle and not a hit. This is deliberately not the
code that wrote the release (core.text's identifier tokens): normalise-then-cut here, cut-then-normalise there.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
import unicodedata
import urllib.parse
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

_RUN = re.compile(r"[a-z0-9_]+")


@dataclass
class Leak:
    file: str
    form: str
    value: str
    excerpt: str


@dataclass
class LeakReport:
    files_searched: list[str] = field(default_factory=list)
    values_searched: int = 0
    leaks: list[Leak] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.leaks and not self.unreadable

    def to_dict(self) -> dict[str, object]:
        return {
            "clean": self.clean,
            "files_searched": self.files_searched,
            "values_searched": self.values_searched,
            "leaks": [leak.__dict__ for leak in self.leaks[:100]],
            "leaks_total": len(self.leaks),
            "unreadable": self.unreadable,
        }


CHUNK_CHARS = 4 << 20


def _forms(text: str) -> Iterator[tuple[str, str]]:
    """The forms of ``text`` to search, case-folded; the decoded forms only of the lines that have escapes."""
    variants = [("as written", text)]
    escaped = "\n".join(line for line in text.split("\n") if "&" in line or "%" in line)
    if escaped:
        unescaped = html.unescape(escaped)
        variants += [
            ("HTML entities", unescaped),
            ("%-escapes", urllib.parse.unquote(escaped)),
            ("both", urllib.parse.unquote(unescaped)),
            ("both, twice", html.unescape(urllib.parse.unquote(unescaped))),
        ]
    for name, form in list(variants):
        if not form.isascii():
            variants.append((name + ", NFKC", unicodedata.normalize("NFKC", form)))
    seen: set[str] = set()
    for name, form in variants:
        folded = form.casefold()
        if folded not in seen:
            seen.add(folded)
            yield name, folded


def search_text(text: str, values: set[str]) -> Iterator[tuple[str, str, str]]:
    """(form, value, excerpt) for every protected value found in ``text`` (values lower-case)."""
    for form, folded in _forms(text):
        if values.isdisjoint(_RUN.findall(folded)):
            continue
        for m in _RUN.finditer(folded):
            if m.group(0) in values:
                lo, hi = max(0, m.start() - 40), m.end() + 40
                yield form, m.group(0), folded[lo:hi].replace("\n", " ")


def _chunks(fh: io.TextIOBase) -> Iterator[str]:
    """Whole lines, about :data:`CHUNK_CHARS` at a time (a value never straddles two chunks: it has no newline)."""
    buf: list[str] = []
    size = 0
    for line in fh:
        buf.append(line)
        size += len(line)
        if size >= CHUNK_CHARS:
            yield "".join(buf)
            buf, size = [], 0
    if buf:
        yield "".join(buf)


def _texts(path: Path, root: Path, searched: dict[str, str]) -> Iterator[tuple[str, Iterator[str] | None]]:
    """(name, chunks of text) for a file; a zip member with the same bytes as a file already searched is not read
    twice (``searched``: SHA-256 → name)."""
    name = str(path.relative_to(root))
    with path.open("rb") as fh:
        head = fh.read(5)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            yield name + " (zip directory)", iter([" ".join(zf.namelist())])
            for member in zf.namelist():
                with zf.open(member) as m:
                    same = searched.get(_sha256(m))
                if same is not None:
                    yield f"{name}!{member} (same bytes as {same})", iter([])
                    continue
                with zf.open(member) as m:
                    yield f"{name}!{member}", _chunks(io.TextIOWrapper(m, encoding="utf-8", errors="replace"))
        return
    if head == b"%PDF-":
        text = _pdf_text(path.read_bytes())
        yield name, None if text is None else iter([text])
        return
    with path.open("rb") as fh:
        searched[_sha256(fh)] = name
    with path.open(encoding="utf-8", errors="replace") as fh:
        yield name, _chunks(fh)


def _sha256(fh: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while block := fh.read(1 << 20):
        digest.update(block)
    return digest.hexdigest()


def _pdf_text(data: bytes) -> str | None:
    try:
        from pypdf import PdfReader
    except ImportError:
        return None
    reader = PdfReader(io.BytesIO(data))
    return "\n".join((page.extract_text() or "") for page in reader.pages)


#: releases larger than this are searched by worker processes
PARALLEL_BYTES = 64 << 20


def search_release(directory: str | Path, protected_values: Iterable[str], n_workers: int | None = None) -> LeakReport:
    """Search every file under ``directory`` (file names too) for ``protected_values`` (raw ids and handles);
    ``n_workers`` processes share the chunks (default: the cores, for releases above :data:`PARALLEL_BYTES`)."""
    from flockwatch.disclose import workers

    root = Path(directory)
    values = {unicodedata.normalize("NFKC", v).casefold() for v in protected_values if v}
    report = LeakReport(values_searched=len(values))
    searched: dict[str, str] = {}
    # zips last: their members are usually the CSVs beside them, searched once
    files = sorted((p for p in root.rglob("*") if p.is_file()), key=lambda p: (zipfile.is_zipfile(p), str(p)))
    if n_workers is None:
        big = sum(p.stat().st_size for p in files) > PARALLEL_BYTES
        n_workers = workers.default_workers() if big else 1

    def jobs() -> Iterator[tuple[str, str]]:
        for path in files:
            yield "file name of " + str(path.relative_to(root)), str(path.relative_to(root))
            for name, chunks in _texts(path, root, searched):
                report.files_searched.append(name)
                if chunks is None:
                    report.unreadable.append(f"{name}: PDF text cannot be extracted (pypdf is not installed)")
                    continue
                for chunk in chunks:
                    yield name, chunk

    for hits in workers.ordered_map(workers.search_chunk, jobs(), n_workers, workers.init_search, (values,)):
        report.leaks.extend(Leak(name, form, value, excerpt) for name, form, value, excerpt in hits)
    return report
