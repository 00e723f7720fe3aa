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

import html
import io
import re
import unicodedata
import urllib.parse
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

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


def _forms(text: str) -> Iterator[tuple[str, str]]:
    unescaped = html.unescape(text)
    unquoted = urllib.parse.unquote(text)
    both = urllib.parse.unquote(unescaped)
    seen: set[str] = set()
    for name, t in (("as written", text), ("HTML entities", unescaped), ("%-escapes", unquoted), ("both", both)):
        for label, form in ((name, t), (name + ", NFKC", unicodedata.normalize("NFKC", t))):
            folded = form.casefold()
            if folded not in seen:
                seen.add(folded)
                yield label, folded


def search_text(text: str, values: set[str]) -> Iterator[tuple[str, str, str]]:
    """(form, value, excerpt) for every protected value found in ``text`` (values lower-case)."""
    for form, folded in _forms(text):
        for m in _RUN.finditer(folded):
            if m.group(0) in values:
                lo, hi = max(0, m.start() - 40), m.end() + 40
                yield form, m.group(0), folded[lo:hi].replace("\n", " ")


def _texts(path: Path, root: Path) -> Iterator[tuple[str, str | None]]:
    name = str(path.relative_to(root))
    data = path.read_bytes()
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for member in zf.namelist():
                yield f"{name}!{member}", zf.read(member).decode("utf-8", errors="replace")
        yield name + " (zip directory)", " ".join(zipfile.ZipFile(io.BytesIO(data)).namelist())
        return
    if data[:5] == b"%PDF-":
        yield name, _pdf_text(data)
        return
    yield name, data.decode("utf-8", errors="replace")


def _pdf_text(data: bytes) -> str | None:
    try:
        from pypdf import PdfReader
    except ImportError:
        return None
    reader = PdfReader(io.BytesIO(data))
    return "\n".join((page.extract_text() or "") for page in reader.pages)


def search_release(directory: str | Path, protected_values: Iterable[str]) -> LeakReport:
    """Search every file under ``directory`` (file names too) for ``protected_values`` (raw ids and handles)."""
    root = Path(directory)
    values = {unicodedata.normalize("NFKC", v).casefold() for v in protected_values if v}
    report = LeakReport(values_searched=len(values))
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        for form, value, excerpt in search_text(str(path.relative_to(root)), values):
            report.leaks.append(Leak(str(path.relative_to(root)), "file name, " + form, value, excerpt))
        for name, text in _texts(path, root):
            report.files_searched.append(name)
            if text is None:
                report.unreadable.append(f"{name}: PDF text cannot be extracted (pypdf is not installed)")
                continue
            for form, value, excerpt in search_text(text, values):
                report.leaks.append(Leak(name, form, value, excerpt))
    return report
