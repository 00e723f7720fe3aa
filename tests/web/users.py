"""Users for the console tests: an analyst, a reviewer and an admin with known passwords."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from pathlib import Path

from flockwatch.web.auth import Principal

PASSWORDS = {"ana": "analyst-pass-1", "rev": "reviewer-pass-1", "adm": "admin-pass-1"}
ROLES = {"ana": "analyst", "rev": "reviewer", "adm": "admin"}


@dataclass
class Directory:
    """Users held in memory (the console's Directory seam), with a stamp that changes on role or password change."""

    users: dict[str, tuple[bytes, str, int]] = field(default_factory=dict)

    def add(self, name: str, password: str, role: str) -> None:
        version = self.users[name][2] + 1 if name in self.users else 1
        self.users[name] = (hashlib.sha256(password.encode()).digest(), role, version)

    def authenticate(self, username: str, password: str) -> Principal | None:
        u = self.users.get(username)
        if u is None or not hmac.compare_digest(u[0], hashlib.sha256(password.encode()).digest()):
            return None
        return self.lookup(username)

    def lookup(self, username: str) -> Principal | None:
        u = self.users.get(username)
        return None if u is None else Principal(username, u[1], f"{u[1]}:{u[2]}")


def make_directory(workspace: Path) -> Directory:
    d = Directory()
    for name, pw in PASSWORDS.items():
        d.add(name, pw, ROLES[name])
    return d
