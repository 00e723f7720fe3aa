"""Affiliation lists: who runs which account, as researchers and platforms publish it.

Consumes a CSV in the plain affiliation format, one account per row::

    platform,handle,name,entity,parent_entity,source[,as_of][,role][,account_id][,...any other column]

``platform`` (``twitter``/``x``, ``facebook``, ...), ``handle`` (with or without ``@``, or a profile URL),
``entity`` (the owning entity as the list writes it: "China Media Group (CMG)", "Embassy of the PRC in Kenya")
and ``source`` (where the row comes from) are required; ``parent_entity`` may be empty. ``as_of`` (YYYY-MM-DD) is
the date the list saw that owner on that handle (default: the file's ``--as-of`` or today); ``role`` says what the
account is to its entity (``outlet`` for the entity's own account, or a person's role, see
:data:`PERSON_ROLES`; common words such as "reporter" or "ambassador" map through :data:`ROLE_SYNONYMS`); ``account_id`` is the platform's stable id when the list has one. Every other column is kept
verbatim in ``extra``. A review file (proposed links written by ``flockwatch media link-profiles``) has a
``review`` column: only rows a person marked ``accept`` are linked; the others are reported, not linked.

Produces an :class:`AffiliationFile`: :class:`AffiliationRow` per good row, each with its provenance (file, line,
content hash of the file), and :class:`QuarantinedRow` per bad row (file, line, reason, raw text) — nothing read is
ever dropped without a trace. A file that is not such a list at all (missing required columns, not UTF-8, empty)
raises :class:`~flockwatch.errors.InputFileError`; ``strict=True`` also raises on the first bad row, naming file,
line and reason.

Handles are reused: a row is an account *as of a date*. :func:`account_timeline` orders the rows of one handle
and closes each owner's span where a later, different owner starts, so a later owner inherits nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from flockwatch.core.handles import handle_key
from flockwatch.errors import InputFileError, ValidationError
from flockwatch.policy.facts import parse_date
from flockwatch.policy.normalise import name_key, social_account

REQUIRED_COLUMNS = ("platform", "handle", "name", "entity", "parent_entity", "source")
KNOWN_COLUMNS = (*REQUIRED_COLUMNS, "as_of", "role", "account_id")
#: the decision column of a review file (see policy.profile_links.review_rows)
REVIEW_ACCEPT = "accept"
REVIEW_REJECT = "reject"
#: what an account can be to its entity: its own account, or a person's
ACCOUNT_ROLES = ("outlet",)
PERSON_ROLES = ("editor_in_chief", "senior_staff", "journalist", "staff", "government_official", "head_of_state")
#: what lists write for those roles
ROLE_SYNONYMS = {
    "editor": "senior_staff",
    "managing_editor": "senior_staff",
    "bureau_chief": "senior_staff",
    "executive": "senior_staff",
    "reporter": "journalist",
    "correspondent": "journalist",
    "anchor": "journalist",
    "host": "journalist",
    "presenter": "journalist",
    "columnist": "journalist",
    "commentator": "journalist",
    "employee": "staff",
    "ambassador": "government_official",
    "diplomat": "government_official",
    "consul": "government_official",
    "consul_general": "government_official",
    "spokesperson": "government_official",
    "spokesman": "government_official",
    "spokeswoman": "government_official",
    "minister": "government_official",
    "official": "government_official",
    "president": "head_of_state",
    "head_of_state": "head_of_state",
    "institution": "outlet",
    "institutional": "outlet",
    "official_account": "outlet",
    "account": "outlet",
}
_PLATFORM_ALIASES = {"x": "twitter", "twitter": "twitter", "x.com": "twitter", "twitter.com": "twitter"}
_PLATFORMS = ("twitter", "facebook", "instagram", "youtube", "telegram", "vk", "tiktok", "linkedin", "weibo")
# a list of a few thousand accounts is a few hundred KB; anything much larger is not an affiliation list
_MAX_FIELD_CHARS = 4_000


@dataclass(frozen=True)
class Provenance:
    """Where one row came from."""

    file: str
    line: int
    sha256: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def cite(self) -> str:
        return f"{self.source} (affiliation list {self.file}, line {self.line}, sha256 {self.sha256[:12]})"


@dataclass(frozen=True)
class AffiliationRow:
    """One account as a list saw it on ``as_of``."""

    platform: str
    handle: str  # the comparison key (core.handles.handle_key)
    display: str  # as written, with @
    name: str
    entity: str
    parent_entity: str
    role: str
    as_of: str
    account_id: str | None
    provenance: Provenance
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_person(self) -> bool:
        return self.role in PERSON_ROLES

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class QuarantinedRow:
    """A row that could not be read, kept with why."""

    source_file: str
    line: int
    reason: str
    raw: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class AffiliationFile:
    path: str
    sha256: str
    columns: list[str]
    rows: list[AffiliationRow]
    quarantined: list[QuarantinedRow]

    def summary(self) -> dict[str, Any]:
        return {
            "file": self.path,
            "sha256": self.sha256,
            "rows": len(self.rows),
            "quarantined": len(self.quarantined),
            "extra_columns": [c for c in self.columns if c not in KNOWN_COLUMNS],
        }


def platform_key(text: str) -> str | None:
    """``X`` / ``twitter.com`` / ``Twitter`` → ``twitter``; None for a platform flockwatch does not know."""
    t = " ".join(text.casefold().split())
    if t in _PLATFORM_ALIASES:
        return _PLATFORM_ALIASES[t]
    return t if t in _PLATFORMS else None


def parse_handle(text: str, platform: str) -> tuple[str, str] | None:
    """A handle or profile URL → (key, display); None when it cannot be a handle on that platform."""
    t = text.strip()
    if "/" in t:  # a profile URL, with or without scheme
        acct = social_account(t)
        if acct is None or acct[0] != platform:
            return None
        return acct[1], "@" + acct[1]
    key = handle_key(t, platform)
    if key is None:
        return None
    return key, "@" + t.lstrip("@\uff20")


def _row(raw: dict[str, str], extra_cols: list[str], prov: Provenance, default_as_of: str) -> AffiliationRow | str:
    """A row, or the reason it is bad."""
    for col, value in raw.items():
        if value is not None and len(value) > _MAX_FIELD_CHARS:
            return f"column {col!r} is longer than {_MAX_FIELD_CHARS} characters"
    platform = platform_key(raw.get("platform") or "")
    if platform is None:
        return f"unknown platform {raw.get('platform')!r}; known: {', '.join(_PLATFORMS)} (x = twitter)"
    handle_text = (raw.get("handle") or "").strip()
    if not handle_text:
        return "missing handle"
    parsed = parse_handle(handle_text, platform)
    if parsed is None:
        return f"{handle_text!r} is not a valid {platform} handle or profile URL"
    entity = " ".join((raw.get("entity") or "").split())
    if not entity:
        return "missing entity: every row must say who owns the account"
    source = (raw.get("source") or "").strip()
    if not source:
        return "missing source: every row must say where the affiliation comes from"
    as_of_text = (raw.get("as_of") or "").strip()
    try:
        as_of = parse_date(as_of_text, "as_of") if as_of_text else default_as_of
    except ValidationError as exc:
        return str(exc)
    role = name_key(raw.get("role") or "").replace(" ", "_").replace("-", "_") or "outlet"
    role = ROLE_SYNONYMS.get(role, role)
    if role not in (*ACCOUNT_ROLES, *PERSON_ROLES):
        return f"unknown role {raw.get('role')!r}; known: {', '.join((*ACCOUNT_ROLES, *PERSON_ROLES))}"
    name = " ".join((raw.get("name") or "").split())
    if role in PERSON_ROLES and not name:
        return f"a person's row (role {role}) needs the person's name"
    account_id = (raw.get("account_id") or "").strip() or None
    if "review" in raw:
        decision = name_key(raw.get("review") or "")
        if decision not in ("", REVIEW_ACCEPT, REVIEW_REJECT):
            return f"review is {raw.get('review')!r}; write accept, reject, or leave it empty (undecided)"
        if decision and not (raw.get("reviewer") or "").strip():
            return f"review {decision!r} without a reviewer: name who decided in the reviewer column"
    return AffiliationRow(
        platform,
        parsed[0],
        parsed[1],
        name,
        entity,
        " ".join((raw.get("parent_entity") or "").split()),
        role,
        as_of,
        account_id,
        Provenance(prov.file, prov.line, prov.sha256, source),
        {c: (raw.get(c) or "") for c in extra_cols},
    )


def read_affiliations(
    path: str | Path, *, as_of: str | None = None, strict: bool = False, today: str | None = None
) -> AffiliationFile:
    """Read an affiliation list (module docstring). ``as_of`` is the date for rows without one (default today)."""
    p = Path(path)
    if not p.exists():
        raise InputFileError(p, "no such file")
    data = p.read_bytes()
    return parse_affiliations(data, p.name, as_of=as_of, strict=strict, today=today)


def parse_affiliations(
    data: bytes, file_name: str, *, as_of: str | None = None, strict: bool = False, today: str | None = None
) -> AffiliationFile:
    """:func:`read_affiliations` on bytes already read (``file_name`` names them in errors and provenance)."""
    from flockwatch.policy.determinations import today as today_fn

    default_as_of = parse_date(as_of, "--as-of date") if as_of else (today or today_fn())
    digest = hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(file_name, f"not UTF-8 text: {exc}") from None
    if not text.strip():
        raise InputFileError(file_name, "empty file: expected a header " + ",".join(REQUIRED_COLUMNS))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().casefold() for h in next(reader)]
    except csv.Error as exc:
        raise InputFileError(file_name, f"line 1: unreadable CSV header: {exc}") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InputFileError(
            file_name,
            f"line 1: not an affiliation list: missing column(s) {missing}; expected {','.join(REQUIRED_COLUMNS)} "
            "(extra columns are kept)",
        )
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise InputFileError(file_name, f"line 1: duplicate column(s) {dupes}")
    extra_cols = [h for h in header if h not in KNOWN_COLUMNS and h]
    rows: list[AffiliationRow] = []
    bad: list[QuarantinedRow] = []
    # the physical lines the csv module counts (str.splitlines also breaks at form feeds and U+2028)
    lines = re.split(r"\r\n|\r|\n", text)
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            line = reader.line_num
            reason = f"unreadable CSV: {exc}"
            if strict:
                raise InputFileError(file_name, f"line {line}: {reason}") from None
            bad.append(QuarantinedRow(file_name, line, reason, lines[line - 1] if line <= len(lines) else ""))
            continue
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue  # blank lines are not rows
        raw_text = lines[line - 1] if line <= len(lines) else ",".join(values)
        if len(values) != len(header):
            reason = f"{len(values)} fields, the header has {len(header)}"
        else:
            got = _row(
                dict(zip(header, values, strict=True)),
                extra_cols,
                Provenance(file_name, line, digest, ""),
                default_as_of,
            )
            if isinstance(got, AffiliationRow):
                rows.append(got)
                continue
            reason = got
        if strict:
            raise InputFileError(file_name, f"line {line}: {reason}")
        bad.append(QuarantinedRow(file_name, line, reason, raw_text))
    return AffiliationFile(file_name, digest, header, rows, bad)


@dataclass(frozen=True)
class AccountSpan:
    """One owner's hold on a handle: from ``valid_from`` until ``valid_until`` (exclusive; None = still)."""

    platform: str
    handle: str
    entity: str
    valid_from: str
    valid_until: str | None
    account_id: str | None
    rows: tuple[AffiliationRow, ...]


