"""Acting on a peer's tip: read its bundle, match every indicator against local data, score the leads.

Consumes a STIX 2.1 bundle (a dict, as read from a file or pulled from TAXII) and a workspace; produces
:class:`TipIndicator` rows (each with its source and TLP marking, kept through everything downstream) and
:class:`TipMatch` leads — local accounts, Pages and Groups with per-match evidence, a score and a confidence band.

What a peer can name, and what it is matched against here:

=================  ===========================================================================================
indicator          local data
=================  ===========================================================================================
account id         ``accounts.account_id`` (raw, or the sharing agreement's HMAC of it — share.agreement)
handle             every handle the account has been seen under (``account_handles``, case-insensitive through
                   core.handles; a former handle is reported as such); a user-account's ``account_login``
display name       ``accounts.display_name`` (case- and space-insensitive)
domain / URL       hosts of linked URLs (core.urls; a domain also matches its subdomains) / normalised URLs
IP prefix / ASN    login observations (``infrastructure``); prefixes compared as networks (``ipaddress``)
hashtag            ``action_hashtags`` (core.text keys)
text fingerprint   exact: SHA-256 of the normalised post text; near-duplicate: MinHash similarity >=
                   ``NEAR_TEXT_MIN`` (core.fingerprints, computed in the engine)
Page / Group       ``assets`` by id or name (a user-account whose ``account_type`` is ``platform:page|group``)
=================  ===========================================================================================

Scoring (why each number is what it is):

- each match has a *strength*: an id the peer knows for us 0.9; a handle 0.6, or 0.35 when it is a *common* handle
  (letters only and at most 12 of them — ``news``, ``johnsmith``: different people hold it on different platforms),
  times 0.8 for a former handle; a display name 0.15 divided by how many local accounts carry it; content and
  infrastructure (URL 0.4, domain 0.3, exact text 0.5, near text 0.4 x similarity, IP prefix 0.4, ASN 0.15,
  hashtag 0.2) times a *specificity* ``min(1, SPECIFIC_ACCOUNTS / n)``, ``n`` the local accounts the indicator
  matches: a hashtag half the platform uses says nothing about any one account;
- per account the strongest match of each kind counts, combined by noisy-OR, and multiplied by the **peer's trust
  level** (0–1, the receiving platform's judgement of the sender);
- the band is ``high`` only when the score is at least 0.7 **and** the evidence comes from at least two of the three
  families *identity* (id, handle, name), *content* (URL, domain, text, hashtag) and *infrastructure* (IP, ASN). A
  handle and a display name alone — the classic collision: a common name held by another person — can never be
  high, however much the peer is trusted.

A tip is a lead, not a verdict: nothing here proposes an action (a state can "tip" its own dissidents); the case a
tip opens holds the leads for a person to review.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from flockwatch.core.fingerprints import MINHASH_BINS, decode_minhash, minhash_sql
from flockwatch.core.handles import handle_key
from flockwatch.core.text import hashtag_key
from flockwatch.core.urls import host, normalise_url, normalised_url_sql
from flockwatch.errors import InputFileError, ValidationError
from flockwatch.share.agreement import Pseudonymiser
from flockwatch.share.stix_export import HASHTAG_TYPE, TEXT_TYPE
from flockwatch.share.tlp import Level, level_of
from flockwatch.workspace import Workspace

NEAR_TEXT_MIN = 0.5
SPECIFIC_ACCOUNTS = 5
HIGH_SCORE = 0.7
MEDIUM_SCORE = 0.4
COMMON_HANDLE_MAX_LETTERS = 12
STRENGTH = {
    "account_id": 0.9,
    "handle": 0.6,
    "common_handle": 0.35,
    "display_name": 0.15,
    "url": 0.4,
    "domain": 0.3,
    "text": 0.5,
    "near_text": 0.4,
    "ip_prefix": 0.4,
    "asn": 0.15,
    "hashtag": 0.2,
    "asset": 0.6,
}
FAMILY = {
    "account_id": "identity",
    "handle": "identity",
    "display_name": "identity",
    "asset": "identity",
    "url": "content",
    "domain": "content",
    "text": "content",
    "near_text": "content",
    "hashtag": "content",
    "ip_prefix": "infrastructure",
    "asn": "infrastructure",
}


@dataclass
class TipIndicator:
    """One thing a peer named, with where it came from and how it is marked."""

    kind: str
    value: str
    object_id: str
    peer: str
    tlp: str
    """``TLP:AMBER`` ..., or ``unmarked``"""
    platform: str | None = None
    subject_kind: str = "account"
    keyed: bool = False
    """true when the value is a sharing-agreement HMAC"""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Evidence:
    kind: str
    value: str
    indicator_id: str
    peer: str
    tlp: str
    strength: float
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TipMatch:
    subject_kind: str
    """``account``, ``page`` or ``group``"""
    subject_id: str
    platform: str
    screen_name: str | None
    score: float
    confidence: str
    evidence: list[Evidence]

    @property
    def families(self) -> list[str]:
        return sorted({FAMILY[e.kind] for e in self.evidence})

    @property
    def tlp(self) -> str:
        """The strictest marking among the evidence: what the lead itself is marked."""
        return _strictest([e.tlp for e in self.evidence])

    def to_dict(self) -> dict[str, Any]:
        top = max(self.evidence, key=lambda e: e.strength)
        return {
            "account_id": self.subject_id if self.subject_kind == "account" else None,
            "subject_kind": self.subject_kind,
            "subject_id": self.subject_id,
            "platform": self.platform,
            "screen_name": self.screen_name,
            "indicator": f"{top.kind}:{top.value}",
            "score": round(self.score, 4),
            "confidence": self.confidence,
            "tlp": self.tlp,
            "families": self.families,
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass
class TipResult:
    peer: str
    trust: float
    indicators: list[TipIndicator]
    matches: list[TipMatch]
    unsupported: dict[str, int]
    tlp: str

    def to_dict(self) -> dict[str, Any]:
        by_kind: dict[str, int] = defaultdict(int)
        for i in self.indicators:
            by_kind[i.kind] += 1
        return {
            "peer": self.peer,
            "trust": self.trust,
            "tlp": self.tlp,
            "indicators": dict(sorted(by_kind.items())),
            "unsupported": self.unsupported,
            "note": "a tip is a lead, not a verdict: no action is proposed; review the matches",
            "matched": [m.to_dict() for m in self.matches],
        }


#: every account with its current handle: the one seen most recently by ingest (``account_handles.first_seen_at``),
#: else the ``accounts`` row's (which keeps the first description ingest saw)
CURRENT_HANDLES = """
SELECT a.platform, a.account_id, coalesce(l.latest, a.screen_name) AS screen_name
FROM accounts a LEFT JOIN (
  SELECT platform, account_id, arg_max(screen_name, first_seen_at) AS latest FROM account_handles
  WHERE first_seen_at IS NOT NULL GROUP BY ALL
) l ON l.platform IS NOT DISTINCT FROM a.platform AND l.account_id = a.account_id"""

_TLP_ORDER = {lv.label: lv for lv in Level}


def _strictest(labels: list[str]) -> str:
    levels = [_TLP_ORDER.get(x, Level.UNKNOWN) for x in labels if x != "unmarked"]
    if not levels:
        return "unmarked"
    return max(levels).label


# -- reading a bundle ------------------------------------------------------------------------------------------------
def read_bundle(path: str | Path) -> dict[str, Any]:
    """A bundle file → dict; :class:`InputFileError` naming the file, line and reason when it is not one."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputFileError(p, f"cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise InputFileError(p, f"not UTF-8 text (byte {exc.start})") from exc
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(p, f"line {exc.lineno}: not JSON ({exc.msg})") from exc
    if not isinstance(doc, dict) or doc.get("type") != "bundle" or not isinstance(doc.get("objects"), list):
        raise InputFileError(p, "not a STIX bundle (a JSON object with type 'bundle' and a list of objects)")
    return doc


