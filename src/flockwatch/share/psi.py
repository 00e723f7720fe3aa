"""Private matching: two platforms learn which accounts or indicators they *both* hold, and nothing else.

Consumes two item files (one item a line: handles, e-mail addresses, phone numbers as each platform holds them, or
raw strings), one per party; produces, for the party that asks, the items of its own list that the other party
holds. Built on openmined-psi (Google's private-join-and-compute style ECDH PSI, P-256, maintained by OpenMined):
no cryptography is written here — this module normalises items, moves the library's three messages through files,
caps set sizes and writes an audit entry per step.

The protocol (three files; A asks, B answers):

1. ``A: request``  — A blinds each of its items with its secret key; writes ``request`` (blinded items only) and
   keeps a private ``state`` file (its key and its item list; never sent);
2. ``B: respond``  — B re-blinds A's items with its own fresh key, and blinds its own items with that key; writes
   ``response`` (both, B's items as a setup message). B's key lives only in memory for this step;
3. ``A: finish``   — A removes its own blinding and compares: the items both hold, and only those, match.

Threat model (semi-honest parties; what each side can learn and what limits it):

- *What leaks by design*: A learns which of its items B holds (the intersection) and the size of B's list; B learns
  the size of A's list. Neither learns the other's non-matching items: they leave only blinded by a key that never
  leaves its owner (the test ``test_non_matching_items_never_leave_unblinded`` checks the files for every item in
  plain text and under common unkeyed hashes).
- *Guessing* (the real risk): A may fill its list with guessed handles ("is @dissident on your platform?").
  Blinding cannot stop that — it is what PSI computes. Limits: both sides cap list sizes (``max_items``, default
  100,000 — B refuses a larger request); items are normalised so a guess list cannot be padded with variants; every
  step is written to the audit file with the counterpart, the list size and a digest of the list, so a guessing
  pattern is visible and attributable after the fact; the sharing agreement should fix who may ask and how often.
- *Malicious B*: B could answer with a list of guesses to learn A's items through what A does next; A's output is
  the intersection with *A's own* list only, and A acts on it only through review (share.intake's rules).
- *Not protected*: traffic analysis of when runs happen; a party that lies about its list (PSI cannot prove a list
  is genuine).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flockwatch.core.handles import handle_key
from flockwatch.errors import InputFileError, ValidationError

KINDS = ("handle", "email", "phone", "raw")
DEFAULT_MAX_ITEMS = 100_000
_FORMAT = "flockwatch-psi-v1"
_DIGITS = re.compile(r"\D+")


@dataclass
class PsiResult:
    shared: list[str]
    mine: int
    theirs: int

    def to_dict(self) -> dict[str, Any]:
        return {"shared": len(self.shared), "items": self.shared, "my_items": self.mine, "their_items": self.theirs}


def normalise(item: str, kind: str) -> str | None:
    """One item in the form both parties compare (None when it cannot be one of ``kind``)."""
    s = item.strip()
    if not s:
        return None
    if kind == "handle":
        k = handle_key(s)
        return None if k is None else f"handle:{k}"
    if kind == "email":
        return f"email:{s.lower()}" if "@" in s[1:-1] else None
    if kind == "phone":
        digits = _DIGITS.sub("", s)
        return f"phone:{digits}" if 7 <= len(digits) <= 15 else None
    if kind == "raw":
        return f"raw:{s}"
    raise ValidationError(f"unknown item kind {kind!r}; known: {', '.join(KINDS)}")


def read_items(path: str | Path, kind: str, max_items: int = DEFAULT_MAX_ITEMS) -> list[str]:
    """The normalised, de-duplicated, sorted items of a file; an :class:`InputFileError` naming the line of an
    item that is not a ``kind``, or the count when the file holds more than ``max_items``."""
    if kind not in KINDS:
        raise ValidationError(f"unknown item kind {kind!r}; known: {', '.join(KINDS)}")
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputFileError(p, f"cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise InputFileError(p, f"not UTF-8 text (byte {exc.start})") from exc
    out: set[str] = set()
    for n, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        item = normalise(line, kind)
        if item is None:
            raise InputFileError(p, f"line {n}: {line.strip()[:40]!r} is not a {kind}")
        out.add(item)
    if len(out) > max_items:
        raise InputFileError(p, f"{len(out):,} items, more than the cap of {max_items:,} (see the threat model)")
    return sorted(out)


def _digest(items: Iterable[str]) -> str:
    h = hashlib.sha256()
    for i in items:
        h.update(i.encode("utf-8") + b"\n")
    return h.hexdigest()


def _write(path: Path, payload: bytes, private: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(payload)
    os.replace(tmp, path)


def _read_message(path: str | Path, step: str) -> dict[str, Any]:
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputFileError(p, f"cannot read: {exc.strerror or exc}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputFileError(p, f"not a flockwatch PSI {step} file ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("format") != _FORMAT or doc.get("step") != step:
        raise InputFileError(p, f"not a flockwatch PSI {step} file (format {_FORMAT}, step {step})")
    return doc


def audit(audit_path: Path | None, event: dict[str, Any]) -> None:
    """Append one audit entry (JSON line) for a PSI step: who, when, what size, which list (digest)."""
    if audit_path is None:
        return
    audit_path.parent.mkdir(parents=True, exist_ok=True)
    entry = {"at": dt.datetime.now(dt.UTC).isoformat(), "os_user": _os_user(), **event}
    with open(audit_path, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry, sort_keys=True) + "\n")


def _os_user() -> str:
    try:
        import getpass

        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


# -- the three steps ----------------------------------------------------------------------------------------------------
def request(
    items: list[str],
    kind: str,
    request_path: str | Path,
    state_path: str | Path,
    counterpart: str,
    audit_path: Path | None = None,
) -> int:
    """Step 1 (A): write the blinded request and A's private state; returns the number of items."""
    import private_set_intersection.python as psi

    client = psi.client.CreateWithNewKey(True)
    req = client.CreateRequest(items)
    _write(
        Path(request_path),
        json.dumps(
            {
                "format": _FORMAT,
                "step": "request",
                "kind": kind,
                "items": len(items),
                "request": req.SerializeToString().hex(),
            }
        ).encode(),
    )
    _write(
        Path(state_path),
        json.dumps(
            {"format": _FORMAT, "step": "state", "kind": kind, "key": client.GetPrivateKeyBytes().hex(), "items": items}
        ).encode(),
        private=True,
    )
    audit(
        audit_path,
        {
            "psi": "request",
            "kind": kind,
            "items": len(items),
            "list_sha256": _digest(items),
            "counterpart": counterpart,
        },
    )
    return len(items)


