"""The audit chain: an append-only log of who did what, when, why, on which evidence, with before/after states.

Consumes a :class:`~flockwatch.store.Store` (or a SQLAlchemy ``Connection`` already inside the caller's transaction,
so that a change and its audit entry commit together or not at all); produces rows of ``ops_audit`` and answers.
Public API (names are stable; the web console, tips and disclosure call them):

    append(store_or_conn, actor=, action=, object_ref=, reason=, evidence=[], before=, after=, os_user=) -> AuditEntry
    log_access(store_or_conn, actor=, account_id=, platform=, purpose=, case_id=)   who viewed which account, when
    entries(store, object_ref=None, limit=None) -> list[AuditEntry]
    verify(store) -> Verification          names the first edited, deleted or reordered entry
    write_key(path) / anchor(store, key_path, anchors_path) / check_anchors(store, key_path, anchors_path)
    public_key_pem(key_path) / write_public_key(key_path, out)   the public half, for auditors (check_anchors takes it)

Each entry's ``entry_hash`` is the SHA-256 of its canonical JSON (every field, in a fixed order) together with the
previous entry's hash; ``seq`` counts 1, 2, 3, ... with no gaps. So editing an entry breaks its own hash, deleting
one leaves a gap or a broken link, and reordering breaks the links. A rewrite of the whole chain (or cutting off its
tail) is consistent in itself; that is what anchors catch: ``anchor`` signs the current head (seq, hash) with an
Ed25519 key kept outside the database and appends the signed head to a file outside it. Ed25519 rather than HMAC:
checking an anchor needs only the public key, so an auditor who can verify cannot forge.

Appends are serialised (SQLite: the write lock taken by BEGIN IMMEDIATE; PostgreSQL: a transaction-scoped advisory
lock), so two writers never get the same ``seq``. The database refuses UPDATE and DELETE of audit rows (a trigger on
both backends, migration 0005), and on a team database the application role holds only SELECT and INSERT on the
table (:func:`flockwatch.store.roles.grant_app_role`).
"""

from __future__ import annotations

import getpass
import hashlib
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, select, text

from flockwatch.errors import InputFileError, ValidationError
from flockwatch.store import Store, utc_now
from flockwatch.store.tables import ops_access_log, ops_audit

GENESIS = "0" * 64
# any fixed 64-bit number: the advisory lock that serialises audit appends on PostgreSQL
_PG_LOCK = 0x666C6F636B617564


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    actor: str
    os_user: str | None
    action: str
    object_ref: str
    reason: str
    evidence: list[Any]
    before: Any
    after: Any
    prev_hash: str
    entry_hash: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def os_user() -> str | None:
    """The operating-system user running this process (recorded beside the acting user)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no passwd entry (some containers)
        return None


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def entry_hash(
    seq: int,
    at: str,
    actor: str,
    os_user: str | None,
    action: str,
    object_ref: str,
    reason: str,
    evidence_json: str,
    before_json: str | None,
    after_json: str | None,
    prev_hash: str,
) -> str:
    """SHA-256 over the canonical JSON of an entry's stored fields and the previous hash."""
    body = json.dumps(
        [seq, at, actor, os_user, action, object_ref, reason, evidence_json, before_json, after_json, prev_hash],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@contextmanager
def _conn(target: Store | Connection) -> Iterator[Connection]:
    if isinstance(target, Store):
        with target.begin() as conn:
            yield conn
    else:
        yield target


def append(
    target: Store | Connection,
    *,
    actor: str,
    action: str,
    object_ref: str,
    reason: str = "",
    evidence: Iterable[Any] = (),
    before: Any = None,
    after: Any = None,
    os_user: str | None = None,
) -> AuditEntry:
    """Append one entry (in the caller's transaction when given a Connection); returns it with its hash."""
    if not actor or not action or not object_ref:
        raise ValidationError("an audit entry needs an actor, an action and the object it is about")
    with _conn(target) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
        last = conn.execute(select(ops_audit.c.seq, ops_audit.c.entry_hash).order_by(ops_audit.c.seq.desc()).limit(1))
        row = last.first()
        seq, prev = (1, GENESIS) if row is None else (int(row.seq) + 1, str(row.entry_hash))
        at = utc_now()
        ev, b, a = _dump(list(evidence)) or "[]", _dump(before), _dump(after)
        h = entry_hash(seq, at, actor, os_user, action, object_ref, reason, ev, b, a, prev)
        conn.execute(
            insert(ops_audit).values(
                seq=seq,
                at=at,
                actor=actor,
                os_user=os_user,
                action=action,
                object_ref=object_ref,
                reason=reason,
                evidence_json=ev,
                before_json=b,
                after_json=a,
                prev_hash=prev,
                entry_hash=h,
            )
        )
    return AuditEntry(seq, at, actor, os_user, action, object_ref, reason, json.loads(ev), before, after, prev, h)


def log_access(
    target: Store | Connection,
    *,
    actor: str,
    account_id: str,
    platform: str = "",
    purpose: str = "",
    case_id: str | None = None,
    os_user: str | None = None,
) -> None:
    """Record that ``actor`` viewed an account's data (insider access is a real trust-and-safety risk)."""
    if not actor or not account_id:
        raise ValidationError("an access record needs the actor and the account viewed")
    with _conn(target) as conn:
        conn.execute(
            insert(ops_access_log).values(
                at=utc_now(),
                actor=actor,
                os_user=os_user,
                platform=platform,
                account_id=account_id,
                purpose=purpose,
                case_id=case_id,
            )
        )


def accesses(store: Store, account_id: str | None = None, actor: str | None = None) -> list[dict[str, Any]]:
    q = select(ops_access_log).order_by(ops_access_log.c.access_id)
    if account_id is not None:
        q = q.where(ops_access_log.c.account_id == account_id)
    if actor is not None:
        q = q.where(ops_access_log.c.actor == actor)
    with store.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]


