"""Handles: the key a handle is compared by, and its template ("shape") — one definition each.

Consumes a handle / screen name (Python ``str`` or a SQL expression); produces
- :func:`handle_key` — ``@XHNews`` → ``xhnews`` (handles compare case-insensitively on every platform we read); None
  when the text cannot be a handle on that platform (Twitter: 1–15 of ``A-Z a-z 0-9 _``; elsewhere also ``.`` and
  ``-``, up to 100).
- :func:`handle_fold` — the same key for any text said to be a handle, also one :func:`handle_key` rejects (a list's
  odd entry is compared, never dropped).
- :func:`handle_shape` / :func:`handle_shape_sql` — the length-coded template: runs of letters become ``L<n>``, runs
  of digits ``D<n>``, anything else stays (``wan83721946`` → ``L3D8``, ``Lina_52`` → ``L4_D2``). Bulk-created
  accounts share shapes (a name plus eight digits is the platform's own suggestion for a taken name), so a shape
  far more common in a group than on the platform is evidence — never proof — of bulk creation.
"""

from __future__ import annotations

import regex

_TWITTER_HANDLE = regex.compile(r"^[A-Za-z0-9_]{1,15}$")
_HANDLE = regex.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")
_AT = "@\uff20"

#: the runs a shape is made of (ASCII letters, ASCII digits, anything else)
SHAPE_RUNS = r"[A-Za-z]+|[0-9]+|[^A-Za-z0-9]+"
_SHAPE_RX = regex.compile(SHAPE_RUNS)


def handle_key(handle: str, platform: str | None = None) -> str | None:
    """``@XHNews`` → ``xhnews``; None when it cannot be a handle (on ``platform``, where given)."""
    h = handle.strip().lstrip(_AT)
    pattern = _TWITTER_HANDLE if platform == "twitter" else _HANDLE
    return h.lower() if pattern.match(h) else None


def handle_fold(handle: str, platform: str | None = None) -> str:
    """:func:`handle_key` where the text is a valid handle, else the text folded the same way (trimmed, no leading
    ``@``, lower case): lookup tables keyed by it never lose an entry a platform's handle rule would reject."""
    key = handle_key(handle, platform)
    return key if key is not None else handle.strip().lstrip(_AT).lower()


def handle_shape(name: str | None) -> str | None:
    """The length-coded shape of a handle (module docstring); None for no handle."""
    if not name:
        return None
    out = []
    for run in _SHAPE_RX.findall(name):
        if run[0].isascii() and run[0].isalpha():
            out.append(f"L{len(run)}")
        elif run[0].isascii() and run[0].isdigit():
            out.append(f"D{len(run)}")
        else:
            out.append(run)
    return "".join(out)


def handle_shape_sql(col: str) -> str:
    """SQL form of :func:`handle_shape` (NULL or empty → NULL)."""
    return (
        f"nullif(array_to_string(list_transform(regexp_extract_all({col}, '{SHAPE_RUNS}'), "
        "lambda t: CASE WHEN regexp_matches(t, '^[A-Za-z]') THEN 'L' || CAST(length(t) AS VARCHAR) "
        "WHEN regexp_matches(t, '^[0-9]') THEN 'D' || CAST(length(t) AS VARCHAR) ELSE t END), ''), '')"
    )
