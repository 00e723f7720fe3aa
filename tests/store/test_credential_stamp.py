"""The session credential stamp, on SQLite and on PostgreSQL: a rehash on sign-in (same password, new argon2
parameters) keeps it, so other sessions go on; setting a password, a role change or disabling the user changes it."""

from __future__ import annotations

from argon2 import PasswordHasher
from sqlalchemy import select

from flockwatch.store import users
from flockwatch.store.sessions import credential_stamp
from flockwatch.store.tables import ops_users


def _hash(store, name):
    with store.connect() as conn:
        return conn.execute(select(ops_users.c.password_hash).where(ops_users.c.name == name)).scalar_one()


def test_rehash_keeps_the_stamp_and_a_new_password_changes_it(ops_store, monkeypatch):
    users.add_user(ops_store, "sam", "analyst", "a-long-password")
    _, stamp = credential_stamp(ops_store, "sam")
    old_hash = _hash(ops_store, "sam")
    # the deployment raises the argon2 parameters: the next sign-in rehashes the stored hash
    monkeypatch.setattr(users, "_HASHER", PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1))
    users.authenticate_password(ops_store, "sam", "a-long-password")
    assert _hash(ops_store, "sam") != old_hash  # rehashed...
    assert credential_stamp(ops_store, "sam")[1] == stamp  # ...and the other sessions go on

    users.set_password(ops_store, "sam", "another-long-password")
    _, changed = credential_stamp(ops_store, "sam")
    assert changed != stamp
    users.set_password(ops_store, "sam", "another-long-password")  # the same password set again, same second
    assert credential_stamp(ops_store, "sam")[1] != changed
    users.authenticate_password(ops_store, "sam", "another-long-password")
    users.set_role(ops_store, "sam", "reviewer")
    assert credential_stamp(ops_store, "sam")[0] == "reviewer"