def _entry(r: Any) -> AuditEntry:
    return AuditEntry(
        int(r.seq),
        r.at,
        r.actor,
        r.os_user,
        r.action,
        r.object_ref,
        r.reason,
        json.loads(r.evidence_json),
        None if r.before_json is None else json.loads(r.before_json),
        None if r.after_json is None else json.loads(r.after_json),
        r.prev_hash,
        r.entry_hash,
    )


def entries(store: Store, object_ref: str | None = None, limit: int | None = None) -> list[AuditEntry]:
    """Entries in chain order (about one object when ``object_ref`` is given; ``limit`` keeps the newest)."""
    q = select(ops_audit)
    if object_ref is not None:
        q = q.where(ops_audit.c.object_ref == object_ref)
    if limit is not None:
        q = q.order_by(ops_audit.c.seq.desc()).limit(limit)
    with store.connect() as conn:
        rows = [_entry(r) for r in conn.execute(q)]
    return sorted(rows, key=lambda e: e.seq)


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def verify(store: Store, batch_rows: int = 20_000) -> Verification:
    """Walk the chain in ``seq`` order, recomputing every hash; stops at the first bad entry and names it."""
    n, expect_seq, prev = 0, 1, GENESIS
    cols = ops_audit.c
    q = select(
        cols.seq,
        cols.at,
        cols.actor,
        cols.os_user,
        cols.action,
        cols.object_ref,
        cols.reason,
        cols.evidence_json,
        cols.before_json,
        cols.after_json,
        cols.prev_hash,
        cols.entry_hash,
    ).order_by(cols.seq)
    with store.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=batch_rows).execute(q)
        # a server-side cursor on PostgreSQL: closed explicitly, also when the walk stops at a bad entry
        with result:
            for seq, at, actor, osu, action, ref, reason, ev, b, a, prev_hash, h in result:
                if seq != expect_seq:
                    kind = "deleted (a gap in the sequence)" if seq > expect_seq else "duplicated or reordered"
                    return Verification(
                        False, n, expect_seq - 1, prev, expect_seq, f"entry {expect_seq} {kind}: next stored is {seq}"
                    )
                if prev_hash != prev:
                    return Verification(
                        False,
                        n,
                        seq - 1,
                        prev,
                        seq,
                        f"entry {seq} does not follow entry {seq - 1} (its link to the previous hash is broken: an entry "
                        "before it was edited, deleted or reordered)",
                    )
                if entry_hash(seq, at, actor, osu, action, ref, reason, ev, b, a, prev_hash) != h:
                    return Verification(
                        False, n, seq - 1, prev, seq, f"entry {seq} was edited (its hash does not match)"
                    )
                prev, expect_seq, n = h, seq + 1, n + 1
    return Verification(True, n, expect_seq - 1, prev)