def _unquote(v: str) -> str:
    v = v.strip()
    if len(v) >= 2 and v[0] == "'" and v[-1] == "'":
        v = v[1:-1]
        out, i = [], 0
        while i < len(v):
            if v[i] == "\\" and i + 1 < len(v):
                out.append(v[i + 1])
                i += 2
            else:
                out.append(v[i])
                i += 1
        return "".join(out)
    return v


_PATTERN_KINDS = {
    ("domain-name", "value"): "domain",
    ("url", "value"): "url",
    ("ipv4-addr", "value"): "ip_prefix",
    ("ipv6-addr", "value"): "ip_prefix",
    ("autonomous-system", "number"): "asn",
    (HASHTAG_TYPE, "value"): "hashtag",
    (TEXT_TYPE, "normalised_sha256"): "text",
    (TEXT_TYPE, "minhash"): "near_text",
    ("user-account", "account_login"): "handle",
    ("user-account", "user_id"): "account_id",
    ("user-account", "display_name"): "display_name",
}


_COMPARISON = r"([a-z0-9][a-z0-9-]*):([A-Za-z0-9_.'-]+)\s*=\s*('(?:[^'\\]|\\.)*'|-?[0-9]+)"
_SIMPLE_PATTERN = re.compile(rf"^\[\s*{_COMPARISON}(?:\s+OR\s+{_COMPARISON})*\s*\]$")
_ONE_COMPARISON = re.compile(_COMPARISON)


