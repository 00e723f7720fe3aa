"""Users for the console tests, in the workspace's real operational store (argon2 hashes): an analyst, a second
analyst, a reviewer and an admin with known passwords."""

from __future__ import annotations

from pathlib import Path

from flockwatch.store.users import add_user
from flockwatch.workspace import ops_store

PASSWORDS = {"ana": "analyst-pass-1", "ana2": "analyst-pass-2", "rev": "reviewer-pass-1", "adm": "admin-pass-1"}
ROLES = {"ana": "analyst", "ana2": "analyst", "rev": "reviewer", "adm": "admin"}


def add_users(workspace: Path) -> None:
    store = ops_store(workspace)
    for name, pw in PASSWORDS.items():
        add_user(store, name, ROLES[name], pw)
