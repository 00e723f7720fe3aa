"""A tip as a STIX 2.1 bundle: the network, its behaviours as DISARM techniques, its indicators and accounts.

Consumes a workspace and a :class:`~flockwatch.share.subjects.TipSubject`; produces a ``stix2.Bundle`` (and
:func:`write_bundle` a JSON file). What is in it, and why:

- ``identity`` of the sender (``identity_class: organization``) and of flockwatch (``system``, the creator of the
  two extension-definitions, so that their ids stay the same whoever sends);
- ``intrusion-set`` for the network/operation — described as a *candidate* with its confidence when it comes from
  detection, not from a case a person reviewed; ``campaign`` (first/last seen, objective) ``attributed-to`` it;
- ``threat-actor`` and a sponsor ``identity`` (a state actor in the leading country) when attribution
  (flockwatch.attribute) has a hypothesis, joined by ``attributed-to`` relationships that carry its confidence
  (low 15, moderate 50, high 85: the STIX 2.1 None/Low/Med/High scale) and its rationale;
- ``attack-pattern`` per behaviour found (share.disarm), DISARM id and framework version in its external reference,
  ``uses`` from the intrusion-set;
- ``indicator``s (``indicates`` the intrusion-set) for what members share far more than the rest of the workspace:
  domains, URLs, IP prefixes and ASNs from login data, hashtags and text fingerprints — a value is kept when at
  least ``min_accounts`` members used it *and* members are at least ``min_member_share`` of all accounts that used
  it here (a national news site every user links is no indicator). Hashtags and text fingerprints are new
  observable types, declared by ``extension-definition``s as STIX 2.1 wants (section 7.3);
- ``user-account`` objects for member accounts and for Pages/Groups they administer (``account_type`` ``platform``
  or ``platform:page``/``platform:group``), raw or keyed with the sharing agreement's HMAC (share.agreement);
- ``observed-data`` with the members' action counts and first/last action;
- a ``grouping`` (``context: suspicious-activity``) of everything, and every object marked TLP:AMBER (or the level
  asked for; share.tlp). :func:`unresolved_refs` checks that every ``*_ref``/``*_refs`` and extension id in the
  bundle resolves inside it; the exporter refuses to write a bundle where one does not.

Ids are deterministic (UUIDv5 of the sender and the object's key), so exporting the same network twice gives the
same ids and a re-push is recognised by the TAXII server.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from flockwatch.core.fingerprints import encode_minhash, minhash
from flockwatch.core.handles import handle_key
from flockwatch.errors import ValidationError
from flockwatch.share import disarm
from flockwatch.share.agreement import Pseudonymiser
from flockwatch.share.subjects import TipSubject
from flockwatch.share.tlp import Level, marking_for
from flockwatch.workspace import Workspace

_NS = uuid.UUID("6f1c3a52-58f5-4a4b-9a55-5a2a8f3c0c11")
FLOCKWATCH_IDENTITY = f"identity--{uuid.uuid5(_NS, 'flockwatch')}"
HASHTAG_TYPE = "x-flockwatch-hashtag"
TEXT_TYPE = "x-flockwatch-text-fingerprint"
HASHTAG_EXTENSION = "extension-definition--eff933a7-3f95-5d5b-b96c-a469cf8c7651"
TEXT_EXTENSION = "extension-definition--7d3c0874-36ec-5734-8a22-3da703e4c19e"
CONFIDENCE = {"low": 15, "moderate": 50, "high": 85}


@dataclass
class ExportOptions:
    sender: str = "flockwatch user"
    tlp: Level = Level.AMBER
    pseudonymiser: Pseudonymiser | None = None
    attribution: bool = True
    objective: str | None = None
    min_accounts: int = 2
    min_member_share: float = 0.5
    max_per_kind: int = 200
    now: dt.datetime | None = None


def _id(kind: str, *key: object) -> str:
    return f"{kind}--{uuid.uuid5(_NS, '|'.join(str(k) for k in key))}"


def _pattern_str(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _ts(t: dt.datetime | None) -> dt.datetime | None:
    return None if t is None else (t if t.tzinfo else t.replace(tzinfo=dt.UTC))


def _custom_types() -> tuple[Any, Any]:
    """The two new observable types (registered with stix2 once)."""
    import stix2
    from stix2.properties import StringProperty

    @stix2.v21.CustomObservable(HASHTAG_TYPE, [("value", StringProperty(required=True))], ["value"], HASHTAG_EXTENSION)
    class Hashtag:
        pass

    @stix2.v21.CustomObservable(
        TEXT_TYPE,
        [("normalised_sha256", StringProperty(required=True)), ("minhash", StringProperty())],
        ["normalised_sha256"],
        TEXT_EXTENSION,
    )
    class TextFingerprint:
        pass

    return Hashtag, TextFingerprint


_TYPES: list[tuple[Any, Any]] = []


def custom_types() -> tuple[Any, Any]:
    if not _TYPES:
        _TYPES.append(_custom_types())
    return _TYPES[0]


# -- what members share ------------------------------------------------------------------------------------------------
def _distinctive(ws: Workspace, per_account_sql: str, members: str, opts: ExportOptions) -> list[dict[str, Any]]:
    """Values (``per_account_sql`` yields ``account_id, value``) used by >= min_accounts members, members being
    >= min_member_share of their users; most member accounts first."""
    return ws.engine.sql(
        f"""WITH u AS (SELECT DISTINCT account_id, value FROM ({per_account_sql}) WHERE value IS NOT NULL AND value <> ''),
           c AS (SELECT value, count(*) FILTER (WHERE account_id IN (SELECT account_id FROM {members})) AS member_accounts,
                        count(*) AS all_accounts FROM u GROUP BY value)
        SELECT value, member_accounts, all_accounts FROM c
        WHERE member_accounts >= ? AND member_accounts >= ? * all_accounts
        ORDER BY member_accounts DESC, value LIMIT ?""",
        [opts.min_accounts, opts.min_member_share, opts.max_per_kind],
    ).dicts()


def _shared_values(ws: Workspace, members: str, opts: ExportOptions) -> dict[str, list[dict[str, Any]]]:
    out = {
        "domain": _distinctive(
            ws,
            "SELECT a.account_id, u.domain AS value FROM action_urls u JOIN actions a "
            "ON a.platform = u.platform AND a.action_id = u.action_id",
            members,
            opts,
        ),
        "url": _distinctive(
            ws,
            "SELECT a.account_id, u.url AS value FROM action_urls u JOIN actions a "
            "ON a.platform = u.platform AND a.action_id = u.action_id",
            members,
            opts,
        ),
        "hashtag": _distinctive(
            ws,
            "SELECT a.account_id, h.hashtag AS value FROM action_hashtags h JOIN actions a "
            "ON a.platform = h.platform AND a.action_id = h.action_id",
            members,
            opts,
        ),
        "ip_prefix": _distinctive(ws, "SELECT account_id, ip_prefix AS value FROM infrastructure", members, opts),
        "asn": _distinctive(ws, "SELECT account_id, CAST(asn AS VARCHAR) AS value FROM infrastructure", members, opts),
    }
    # text: the same normalised post by several members (a copy-paste script); the SQL hash only groups, the
    # fingerprint that leaves is computed by core.fingerprints
    from flockwatch.core.fingerprints import MIN_TEXT_CHARS
    from flockwatch.core.text import normalised_text_sql

    texts = ws.engine.sql(
        f"""WITH t AS (SELECT account_id, {normalised_text_sql("text")} AS nt, text FROM actions
                      WHERE kind IN ('post', 'reply', 'quote') AND text IS NOT NULL
                        AND account_id IN (SELECT account_id FROM {members}))
        SELECT any_value(text) AS text, count(DISTINCT account_id) AS member_accounts FROM t
        WHERE length(nt) >= {MIN_TEXT_CHARS} GROUP BY nt HAVING count(DISTINCT account_id) >= ?
        ORDER BY member_accounts DESC, nt LIMIT ?""",
        [opts.min_accounts, opts.max_per_kind],
    ).dicts()
    out["text"] = texts
    return out


# -- the bundle ----------------------------------------------------------------------------------------------------------
def build_bundle(ws: Workspace, subject: TipSubject, opts: ExportOptions | None = None) -> Any:
    """The STIX 2.1 bundle for ``subject`` (module docstring); a :class:`ValidationError` when it has no members."""
    import stix2

    from flockwatch.core.fingerprints import exact_fingerprint

    opts = opts or ExportOptions()
    if not subject.members:
        raise ValidationError(f"{subject.kind} {subject.ref} has no member accounts to share")
    hashtag_cls, text_cls = custom_types()
    now = _ts(opts.now) or dt.datetime.now(dt.UTC)
    tlp = marking_for(opts.tlp)
    marks = [tlp.id]
    sender_id = _id("identity", "sender", opts.sender)
    key = (opts.sender, subject.kind, subject.ref)
    common = {"created_by_ref": sender_id, "object_marking_refs": marks, "created": now, "modified": now}
    objs: list[Any] = [tlp]
    objs.append(
        stix2.v21.Identity(id=sender_id, name=opts.sender, identity_class="organization", created=now, modified=now)
    )
    objs.append(
        stix2.v21.Identity(
            id=FLOCKWATCH_IDENTITY,
            name="flockwatch",
            identity_class="system",
            description="Open tool that defines the x-flockwatch observable types used here.",
            created=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            modified=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        )
    )
    for ext_id, typ, desc in (
        (HASHTAG_EXTENSION, HASHTAG_TYPE, "A hashtag, lower-cased, without '#' (property: value)."),
        (
            TEXT_EXTENSION,
            TEXT_TYPE,
            "A post text fingerprint: SHA-256 of the normalised text (normalised_sha256) and a 16-bin one-permutation "
            "MinHash over 4-character shingles hashed with MD5 (minhash, 'v1:' + hex bins).",
        ),
    ):
        objs.append(
            stix2.v21.ExtensionDefinition(
                id=ext_id,
                created_by_ref=FLOCKWATCH_IDENTITY,
                created=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                modified=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                name=typ,
                description=desc,
                schema="https://github.com/flockwatch/flockwatch/blob/main/src/flockwatch/share/README.md",
                version="1.0.0",
                extension_types=["new-sco"],
            )
        )
    hedge = (
        f"A candidate {subject.kind} found by coordinated-behaviour detection, confidence {subject.confidence}/100: "
        "a lead for the receiving platform's own investigation, not a verdict."
        if subject.candidate
        else f"A reviewed {subject.kind}; confidence {subject.confidence}/100."
    )
    iset_id = _id("intrusion-set", *key)
    objs.append(
        stix2.v21.IntrusionSet(
            id=iset_id,
            name=subject.name,
            description=f"{hedge} {subject.explanation}".strip(),
            first_seen=_ts(subject.first_at),
            last_seen=_ts(subject.last_at),
            confidence=subject.confidence,
            labels=["candidate"] if subject.candidate else ["reviewed"],
            **common,
        )
    )

    with ws.engine.scratch("tip") as s:
        members = s.register("members", pa.table({"account_id": pa.array(subject.members, pa.string())}))
        shared = _shared_values(ws, members, opts)
        behaviours = disarm.find_behaviours(ws.engine, members, subject.signals)
        accounts = ws.engine.sql(
            f"""SELECT a.platform, a.account_id, a.screen_name, a.display_name FROM accounts a
                SEMI JOIN {members} USING (account_id) ORDER BY a.account_id"""
        ).rows()
        assets = ws.engine.sql(
            f"""SELECT DISTINCT s.platform, s.asset_id, lower(s.kind), s.name FROM assets s JOIN asset_admins d
                ON s.platform = d.platform AND s.asset_id = d.asset_id
                WHERE d.account_id IN (SELECT account_id FROM {members}) ORDER BY 2"""
        ).rows()
        held = [tuple(a) for a in subject.extra.get("assets", [])]
        assets = sorted(set(assets) | {(p, i, k, n) for p, i, k, n in held})
        activity = ws.engine.sql(
            f"SELECT count(*), min(acted_at), max(acted_at) FROM actions SEMI JOIN {members} USING (account_id)"
        ).one() or (0, None, None)

    first = _ts(subject.first_at or activity[1]) or now
    last = _ts(subject.last_at or activity[2]) or now
    objective = opts.objective or _objective(shared)
    camp_id = _id("campaign", *key)
    objs.append(
        stix2.v21.Campaign(
            id=camp_id,
            name=f"Activity of {subject.name}",
            description=hedge,
            first_seen=first,
            last_seen=last,
            objective=objective,
            confidence=subject.confidence,
            **common,
        )
    )
    objs.append(_rel(camp_id, "attributed-to", iset_id, common, subject.confidence))

    for b in behaviours:
        t = b.technique
        ap_id = _id("attack-pattern", "disarm", t.framework_version, t.technique_id)
        objs.append(
            stix2.v21.AttackPattern(
                id=ap_id,
                name=t.name,
                external_references=[
                    {
                        "source_name": "DISARM",
                        "external_id": t.technique_id,
                        "url": t.url,
                        "description": f"DISARM framework v{t.framework_version} (CC BY-SA 4.0)",
                    }
                ],
                kill_chain_phases=[{"kill_chain_name": "disarm", "phase_name": p} for p in t.phases],
                x_disarm_framework_version=t.framework_version,
                allow_custom=True,
                **common,
            )
        )
        objs.append(
            _rel(
                iset_id, "uses", ap_id, common, subject.confidence, json.dumps(b.evidence, sort_keys=True, default=str)
            )
        )

    if opts.attribution:
        objs += _attribution(ws, subject, iset_id, common, key)

    # indicators (a case's domain subjects first: a reviewer put them there)
    patterns: list[tuple[str, str, str]] = []
    for d in subject.extra.get("domains", []):
        if not any(r["value"] == d for r in shared["domain"]):
            shared["domain"].insert(0, {"value": d, "member_accounts": 0, "all_accounts": None})
    for row in shared["domain"]:
        patterns.append(("domain", row["value"], f"[domain-name:value = {_pattern_str(row['value'])}]"))
    for row in shared["url"]:
        patterns.append(("url", row["value"], f"[url:value = {_pattern_str(row['value'])}]"))
    for row in shared["ip_prefix"]:
        typ = "ipv6-addr" if ":" in row["value"] else "ipv4-addr"
        patterns.append(("ip_prefix", row["value"], f"[{typ}:value = {_pattern_str(row['value'])}]"))
    for row in shared["asn"]:
        patterns.append(("asn", row["value"], f"[autonomous-system:number = {int(row['value'])}]"))
    for row in shared["hashtag"]:
        patterns.append(("hashtag", row["value"], f"[{HASHTAG_TYPE}:value = {_pattern_str(row['value'])}]"))
    counts = {(k, r["value"]): r for k in ("domain", "url", "ip_prefix", "asn", "hashtag") for r in shared[k]}
    text_scos = []
    for row in shared["text"]:
        fp, sig = exact_fingerprint(row["text"]), minhash(row["text"])
        if fp is None or sig is None:
            continue
        mh = encode_minhash(sig)
        patterns.append(
            (
                "text",
                fp,
                f"[{TEXT_TYPE}:normalised_sha256 = {_pattern_str(fp)} OR {TEXT_TYPE}:minhash = {_pattern_str(mh)}]",
            )
        )
        counts[("text", fp)] = {"member_accounts": row["member_accounts"], "all_accounts": None}
        text_scos.append(text_cls(normalised_sha256=fp, minhash=mh, object_marking_refs=marks))
    for kind, value, pattern in patterns:
        c = counts[(kind, value)]
        how = f"used by {c['member_accounts']} member account(s)" if c["member_accounts"] else "a subject of the case"
        if c.get("all_accounts"):
            how += f" of {c['all_accounts']} account(s) using it on the sending platform"
        objs_id = _id("indicator", *key, kind, value)
        objs.append(
            stix2.v21.Indicator(
                id=objs_id,
                name=f"{kind} shared by {subject.name}",
                description=f"{kind} {how}. {hedge}",
                pattern=pattern,
                pattern_type="stix",
                valid_from=first,
                indicator_types=["anomalous-activity"],
                confidence=subject.confidence,
                labels=[f"flockwatch:{kind}"],
                **common,
            )
        )
        objs.append(_rel(objs_id, "indicates", iset_id, common, subject.confidence))

    # observables
    ps = opts.pseudonymiser
    accts = []
    for platform, account_id, screen_name, display_name in accounts:
        accts.append(_user_account(platform, "account", account_id, screen_name, display_name, marks, ps))
    for platform, asset_id, kind, name in assets:
        accts.append(_user_account(platform, kind, asset_id, None, name, marks, ps))
    hashtags = [hashtag_cls(value=r["value"], object_marking_refs=marks) for r in shared["hashtag"]]
    domains = [stix2.v21.DomainName(value=r["value"], object_marking_refs=marks) for r in shared["domain"][:50]]
    scos = accts + hashtags + domains + text_scos
    objs += scos
    if accts:
        objs.append(
            stix2.v21.ObservedData(
                id=_id("observed-data", *key, "accounts"),
                first_observed=first,
                last_observed=max(last, first),
                number_observed=max(int(activity[0]), 1),
                object_refs=[a.id for a in accts],
                **common,
            )
        )
    if hashtags or domains or text_scos:
        objs.append(
            stix2.v21.ObservedData(
                id=_id("observed-data", *key, "content"),
                first_observed=first,
                last_observed=max(last, first),
                number_observed=max(sum(int(r["member_accounts"]) for r in shared["hashtag"] + shared["domain"]), 1),
                object_refs=[o.id for o in hashtags + domains + text_scos],
                allow_custom=True,
                **common,
            )
        )
    content = [o.id for o in objs if o.type not in ("marking-definition",)]
    objs.append(
        stix2.v21.Grouping(
            id=_id("grouping", *key),
            name=f"Tip: {subject.name}",
            description=hedge
            + f" {len(accounts)} member account(s) and {len(assets)} Page(s)/Group(s) they run; the accounts' "
            f"observed-data counts their {int(activity[0])} action(s), the content's counts member accounts."
            + (f" Account ids and handles are keyed per sharing agreement ({ps.scheme})." if ps else ""),
            context="suspicious-activity",
            object_refs=content,
            allow_custom=True,
            **common,
        )
    )
    bundle = stix2.v21.Bundle(objects=objs, allow_custom=True)
    problems = unresolved_refs(json.loads(bundle.serialize()))
    if problems:
        raise ValidationError("the bundle has references that do not resolve: " + "; ".join(problems[:5]))
    return bundle


def _rel(src: str, kind: str, dst: str, common: dict[str, Any], confidence: int, description: str | None = None) -> Any:
    import stix2

    return stix2.v21.Relationship(
        id=_id("relationship", src, kind, dst),
        source_ref=src,
        relationship_type=kind,
        target_ref=dst,
        confidence=confidence,
        description=description,
        **common,
    )


def _user_account(
    platform: str,
    kind: str,
    sid: str,
    screen_name: str | None,
    display_name: str | None,
    marks: list[str],
    ps: Pseudonymiser | None,
) -> Any:
    import stix2

    account_type = platform if kind == "account" else f"{platform}:{kind}"
    if ps is not None:
        login = ps.handle(screen_name) if screen_name else None
        return stix2.v21.UserAccount(
            user_id=ps.account_id(platform, sid),
            account_login=login,
            account_type=account_type,
            object_marking_refs=marks,
            x_flockwatch_pseudonyms=ps.scheme,
            allow_custom=True,
        )
    return stix2.v21.UserAccount(
        user_id=sid,
        account_login=screen_name if screen_name and handle_key(screen_name) else None,
        display_name=display_name or None,
        account_type=account_type,
        object_marking_refs=marks,
    )


def _objective(shared: dict[str, list[dict[str, Any]]]) -> str:
    tags = ", ".join("#" + r["value"] for r in shared["hashtag"][:5])
    doms = ", ".join(r["value"] for r in shared["domain"][:5])
    parts = [p for p in (f"hashtags {tags}" if tags else "", f"links to {doms}" if doms else "") if p]
    return ("Amplification of " + " and ".join(parts) + " (from what members share)") if parts else "Not assessed"


def _attribution(
    ws: Workspace, subject: TipSubject, iset_id: str, common: dict[str, Any], key: tuple[str, ...]
) -> list[Any]:
    import stix2

    from flockwatch.attribute.assessment import attribute

    a = attribute(ws, subject.members, network_id=subject.ref)
    if not a.hypothesis:
        return []
    conf = CONFIDENCE[a.confidence]
    ta_id = _id("threat-actor", *key)
    sponsor_id = _id("identity", "sponsor", a.hypothesis)
    evidence = "; ".join(f"{c.claim_id} {c.text}" for c in a.claims if c.strength)[:4000]
    return [
        stix2.v21.ThreatActor(
            id=ta_id,
            name=f"Operators of {subject.name}",
            description=f"Assessment ({a.confidence} confidence): {a.rationale}",
            threat_actor_types=["nation-state"] if a.confidence != "low" else ["unknown"],
            confidence=conf,
            **common,
        ),
        stix2.v21.Identity(
            id=sponsor_id,
            name=f"State actor in {a.hypothesis} (hypothesis)",
            identity_class="organization",
            sectors=["government"],
            description=f"Leading hypothesis of the attribution, {a.confidence} confidence; never certainty.",
            **common,
        ),
        _rel(iset_id, "attributed-to", ta_id, common, conf, evidence),
        _rel(ta_id, "attributed-to", sponsor_id, common, conf, a.rationale[:4000]),
    ]


# -- checking and writing --------------------------------------------------------------------------------------------------
def _refs(value: Any, path: str = "") -> Iterable[tuple[str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            if k.endswith("_ref") and isinstance(v, str):
                yield f"{path}{k}", v
            elif k.endswith("_refs") and isinstance(v, list):
                for x in v:
                    if isinstance(x, str):
                        yield f"{path}{k}", x
            elif k == "extensions" and isinstance(v, dict):
                for ext in v:
                    if ext.startswith("extension-definition--"):
                        yield f"{path}extensions", ext
            else:
                yield from _refs(v, f"{path}{k}.")
    elif isinstance(value, list):
        for x in value:
            yield from _refs(x, path)


def unresolved_refs(bundle: dict[str, Any]) -> list[str]:
    """``"<object id> <property> -> <missing id>"`` for every reference that no object of the bundle carries."""
    objects = bundle.get("objects") or []
    ids = {o.get("id") for o in objects if isinstance(o, dict)}
    out = []
    for o in objects:
        if not isinstance(o, dict):
            continue
        for prop, ref in _refs({k: v for k, v in o.items() if k != "id"}):
            if ref not in ids:
                out.append(f"{o.get('id')} {prop} -> {ref}")
    return out


def write_bundle(bundle: Any, path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(bundle.serialize(pretty=True) + "\n", encoding="utf-8")
    return p
