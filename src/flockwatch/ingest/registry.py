"""The registry of readers: stable names → reader instances.

Order matters for format detection: the first reader whose ``sniff`` says yes wins, so more specific formats come
before general ones. Adding a reader is one line here.
"""

from __future__ import annotations

from flockwatch.errors import UnknownNameError
from flockwatch.ingest.base import Reader, Sniff

READERS: dict[str, Reader] = {}


def register(reader: Reader) -> Reader:
    READERS[reader.name] = reader
    return reader


def get(name: str) -> Reader:
    _load_builtin()
    try:
        return READERS[name]
    except KeyError:
        raise UnknownNameError("format", name, list(READERS)) from None


def names() -> list[str]:
    _load_builtin()
    return list(READERS)


def detect(sniff: Sniff) -> Reader | None:
    _load_builtin()
    for reader in READERS.values():
        if reader.sniff(sniff):
            return reader
    return None


_loaded = False


def _load_builtin() -> None:
    """Import the built-in readers once (they register themselves in detection order)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    # One line per reader, most specific first.
    from flockwatch.ingest import readers  # noqa: F401  (imports register every built-in reader)