def _comparisons(pattern: str) -> list[tuple[str, str, str, str]]:
    """``(object type, property path, operator, value)`` of a STIX pattern. The shapes tips use — one observation of
    ``=`` comparisons joined by OR — are read by a regular expression (the reference parser costs ~3 ms a pattern,
    30 s for a 10,000-indicator tip); anything else goes to stix2-patterns. Comparisons joined by AND or across
    observations are matched one by one: looser than the pattern, which a lead may be."""
    if _SIMPLE_PATTERN.match(pattern):
        return [(t, p.replace("'", ""), "=", v) for t, p, v in _ONE_COMPARISON.findall(pattern)]
    from stix2patterns.v21.pattern import Pattern

    out = []
    for obj_type, comps in Pattern(pattern).inspect().comparisons.items():
        for path, op, value in comps:
            out.append((obj_type, ".".join(str(x) for x in path), op, str(value)))
    return out


def indicators_of(bundle: dict[str, Any], peer: str | None = None) -> tuple[list[TipIndicator], dict[str, int], str]:
    """Every indicator a bundle names, with source and marking; plus the count of what could not be read, by
    reason, and the peer's name (``peer``, else the identity that created most objects)."""
    objects = [o for o in bundle.get("objects") or [] if isinstance(o, dict)]
    definitions = {o["id"]: o for o in objects if o.get("type") == "marking-definition" and "id" in o}
    identities = {o["id"]: o.get("name") for o in objects if o.get("type") == "identity" and "id" in o}
    creators: dict[str, int] = defaultdict(int)
    for o in objects:
        if o.get("created_by_ref") in identities and o.get("type") not in ("extension-definition",):
            creators[o["created_by_ref"]] += 1
    sender = peer or (identities[max(creators, key=lambda k: creators[k])] if creators else None) or "unnamed peer"
    out: list[TipIndicator] = []
    unsupported: dict[str, int] = defaultdict(int)

    def mark(o: dict[str, Any]) -> str:
        lv = level_of(o.get("object_marking_refs") or [], definitions)
        return lv.label if lv is not None else "unmarked"

    for o in objects:
        typ = o.get("type")
        oid = str(o.get("id", ""))
        if typ == "user-account":
            account_type = str(o.get("account_type") or "")
            platform, _, kind = account_type.partition(":")
            subject_kind = kind if kind in ("page", "group") else "account"
            keyed = bool(o.get("x_flockwatch_pseudonyms"))
            base = dict(
                object_id=oid,
                peer=sender,
                tlp=mark(o),
                platform=platform or None,
                subject_kind=subject_kind,
                keyed=keyed,
            )
            if subject_kind != "account":
                for prop in ("user_id", "display_name"):
                    if o.get(prop):
                        out.append(TipIndicator("asset", str(o[prop]), extra={"by": prop}, **base))  # type: ignore[arg-type]
                continue
            if o.get("user_id"):
                out.append(TipIndicator("account_id", str(o["user_id"]), **base))  # type: ignore[arg-type]
            if o.get("account_login"):
                out.append(TipIndicator("handle", str(o["account_login"]), **base))  # type: ignore[arg-type]
            if o.get("display_name") and not keyed:
                out.append(TipIndicator("display_name", str(o["display_name"]), **base))  # type: ignore[arg-type]
        elif typ == "indicator":
            if o.get("pattern_type", "stix") != "stix":
                unsupported[f"pattern_type {o.get('pattern_type')}"] += 1
                continue
            try:
                comparisons = _comparisons(str(o.get("pattern", "")))
            except Exception:  # the pattern library raises its own parse errors of several types
                unsupported["unparseable pattern"] += 1
                continue
            for obj_type, path, op, value in comparisons:
                pattern_kind = _PATTERN_KINDS.get((obj_type, path))
                if pattern_kind is None or op != "=":
                    unsupported[f"{obj_type}:{path} {op}"] += 1
                    continue
                out.append(TipIndicator(pattern_kind, _unquote(value), oid, sender, mark(o)))
    return out, dict(unsupported), sender