def account_timeline(rows: Iterable[AffiliationRow]) -> list[AccountSpan]:
    """Spans of ownership per handle. Rows of the same handle agreeing on the owner (entity and, where given,
    account id) merge into one span; a row with a different owner starts a new span and ends the previous one, so
    a later owner of a reused handle inherits nothing from the earlier."""
    by_handle: dict[tuple[str, str], list[AffiliationRow]] = {}
    for r in rows:
        by_handle.setdefault((r.platform, r.handle), []).append(r)
    spans: list[AccountSpan] = []
    for (platform, handle), group in sorted(by_handle.items()):
        group.sort(key=lambda r: (r.as_of, r.provenance.file, r.provenance.line))
        current: list[AffiliationRow] = []
        for r in group:
            if current and _same_owner(current[-1], r):
                current.append(r)
                continue
            if current:
                spans.append(_span(platform, handle, current, r.as_of))
            current = [r]
        spans.append(_span(platform, handle, current, None))
    return spans


def _same_owner(a: AffiliationRow, b: AffiliationRow) -> bool:
    if a.account_id and b.account_id and a.account_id != b.account_id:
        return False
    return name_key(a.entity) == name_key(b.entity)


def _span(platform: str, handle: str, rows: list[AffiliationRow], until: str | None) -> AccountSpan:
    ids = [r.account_id for r in rows if r.account_id]
    return AccountSpan(platform, handle, rows[0].entity, rows[0].as_of, until, ids[0] if ids else None, tuple(rows))


def span_on(spans: Iterable[AccountSpan], platform: str, handle: str, on_date: str) -> AccountSpan | None:
    """The span in force for a handle on a date (None: no known owner then)."""
    for s in spans:
        live = s.valid_from <= on_date and (s.valid_until is None or on_date < s.valid_until)
        if live and s.platform == platform and s.handle == handle:
            return s
    return None