def respond(
    items: list[str],
    kind: str,
    request_path: str | Path,
    response_path: str | Path,
    counterpart: str,
    max_items: int = DEFAULT_MAX_ITEMS,
    audit_path: Path | None = None,
) -> int:
    """Step 2 (B): answer A's request with B's blinded list; refuses a request over ``max_items``."""
    import private_set_intersection.python as psi

    doc = _read_message(request_path, "request")
    if doc.get("kind") != kind:
        raise ValidationError(f"the request compares {doc.get('kind')!r} items, this list is {kind!r}")
    n_theirs = int(doc.get("items", 0))
    if n_theirs > max_items:
        raise ValidationError(f"the request holds {n_theirs:,} items, more than the cap of {max_items:,}; refused")
    req = psi.Request()
    try:
        req.ParseFromString(bytes.fromhex(str(doc["request"])))
    except (ValueError, KeyError) as exc:
        raise InputFileError(request_path, f"the request message is damaged ({exc})") from exc
    if len(req.encrypted_elements) != n_theirs:
        raise InputFileError(
            request_path, f"the request says {n_theirs} items but carries {len(req.encrypted_elements)}"
        )
    server = psi.server.CreateWithNewKey(True)
    setup = server.CreateSetupMessage(0.0, max(n_theirs, 1), items, psi.DataStructure.RAW)
    resp = server.ProcessRequest(req)
    _write(
        Path(response_path),
        json.dumps(
            {
                "format": _FORMAT,
                "step": "response",
                "kind": kind,
                "items": len(items),
                "setup": setup.SerializeToString().hex(),
                "response": resp.SerializeToString().hex(),
            }
        ).encode(),
    )
    audit(
        audit_path,
        {
            "psi": "respond",
            "kind": kind,
            "items": len(items),
            "their_items": n_theirs,
            "list_sha256": _digest(items),
            "counterpart": counterpart,
        },
    )
    return len(items)


def finish(
    state_path: str | Path, response_path: str | Path, counterpart: str, audit_path: Path | None = None
) -> PsiResult:
    """Step 3 (A): the items of A's list that B holds."""
    import private_set_intersection.python as psi

    state = _read_message(state_path, "state")
    doc = _read_message(response_path, "response")
    if doc.get("kind") != state.get("kind"):
        raise ValidationError(f"the response compares {doc.get('kind')!r} items, the request was {state.get('kind')!r}")
    items = [str(i) for i in state["items"]]
    client = psi.client.CreateFromKey(bytes.fromhex(str(state["key"])), True)
    setup, resp = psi.ServerSetup(), psi.Response()
    try:
        setup.ParseFromString(bytes.fromhex(str(doc["setup"])))
        resp.ParseFromString(bytes.fromhex(str(doc["response"])))
    except (ValueError, KeyError) as exc:
        raise InputFileError(response_path, f"the response message is damaged ({exc})") from exc
    if len(resp.encrypted_elements) != len(items):
        raise InputFileError(response_path, "the response does not answer this request (item counts differ)")
    idx = client.GetIntersection(setup, resp)
    shared = sorted(items[i] for i in idx)
    audit(
        audit_path,
        {
            "psi": "finish",
            "kind": state.get("kind"),
            "items": len(items),
            "their_items": int(doc.get("items", 0)),
            "shared": len(shared),
            "counterpart": counterpart,
        },
    )
    return PsiResult(shared, len(items), int(doc.get("items", 0)))


def display(item: str) -> str:
    """``handle:lina_52`` → ``lina_52`` (the item without its kind)."""
    return item.split(":", 1)[1] if ":" in item else item
