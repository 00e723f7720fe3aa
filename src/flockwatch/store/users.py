"""Users of an operational store: names, roles, argon2 password hashes and API tokens; authentication.

Consumes a :class:`~flockwatch.store.Store`; produces :class:`User` records. Public API (used by the CLI, the web
console and every acting command; names are stable):

    add_user(store, name, role, password=None, by=None) -> User      role: analyst | reviewer | admin
    issue_token(store, name, label="") -> str                          the token, shown once; only its sha256 is kept
    revoke_token(store, token) -> None
    set_password(store, name, password) -> User                       moves password_changed_at (ends console sessions)
    authenticate_password(store, name, password) -> User              RefusedError(NOT_AUTHENTICATED) otherwise
    authenticate_token(store, token) -> User
    get_user(store, name) -> User                                      ValidationError when there is none
    list_users(store) -> list[User]
    has_role(user, *roles) -> bool                                     admin holds every role

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile); a hash made with older
parameters is re-hashed on the next successful login. Tokens are 32 random bytes (``secrets.token_urlsafe``): with
that much entropy a plain sha256 is enough to store them, and a lookup stays one indexed query.

Who may add users: anyone on a store with no users yet (the first user is how a store is bootstrapped, and should be
an admin); afterwards only an authenticated admin (``by``), checked by the caller that authenticated them.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from flockwatch.errors import RefusedError, ValidationError
from flockwatch.store import Store, utc_now
from flockwatch.store.tables import ops_tokens, ops_users

ROLES = ("analyst", "reviewer", "admin")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
_HASHER = PasswordHasher()


@dataclass(frozen=True)
class User:
    user_id: int
    name: str
    role: str
    has_password: bool
    created_at: str
    disabled_at: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def has_role(user: User, *roles: str) -> bool:
    """True when the user holds one of ``roles`` (an admin holds every role)."""
    return user.role == "admin" or user.role in roles


def _user(row: Any) -> User:
    return User(row.user_id, row.name, row.role, row.password_hash is not None, row.created_at, row.disabled_at)


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not _NAME.fullmatch(name):
        raise ValidationError(
            f"user name {name!r} must be 1-64 characters: letters, digits, '_', '.', '@', '-' (starting with a letter "
            "or digit)"
        )
    return name


def count_users(store: Store) -> int:
    with store.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(ops_users)).scalar_one())


def add_user(store: Store, name: str, role: str, password: str | None = None) -> User:
    """Register a user; ``password`` (optional) is stored as an argon2id hash. Names are unique."""
    name = check_name(name)
    if role not in ROLES:
        raise ValidationError(f"role {role!r} is not one of {list(ROLES)}")
    if password is not None and len(password) < 8:
        raise ValidationError("a password needs at least 8 characters")
    digest = _HASHER.hash(password) if password is not None else None
    changed = _changed_at() if password is not None else None
    try:
        with store.begin() as conn:
            conn.execute(
                insert(ops_users).values(
                    name=name, role=role, password_hash=digest, password_changed_at=changed, created_at=utc_now()
                )
            )
    except IntegrityError:
        raise ValidationError(f"user {name!r} already exists") from None
    return get_user(store, name)


def get_user(store: Store, name: str) -> User:
    with store.connect() as conn:
        row = conn.execute(select(ops_users).where(ops_users.c.name == name)).first()
    if row is None:
        raise ValidationError(f"no user {name!r} in this store; add one with `flockwatch users add {name} --role ...`")
    return _user(row)


def list_users(store: Store) -> list[User]:
    with store.connect() as conn:
        return [_user(r) for r in conn.execute(select(ops_users).order_by(ops_users.c.name))]


def set_role(store: Store, name: str, role: str) -> User:
    if role not in ROLES:
        raise ValidationError(f"role {role!r} is not one of {list(ROLES)}")
    with store.begin() as conn:
        n = conn.execute(update(ops_users).where(ops_users.c.name == name).values(role=role)).rowcount
    if not n:
        raise ValidationError(f"no user {name!r} in this store")
    return get_user(store, name)


def _changed_at() -> str:
    """Now, UTC, to the microsecond: two password changes within one second still give two credential stamps."""
    return datetime.now(UTC).isoformat()


def set_password(store: Store, name: str, password: str) -> User:
    """Set a user's password (argon2id); ``password_changed_at`` moves, which ends the user's console sessions."""
    if password is None or len(password) < 8:
        raise ValidationError("a password needs at least 8 characters")
    with store.begin() as conn:
        n = conn.execute(
            update(ops_users)
            .where(ops_users.c.name == name)
            .values(password_hash=_HASHER.hash(password), password_changed_at=_changed_at())
        ).rowcount
    if not n:
        raise ValidationError(f"no user {name!r} in this store")
    return get_user(store, name)


def authenticate_password(store: Store, name: str, password: str) -> User:
    """The user whose argon2 hash matches ``password``; :class:`RefusedError` (NOT_AUTHENTICATED) otherwise."""
    with store.connect() as conn:
        row = conn.execute(select(ops_users).where(ops_users.c.name == name)).first()
    if row is None or row.password_hash is None or row.disabled_at is not None:
        # spend the same time as a real check, so that a missing user cannot be told from a wrong password
        _HASHER.hash(password or "-")
        raise RefusedError("NOT_AUTHENTICATED", f"user {name!r} and this password do not match")
    try:
        _HASHER.verify(row.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise RefusedError("NOT_AUTHENTICATED", f"user {name!r} and this password do not match") from None
    if _HASHER.check_needs_rehash(row.password_hash):
        # same password, new parameters: password_changed_at stays, so the user's other sessions go on
        with store.begin() as conn:
            conn.execute(
                update(ops_users).where(ops_users.c.user_id == row.user_id).values(password_hash=_HASHER.hash(password))
            )
    return _user(row)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(store: Store, name: str, label: str = "") -> str:
    """A new API token for ``name``; returned once, stored only as its sha256."""
    user = get_user(store, name)
    token = "fwt_" + secrets.token_urlsafe(32)
    with store.begin() as conn:
        conn.execute(
            insert(ops_tokens).values(
                user_id=user.user_id, token_sha256=_token_digest(token), label=label, created_at=utc_now()
            )
        )
    return token


def revoke_token(store: Store, token: str) -> None:
    with store.begin() as conn:
        conn.execute(
            update(ops_tokens)
            .where(ops_tokens.c.token_sha256 == _token_digest(token), ops_tokens.c.revoked_at.is_(None))
            .values(revoked_at=utc_now())
        )


def authenticate_token(store: Store, token: str) -> User:
    """The user holding ``token`` (not revoked, user not disabled); :class:`RefusedError` otherwise."""
    with store.connect() as conn:
        row = conn.execute(
            select(ops_users)
            .join(ops_tokens, ops_tokens.c.user_id == ops_users.c.user_id)
            .where(
                ops_tokens.c.token_sha256 == _token_digest(token or ""),
                ops_tokens.c.revoked_at.is_(None),
                ops_users.c.disabled_at.is_(None),
            )
        ).first()
    if row is None:
        raise RefusedError("NOT_AUTHENTICATED", "the token is unknown or revoked")
    return _user(row)
