"""Account lists: the plain text files analysts pass around (one account id per line).

Consumes a path; produces the ids in file order, each once. Blank lines and ``#`` comments are ignored; a UTF-8 byte
order mark is tolerated (spreadsheet exports add one). Used for seeds, network member lists and report inputs.
"""

from __future__ import annotations

from pathlib import Path

from flockwatch.errors import InputFileError


def read_account_file(path: str | Path) -> list[str]:
    """Account ids from a text file, one per line, in file order without repeats; an empty list is an error."""
    p = Path(path)
    if not p.is_file():
        raise InputFileError(p, "account list not found")
    try:
        lines = p.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(p, f"cannot read account list: {exc}") from exc
    ids = list(dict.fromkeys(s.strip() for s in lines if s.strip() and not s.strip().startswith("#")))
    if not ids:
        raise InputFileError(p, "account list is empty")
    return ids