def count(store: Store) -> int:
    with store.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(ops_audit)).scalar_one())


# -- anchors: the chain head signed with a key kept outside the database -------------------------------------------
def write_key(path: str | Path) -> Path:
    """Create an Ed25519 private key (PEM, mode 0600) at ``path``; refuses to overwrite one."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    p = Path(path)
    if p.exists():
        raise ValidationError(f"{p} exists; an anchor key is never overwritten (anchors signed with it would orphan)")
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    p.touch(mode=0o600)
    p.write_bytes(pem)
    return p


def _load_key(path: str | Path) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

    p = Path(path)
    if not p.is_file():
        raise InputFileError(p, "anchor key not found (create one with `flockwatch audit keygen --key-file FILE`)")
    data = p.read_bytes()
    key: Any
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except ValueError:
        try:
            key = serialization.load_pem_public_key(data)
        except ValueError as exc:
            raise InputFileError(p, f"not a PEM Ed25519 key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey | Ed25519PublicKey):
        raise InputFileError(p, "not an Ed25519 key")
    return key


def public_key_pem(key_path: str | Path) -> bytes:
    """The public half of the anchor key (PEM): what auditors need to check anchors, and all they get."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = _load_key(key_path)
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return bytes(public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))


def write_public_key(key_path: str | Path, out: str | Path) -> Path:
    """Write the public half of ``key_path`` to ``out`` (mode 0644; rewriting it with the same key is harmless, a
    different key already there is refused)."""
    pem = public_key_pem(key_path)
    p = Path(out)
    if p.exists() and p.read_bytes() != pem:
        raise ValidationError(f"{p} holds a different public key; it is not overwritten")
    p.write_bytes(pem)
    return p


def _anchor_message(seq: int, head_hash: str, at: str) -> bytes:
    return json.dumps({"seq": seq, "entry_hash": head_hash, "at": at}, sort_keys=True).encode()


def anchor(store: Store, key_path: str | Path, anchors_path: str | Path) -> dict[str, Any]:
    """Verify the chain, sign its head with the private key and append the signed head to ``anchors_path``."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = _load_key(key_path)
    if not isinstance(key, Ed25519PrivateKey):
        raise InputFileError(key_path, "anchoring needs the private key")
    v = verify(store)
    if not v.ok:
        raise ValidationError(f"the audit chain is broken ({v.problem}); it is not anchored")
    at = utc_now()
    record = {
        "seq": v.head_seq,
        "entry_hash": v.head_hash,
        "at": at,
        "signature": key.sign(_anchor_message(v.head_seq, v.head_hash, at)).hex(),
    }
    with Path(anchors_path).open("a", encoding="utf-8") as f:
        f.write(json.dumps(record, sort_keys=True) + "\n")
    return record


def check_anchors(store: Store, key_path: str | Path, anchors_path: str | Path) -> Verification:
    """The chain verified, and every anchor in ``anchors_path`` signed by the key and still present in the chain
    (a rewritten or truncated chain no longer holds an anchored head)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = _load_key(key_path)
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    v = verify(store)
    if not v.ok:
        return v
    p = Path(anchors_path)
    if not p.is_file():
        raise InputFileError(p, "anchor file not found")
    heads: dict[int, str] = {}
    with store.connect() as conn:
        for line_no, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                seq, h, at, sig = (
                    int(rec["seq"]),
                    str(rec["entry_hash"]),
                    str(rec["at"]),
                    bytes.fromhex(rec["signature"]),
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise InputFileError(p, f"line {line_no}: not an anchor record ({exc})") from None
            try:
                public.verify(sig, _anchor_message(seq, h, at))
            except InvalidSignature:
                return Verification(
                    False, v.entries, v.head_seq, v.head_hash, seq, f"anchor on line {line_no} has a bad signature"
                )
            if seq == 0:
                continue
            if seq not in heads:
                got = conn.execute(select(ops_audit.c.entry_hash).where(ops_audit.c.seq == seq)).scalar()
                heads[seq] = got or ""
            if heads[seq] != h:
                what = "is missing (the chain was truncated)" if not heads[seq] else "differs (the chain was rewritten)"
                return Verification(
                    False, v.entries, v.head_seq, v.head_hash, seq, f"anchored entry {seq} (line {line_no}) {what}"
                )
    return v
