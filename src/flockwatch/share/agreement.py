"""A sharing agreement's pseudonyms: account ids and handles keyed with HMAC-SHA256 before they leave.

Consumes a key file (the secret both platforms of an agreement hold; at least 32 bytes) and a label naming the
agreement; produces :class:`Pseudonymiser`, which turns ``(platform, account id)`` and handles into hex pseudonyms.
A peer holding the same key computes the same pseudonyms over its own data and matches without ever seeing the raw
ids of accounts it does not have; a peer without the key learns nothing but the count. Handles are keyed in their
compared form (core.handles: lower case, no ``@``), so ``@Lina_52`` and ``lina_52`` are one pseudonym.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

from flockwatch.core.handles import handle_key
from flockwatch.errors import InputFileError

MIN_KEY_BYTES = 32


@dataclass(frozen=True)
class Pseudonymiser:
    key: bytes
    label: str

    @classmethod
    def from_file(cls, path: str | Path, label: str | None = None) -> Pseudonymiser:
        p = Path(path)
        try:
            key = p.read_bytes().strip()
        except OSError as exc:
            raise InputFileError(p, f"cannot read the sharing-agreement key: {exc.strerror or exc}") from exc
        if len(key) < MIN_KEY_BYTES:
            raise InputFileError(p, f"a sharing-agreement key needs at least {MIN_KEY_BYTES} bytes, found {len(key)}")
        return cls(key, label or p.stem)

    @property
    def scheme(self) -> str:
        """What a bundle records about how its ids were keyed (never the key)."""
        return f"hmac-sha256:{self.label}"

    def _mac(self, text: str) -> str:
        return hmac.new(self.key, text.encode("utf-8"), hashlib.sha256).hexdigest()

    def account_id(self, platform: str, account_id: str) -> str:
        return self._mac(f"id:{platform}:{account_id}")

    def handle(self, handle: str) -> str | None:
        k = handle_key(handle)
        return None if k is None else self._mac(f"handle:{k}")
