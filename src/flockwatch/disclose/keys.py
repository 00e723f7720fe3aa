"""Release keys: one secret per public release, so that two releases cannot be joined on their pseudonyms.

Consumes a key file path; produces a :class:`ReleaseKey` (its secret and a key id) or writes a new key file.

A key file is JSON ``{"kind": "flockwatch-release-key", "key_id": ..., "secret_hex": ..., "created_at": ...}``
written with owner-only permissions. The key id is derived from the secret (a short HMAC of a fixed label), so it
names the key in manifests and audit entries without revealing it; the secret itself never enters any output.
Rotation (:func:`rotate_key`) keeps the old key beside the new one as ``<file>.<key_id>.retired``: a correction of an
older release needs that release's key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from flockwatch.errors import InputFileError, ValidationError

KIND = "flockwatch-release-key"
SECRET_BYTES = 32
_KEY_ID_LABEL = b"flockwatch key id v1"


@dataclass(frozen=True)
class ReleaseKey:
    """A release's secret and its public id."""

    secret: bytes
    created_at: str

    @property
    def key_id(self) -> str:
        return "fwk-" + hmac.new(self.secret, _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:16]

    def __repr__(self) -> str:  # the secret must not end up in logs or tracebacks
        return f"ReleaseKey(key_id={self.key_id!r}, created_at={self.created_at!r})"


def new_key() -> ReleaseKey:
    """A fresh random key."""
    return ReleaseKey(secrets.token_bytes(SECRET_BYTES), dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


def write_key(key: ReleaseKey, path: str | Path) -> Path:
    """Write ``key`` to ``path`` (owner read/write only); refuses to overwrite an existing file."""
    p = Path(path)
    if p.exists():
        raise ValidationError(f"{p} exists; rotate it with `flockwatch disclose keygen --rotate {p}`")
    p.parent.mkdir(parents=True, exist_ok=True)
    doc = {"kind": KIND, "key_id": key.key_id, "secret_hex": key.secret.hex(), "created_at": key.created_at}
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(doc, indent=2) + "\n")
    return p


def generate_key(path: str | Path) -> ReleaseKey:
    """Create a new key file at ``path`` and return the key."""
    key = new_key()
    write_key(key, path)
    return key


def rotate_key(path: str | Path) -> tuple[ReleaseKey, Path]:
    """Retire the key at ``path`` (kept as ``<path>.<key_id>.retired``) and write a new one there."""
    p = Path(path)
    old = load_key(p)
    retired = p.with_name(f"{p.name}.{old.key_id}.retired")
    p.rename(retired)
    return generate_key(p), retired


def load_key(path: str | Path) -> ReleaseKey:
    """Read a key file; a clear error names the file and what is wrong."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputFileError(p, "no such key file; create one with `flockwatch disclose keygen --out FILE`") from None
    except (OSError, ValueError) as exc:
        raise InputFileError(p, f"not a readable key file: {exc}") from None
    if not isinstance(doc, dict) or doc.get("kind") != KIND:
        raise InputFileError(p, f"not a flockwatch release key (expected kind {KIND!r})")
    try:
        secret = bytes.fromhex(str(doc["secret_hex"]))
    except (KeyError, ValueError):
        raise InputFileError(p, "secret_hex is missing or not hexadecimal") from None
    if len(secret) < 16:
        raise InputFileError(p, f"the secret is {len(secret)} bytes; at least 16 are needed")
    key = ReleaseKey(secret, str(doc.get("created_at", "")))
    if doc.get("key_id") not in (None, key.key_id):
        raise InputFileError(p, f"key_id {doc.get('key_id')!r} does not match the secret (the file was edited)")
    return key