# -- matching ----------------------------------------------------------------------------------------------------------------
def _common_handle(key: str) -> bool:
    return key.isalpha() and key.isascii() and len(key) <= COMMON_HANDLE_MAX_LETTERS


def _network(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None


@dataclass(frozen=True)
class _Lookup:
    """A content or infrastructure indicator kind matched by one query: ``key`` turns a peer's value into the form
    local data is kept in (``None`` or empty: nothing to look up), ``sql`` returns ``(key, account_id)`` rows for
    the keys bound as ``{q}`` (column ``q``), and ``label`` says in the evidence what the account did."""

    kind: str
    key: Callable[[str], str | None]
    sql: str
    label: str


def _asn_key(value: str) -> str | None:
    return str(int(value)) if value.strip().isdigit() else None


_LOOKUPS = (
    _Lookup(
        "domain",
        host,
        """WITH d AS (SELECT DISTINCT domain FROM action_urls WHERE domain IS NOT NULL),
                -- every parent of a local host (a.b.example.com -> b.example.com, example.com, com): an
                -- equality join, not a LIKE per pair
                s AS (SELECT domain, array_to_string(string_split(domain, '.')[i:], '.') AS parent
                      FROM (SELECT domain, unnest(range(1, len(string_split(domain, '.')) + 1)) AS i FROM d)),
                m AS (SELECT DISTINCT s.domain, q.q FROM s JOIN {q} q ON s.parent = q.q)
           SELECT DISTINCT m.q, a.account_id FROM m JOIN action_urls u ON u.domain = m.domain
           JOIN actions a ON a.platform = u.platform AND a.action_id = u.action_id""",
        "links this domain",
    ),
    _Lookup(
        "url",
        normalise_url,
        f"""SELECT DISTINCT q.q, a.account_id FROM action_urls u JOIN actions a ON a.platform = u.platform AND a.action_id = u.action_id
           JOIN {{q}} q ON {normalised_url_sql("u.url")} = q.q""",
        "linked this URL",
    ),
    _Lookup(
        "hashtag",
        hashtag_key,
        """SELECT DISTINCT h.hashtag, a.account_id FROM action_hashtags h JOIN actions a ON a.platform = h.platform AND a.action_id = h.action_id
           WHERE h.hashtag IN (SELECT q FROM {q})""",
        "used this hashtag",
    ),
    _Lookup(
        "asn",
        _asn_key,
        "SELECT DISTINCT CAST(asn AS VARCHAR), account_id FROM infrastructure WHERE CAST(asn AS VARCHAR) IN (SELECT q FROM {q})",
        "logged in from this ASN",
    ),
    _Lookup(
        "text",
        str.lower,  # the peer sends the SHA-256 of the normalised text; hex digests compare in lower case
        """SELECT DISTINCT t.exact_sha256, a.account_id FROM text_exact t
           JOIN actions a ON a.platform = t.platform AND a.action_id = t.action_id
           WHERE t.exact_sha256 IN (SELECT q FROM {q})""",
        "posted this text (normalised)",
    ),
)


def match_tip(
    ws: Workspace,
    bundle: dict[str, Any],
    trust: float = 0.5,
    peer: str | None = None,
    pseudonymiser: Pseudonymiser | None = None,
    min_score: float = 0.05,
) -> TipResult:
    """Match a peer's bundle against this workspace (module docstring); the peer's ``trust`` is in [0, 1]."""
    if not 0.0 <= trust <= 1.0 or math.isnan(trust):
        raise ValidationError(f"peer trust must be in [0, 1], got {trust}")
    indicators, unsupported, sender = indicators_of(bundle, peer)
    hits: dict[tuple[str, str], list[Evidence]] = defaultdict(list)
    e = ws.engine
    by_kind: dict[str, list[TipIndicator]] = defaultdict(list)
    for ind in indicators:
        by_kind[ind.kind].append(ind)

    def add(kind: str, ind: TipIndicator, subject: tuple[str, str], strength: float, detail: str) -> None:
        hits[subject].append(Evidence(kind, ind.value, ind.object_id, ind.peer, ind.tlp, round(strength, 4), detail))

    def run(values: dict[str, list[TipIndicator]], sql: str) -> list[tuple[Any, ...]]:
        """``sql`` over the indicator values, bound as the one-column table ``{q}`` (column ``q``)."""
        if not values:
            return []
        with e.scratch("tipmatch") as s:
            t = s.register("q", pa.table({"q": pa.array(list(values), pa.string())}))
            return e.sql(sql.replace("{q}", t)).rows()

    # -- identity ------------------------------------------------------------------------------------------------
    ids: dict[str, list[TipIndicator]] = defaultdict(list)
    keyed_ids: list[TipIndicator] = []
    for ind in by_kind["account_id"]:
        if ind.keyed:
            keyed_ids.append(ind)
        else:
            ids[ind.value].append(ind)
    for aid, _platform in run(
        ids,
        "SELECT account_id, platform FROM accounts WHERE account_id IN (SELECT q FROM {q})",
    ):
        for ind in ids[aid]:
            add("account_id", ind, ("account", aid), STRENGTH["account_id"], "the peer names this account's id")
    handles: dict[str, list[TipIndicator]] = defaultdict(list)
    keyed_handles: dict[str, list[TipIndicator]] = defaultdict(list)
    for ind in by_kind["handle"]:
        if ind.keyed:
            keyed_handles[ind.value].append(ind)
            continue
        k = handle_key(ind.value)
        if k:
            handles[k].append(ind)
    if handles:
        rows = run(
            handles,
            f"""SELECT h.account_id, lower(h.screen_name), c.screen_name FROM account_handles h
               JOIN ({CURRENT_HANDLES}) c ON c.platform IS NOT DISTINCT FROM h.platform AND c.account_id = h.account_id
               WHERE lower(h.screen_name) IN (SELECT q FROM {{q}})""",
        )
        for aid, k, current in sorted(set(rows)):
            former = current is None or current.lower() != k
            for ind in handles[k]:
                base = STRENGTH["common_handle"] if _common_handle(k) else STRENGTH["handle"]
                strength = base * (0.8 if former else 1.0)
                what = f"former handle of @{current}" if former else "current handle"
                common = " (a common handle: others may hold it elsewhere)" if _common_handle(k) else ""
                add("handle", ind, ("account", aid), strength, f"@{k} is this account's {what}{common}")
    if pseudonymiser and (keyed_handles or keyed_ids):
        _match_keyed(ws, pseudonymiser, keyed_handles, keyed_ids, add)
    names: dict[str, list[TipIndicator]] = defaultdict(list)
    for ind in by_kind["display_name"]:
        k = " ".join(ind.value.lower().split())
        if k:
            names[k].append(ind)
    if names:
        rows = run(
            names,
            """WITH a AS (SELECT account_id, array_to_string(string_split_regex(trim(lower(display_name)), '\\s+'), ' ') AS k
                          FROM accounts WHERE display_name IS NOT NULL)
               SELECT account_id, k, count(*) OVER (PARTITION BY k) FROM a WHERE k IN (SELECT q FROM {q})""",
        )
        for aid, k, n in rows:
            for ind in names[k]:
                add(
                    "display_name",
                    ind,
                    ("account", aid),
                    STRENGTH["display_name"] / n,
                    f"display name shared by {n} local account(s)",
                )

    # -- content and infrastructure -----------------------------------------------------------------------------------
    def specific(kind: str, found: dict[str, list[str]], index: dict[str, list[TipIndicator]], label: str) -> None:
        for value, accounts in found.items():
            n = len(accounts)
            spec = min(1.0, SPECIFIC_ACCOUNTS / n)
            for ind in index.get(value, []):
                for aid in accounts:
                    add(kind, ind, ("account", aid), STRENGTH[kind] * spec, f"{label} ({n} local account(s) match)")

    def lookup(m: _Lookup) -> None:
        index: dict[str, list[TipIndicator]] = defaultdict(list)
        for ind in by_kind[m.kind]:
            k = m.key(ind.value)
            if k:
                index[k].append(ind)
        if index:
            found: dict[str, list[str]] = defaultdict(list)
            for v, aid in run(index, m.sql):
                found[v].append(aid)
            specific(m.kind, found, index, m.label)

    if by_kind["text"] or by_kind["near_text"]:
        update_text_index(ws)  # the exact-text lookup and the near-text match read it
    for m in _LOOKUPS:
        lookup(m)
    if by_kind["ip_prefix"]:
        _match_prefixes(ws, by_kind["ip_prefix"], specific)
    if by_kind["near_text"]:
        _match_near_text(ws, by_kind["near_text"], add)

    # -- Pages and Groups -----------------------------------------------------------------------------------------------
    assets: dict[str, list[TipIndicator]] = defaultdict(list)
    for ind in by_kind["asset"]:
        assets[ind.value.lower()].append(ind)
    if assets:
        rows = run(
            assets,
            """SELECT asset_id, lower(kind), q.q FROM assets JOIN {q} q ON lower(asset_id) = q.q OR lower(name) = q.q""",
        )
        for asset_id, kind, q in rows:
            for ind in assets[q]:
                if ind.subject_kind == kind:
                    add(
                        "asset", ind, (kind, asset_id), STRENGTH["asset"], f"{kind} {ind.extra.get('by', 'id')} matches"
                    )

    matches = _score(ws, hits, trust, min_score)
    tlp = _strictest([i.tlp for i in indicators])
    return TipResult(sender, trust, indicators, matches, unsupported, tlp)


def _match_keyed(
    ws: Workspace, ps: Pseudonymiser, handles: dict[str, list[TipIndicator]], ids: list[TipIndicator], add: Any
) -> None:
    """HMAC'd handles and ids: key every local handle and id with the agreement's key and compare."""
    want_ids = {i.value: i for i in ids}
    rows = ws.engine.sql(
        f"""SELECT h.account_id, h.screen_name, c.platform, c.screen_name FROM account_handles h
            JOIN ({CURRENT_HANDLES}) c ON c.platform IS NOT DISTINCT FROM h.platform AND c.account_id = h.account_id"""
    ).rows()
    seen: set[str] = set()
    for aid, handle, platform, current in rows:
        mac = ps.handle(handle) if handle else None
        for ind in handles.get(mac or "", []):
            k = handle_key(handle) or ""
            base = STRENGTH["common_handle"] if _common_handle(k) else STRENGTH["handle"]
            former = current is None or current.lower() != handle.lower()
            add(
                "handle",
                ind,
                ("account", aid),
                base * (0.8 if former else 1.0),
                f"keyed handle ({ps.scheme}) of this account",
            )
        if want_ids and aid not in seen:
            seen.add(aid)
            keyed_ind = want_ids.get(ps.account_id(platform, aid))
            if keyed_ind is not None:
                add(
                    "account_id", keyed_ind, ("account", aid), STRENGTH["account_id"], f"keyed account id ({ps.scheme})"
                )


def _match_prefixes(ws: Workspace, inds: list[TipIndicator], specific: Any) -> None:
    """A peer prefix matches a local login prefix that lies inside it or contains it. Looked up by supernets at
    each prefix length in use (a dict probe per length), not by comparing every pair: 100,000 local prefixes
    against 500 tipped ones would be 50M comparisons."""
    Net = ipaddress.IPv4Network | ipaddress.IPv6Network
    wanted: dict[Net, list[TipIndicator]] = defaultdict(list)
    for ind in inds:
        n = _network(ind.value)
        if n is not None:
            wanted[n].append(ind)
    if not wanted:
        return
    local: dict[Net, list[str]] = defaultdict(list)
    for prefix, accounts in ws.engine.sql(
        "SELECT ip_prefix, list(DISTINCT account_id) FROM infrastructure WHERE ip_prefix IS NOT NULL GROUP BY 1"
    ).rows():
        ln = _network(prefix)
        if ln is not None:
            local[ln] += accounts
    found: dict[str, set[str]] = defaultdict(set)
    wanted_lengths = {(n.version, n.prefixlen) for n in wanted}
    local_lengths = {(n.version, n.prefixlen) for n in local}
    for ln, accounts in local.items():  # local prefixes inside a tipped one (or equal)
        for version, length in wanted_lengths:
            if version == ln.version and length <= ln.prefixlen:
                sup = ln.supernet(new_prefix=length)
                if sup in wanted:
                    found[str(sup)].update(accounts)
    for wn in wanted:  # a tipped prefix inside a wider local one
        for version, length in local_lengths:
            if version == wn.version and length < wn.prefixlen:
                sup = wn.supernet(new_prefix=length)
                if sup in local:
                    found[str(wn)].update(local[sup])
    index = {str(n): v for n, v in wanted.items()}
    specific("ip_prefix", {k: sorted(v) for k, v in found.items()}, index, "logged in from this prefix")


def update_text_index(ws: Workspace) -> int:
    """Fingerprint the posts not yet in ``text_exact``/``text_minhash`` (core.fingerprints, in the engine); returns
    how many were added. The first tip on a large workspace pays for every post once; later tips only for new ones."""
    from flockwatch.core.fingerprints import exact_fingerprint_sql

    e = ws.engine
    with e.scratch("textindex") as s:
        e.sql(
            f"""CREATE TEMP TABLE {s.new} AS SELECT a.platform, a.action_id, {{'p': a.platform, 'a': a.action_id}} AS key,
                a.text FROM actions a WHERE a.text IS NOT NULL AND a.kind IN ('post', 'reply', 'quote')
                AND NOT EXISTS (SELECT 1 FROM text_exact t WHERE t.platform = a.platform AND t.action_id = a.action_id)"""
        )
        n = int(e.count(s.new))
        if n:
            with e.transaction():
                e.sql(f"INSERT INTO text_minhash SELECT key.p, key.a, bin, m FROM ({minhash_sql(s.new)})")
                e.sql(
                    f"INSERT INTO text_exact SELECT platform, action_id, {exact_fingerprint_sql('text')} FROM {s.new}"
                )
    return n


#: a MinHash bin value that this many local posts share is a stock phrase (a template, a slogan everyone
#: repeats): like the detection kernel's hot targets it carries no evidence about which post is a copy, and
#: joining on it would make matching quadratic
HOT_BIN_POSTS = 1000
#: a candidate shares at least this many bins with the tipped text before its similarity is computed
MIN_EQUAL_BINS = 4


def _match_near_text(ws: Workspace, inds: list[TipIndicator], add: Any) -> None:
    """Near-duplicate posts: local posts sharing MinHash bins with a tipped signature (hot bin values left out),
    then the similarity over the bins both fill."""
    from flockwatch.core.fingerprints import minhash_similarity

    sigs: dict[str, list[int | None]] = {}
    by_sig: dict[str, list[TipIndicator]] = defaultdict(list)
    for ind in inds:
        try:
            sigs[ind.value] = decode_minhash(ind.value)
        except ValueError:
            continue
        by_sig[ind.value].append(ind)
    if not sigs:
        return
    rows = [(k, b, m) for k, sig in sigs.items() for b, m in enumerate(sig) if m is not None]
    e = ws.engine
    with e.scratch("neartext") as s:
        tip = s.register(
            "tip",
            pa.table(
                {
                    "key": [r[0] for r in rows],
                    "bin": pa.array([r[1] for r in rows], pa.int32()),
                    "m": pa.array([r[2] for r in rows], pa.uint64()),
                }
            ),
        )
        cand = e.sql(
            f"""WITH v AS (SELECT l.bin, l.m FROM text_minhash l SEMI JOIN {tip} t ON l.bin = t.bin AND l.m = t.m
                           GROUP BY ALL HAVING count(*) <= {HOT_BIN_POSTS}),
                     hit AS (SELECT t.key AS tip_key, l.platform, l.action_id, count(*) AS equal_bins
                             FROM {tip} t JOIN v ON v.bin = t.bin AND v.m = t.m
                             JOIN text_minhash l ON l.bin = t.bin AND l.m = t.m GROUP BY ALL
                             HAVING count(*) >= {MIN_EQUAL_BINS})
                SELECT h.tip_key, a.account_id, list(l.bin ORDER BY l.bin), list(l.m ORDER BY l.bin)
                FROM hit h JOIN text_minhash l ON l.platform = h.platform AND l.action_id = h.action_id
                JOIN actions a ON a.platform = h.platform AND a.action_id = h.action_id GROUP BY h.tip_key,
                h.platform, h.action_id, a.account_id"""
        ).rows()
    best: dict[tuple[str, str], float] = {}
    for tip_key, aid, bins, mins in cand:
        sig: list[int | None] = [None] * MINHASH_BINS
        for b, m in zip(bins, mins, strict=True):
            sig[b] = int(m)
        sim = minhash_similarity(sigs[tip_key], sig)
        if sim >= NEAR_TEXT_MIN and sim > best.get((tip_key, aid), 0.0):
            best[(tip_key, aid)] = sim
    per_tip: dict[str, int] = defaultdict(int)
    for tip_key, _aid in best:
        per_tip[tip_key] += 1
    for (tip_key, aid), sim in sorted(best.items()):
        spec = min(1.0, SPECIFIC_ACCOUNTS / per_tip[tip_key])
        for ind in by_sig[tip_key]:
            add(
                "near_text",
                ind,
                ("account", aid),
                STRENGTH["near_text"] * sim * spec,
                f"posted a near-duplicate (similarity {sim:.2f}; {per_tip[tip_key]} local account(s) match)",
            )


def _score(
    ws: Workspace, hits: dict[tuple[str, str], list[Evidence]], trust: float, min_score: float
) -> list[TipMatch]:
    accounts = [sid for kind, sid in hits if kind == "account"]
    info: dict[str, tuple[str, str | None]] = {}
    if accounts:
        with ws.engine.scratch("tipscore") as s:
            t = s.register("ids", pa.table({"account_id": pa.array(accounts, pa.string())}))
            for aid, platform, sn in ws.engine.sql(
                f"SELECT account_id, platform, screen_name FROM ({CURRENT_HANDLES}) SEMI JOIN {t} USING (account_id)"
            ).rows():
                info[aid] = (platform, sn)
    assets = (
        dict(ws.engine.sql("SELECT asset_id, platform FROM assets").rows())
        if any(k != "account" for k, _ in hits)
        else {}
    )
    out = []
    for (kind, sid), evs in hits.items():
        best: dict[str, float] = {}
        for ev in evs:
            best[ev.kind] = max(best.get(ev.kind, 0.0), ev.strength)
        score = trust * (1.0 - math.prod(1.0 - s for s in best.values()))
        if score < min_score:
            continue
        families = {FAMILY[k] for k in best}
        if score >= HIGH_SCORE and len(families) >= 2:
            band = "high"
        elif score >= MEDIUM_SCORE:
            band = "medium"
        else:
            band = "low"
        platform, sn = info.get(sid, (assets.get(sid, ""), None))
        evs_sorted = sorted(evs, key=lambda x: (-x.strength, x.kind, x.value))
        out.append(TipMatch(kind, sid, platform or "", sn, score, band, evs_sorted))
    out.sort(key=lambda m: (-m.score, m.subject_kind, m.subject_id))
    return out
