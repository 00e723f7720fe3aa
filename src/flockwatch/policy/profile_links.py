"""Profile evidence: which registered outlet an account's own public profile points to.

Consumes :class:`Profile` rows (platform, handle, display name, bio, profile URL — the canonical ``accounts``
columns ``screen_name``, ``display_name``, ``description``, ``profile_url``) and a :class:`LinkIndex` over the
registry's outlets (names and aliases, domains, platform accounts). Produces :class:`ProposedLink` per account
that the evidence points to: the outlet, the role the account seems to have (``outlet`` for a sub-brand, regional
edition or language service; for a person who says they work there ``journalist`` (reporter, correspondent,
anchor ...), ``senior_staff`` (editor, bureau chief) or ``staff``), a confidence and every piece of
evidence with its own confidence. Proposals are for review, never verdicts: a person accepts or rejects them.

Evidence and why it weighs what it does (confidence of one piece; pieces for the same outlet combine as
independent signals, 1 - prod(1 - c)):

- ``profile_url_domain`` 0.85: the profile's website is the outlet's registrable domain (``espanol.cgtn.com`` →
  ``cgtn.com``). Outlets curate this field; strangers rarely point it at a news site's domain.
- ``bio_url_domain`` 0.45: a link to the outlet's domain in the bio (fans and critics link news sites too, so
  this alone proposes nothing).
- ``display_name`` 0.75 when the display name starts with an outlet name or alias ("CGTN Culture Express"), 0.55
  when it contains it. Names of three letters or fewer ("RT", "DW") count only as an upper-case word of their
  own, and at 0.4: acronyms collide across countries (ATV, NTV, PTV). Names made only of generic words ("Daily
  News") count only when they are the whole display name, at 0.45.
- ``bio_affiliation`` 0.65: the bio says the person works there ("reporter @XHNews", "correspondent for China
  Daily"): an affiliation word within a few words of the outlet's handle or name. A bare mention is 0.25.
- ``handle_pattern`` 0.5: the handle starts or ends with a registered handle of the outlet (``xhnews_africa``);
  0.4 with the outlet's squashed name (``cgtnculture``); single generic words ("news", "today") are never stems.

A name, domain or stem that several outlets share splits its confidence between them: it says less about each.

Where the strongest evidence for an outlet is a person's affiliation, the role proposed is that person's
(journalist, senior_staff or staff, from the word used); otherwise ``outlet``. An account that is itself a registered account of an outlet gets no proposal (it is already linked).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import regex

from flockwatch.core.handles import handle_fold, handle_key
from flockwatch.core.text import mentions_in, urls_in
from flockwatch.core.urls import host, registrable_domain
from flockwatch.policy.normalise import SOCIAL_HOSTS, name_key
from flockwatch.policy.registry import Registry

WEIGHTS = {
    "profile_url_domain": 0.85,
    "bio_url_domain": 0.45,
    "display_name_prefix": 0.75,
    "display_name": 0.55,
    "bio_affiliation": 0.65,
    "bio_mention": 0.25,
    "generic_name": 0.45,
    "short_name": 0.4,
    "handle_pattern": 0.5,
    "handle_name_pattern": 0.4,
}
MIN_CONFIDENCE = 0.5
# words that say a person works for the outlet named near them
_AFFILIATION = regex.compile(
    r"\b(reporter|correspondent|journalist|anchor|host|presenter|editor|editor-in-chief|producer|columnist|"
    r"bureau chief|chief|writer|commentator|staff|work(?:s|ing)? (?:at|for)|with|at|@)\b|记者|主播|编辑",
    regex.I,
)
# generic words that are never a handle stem on their own
_GENERIC = {
    "news",
    "today",
    "daily",
    "radio",
    "times",
    "post",
    "online",
    "world",
    "media",
    "press",
    "channel",
    "global",
    "live",
    "info",
    "official",
    "gold",
    "group",
    "herald",
    "tribune",
    "express",
    "star",
    "sun",
    "voice",
    "nation",
    "national",
    "international",
    "public",
    "first",
    "time",
}
_MIN_STEM = 4
_MIN_NAME = 4


@dataclass(frozen=True)
class Profile:
    platform: str
    handle: str
    display_name: str = ""
    bio: str = ""
    profile_url: str = ""
    account_id: str | None = None


@dataclass(frozen=True)
class Evidence:
    kind: str
    detail: str
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ProposedLink:
    platform: str
    handle: str
    outlet_id: int
    outlet: str
    role: str
    confidence: float
    evidence: tuple[Evidence, ...]
    alternatives: tuple[dict[str, Any], ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["evidence"] = [e.to_dict() for e in self.evidence]
        d["alternatives"] = list(self.alternatives)
        return d


@dataclass(frozen=True)
class OutletKeys:
    """What the linker knows about one outlet."""

    outlet_id: int
    name: str
    names: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    handles: tuple[str, ...] = ()  # handle keys on the linker's platform


def _squash(text: str) -> str:
    return regex.sub(r"[^\p{L}\p{Nd}]+", "", name_key(text))


def _clean_name(name: str) -> str:
    """``Television: SinoVision`` → ``SinoVision``; ``China Radio International (CRI)`` → without the brackets."""
    name = regex.sub(r"^[\p{L} ]{2,20}:\s*", "", name.strip())
    return regex.sub(r"\s*\([^)]*\)?\s*", " ", name).strip()


class LinkIndex:
    """Lookup tables from domains, names, handles and handle stems to outlets."""

    def __init__(self, outlets: Iterable[OutletKeys]) -> None:
        self.outlets: dict[int, OutletKeys] = {}
        self.domains: dict[str, set[int]] = {}
        self.handles: dict[str, set[int]] = {}
        self.stems: dict[str, set[int]] = {}  # registered handles of outlets
        self.name_stems: dict[str, set[int]] = {}  # squashed outlet names
        self.names: dict[str, set[int]] = {}
        self.short_names: dict[str, set[int]] = {}
        self.generic_names: dict[str, set[int]] = {}
        for o in outlets:
            self.outlets[o.outlet_id] = o
            for d in o.domains:
                reg = registrable_domain(d)
                if reg and reg not in SOCIAL_HOSTS:
                    self.domains.setdefault(reg, set()).add(o.outlet_id)
            for h in o.handles:
                self.handles.setdefault(h, set()).add(o.outlet_id)
                if len(h) >= _MIN_STEM and h not in _GENERIC:
                    self.stems.setdefault(h, set()).add(o.outlet_id)
            for n in {o.name, *o.names}:
                for variant in {n, _clean_name(n)}:
                    key = name_key(variant)
                    if not key:
                        continue
                    if len(key) < _MIN_NAME:
                        if variant.isupper() and variant.isalpha():
                            self.short_names.setdefault(variant, set()).add(o.outlet_id)
                        continue
                    if all(w in _GENERIC for w in key.split()):
                        self.generic_names.setdefault(key, set()).add(o.outlet_id)
                        continue
                    self.names.setdefault(key, set()).add(o.outlet_id)
                    stem = _squash(variant)
                    if len(stem) >= _MIN_STEM and stem not in _GENERIC and stem.isascii():
                        self.name_stems.setdefault(stem, set()).add(o.outlet_id)
        # longest names first, so "china daily europe" is tried before "china daily"
        self._name_list = sorted(self.names, key=len, reverse=True)
        self._name_rx = (
            regex.compile(
                r"(?<![\p{L}\p{Nd}])(" + "|".join(regex.escape(n) for n in self._name_list) + r")(?![\p{L}\p{Nd}])"
            )
            if self._name_list
            else None
        )

    @classmethod
    def from_registry(cls, reg: Registry, platform: str = "twitter") -> LinkIndex:
        by_outlet: dict[int, dict[str, list[str]]] = {}
        for a in reg.assets():
            d = by_outlet.setdefault(a.outlet_id, {"domains": [], "handles": []})
            if a.kind == "domain":
                d["domains"].append(a.value)
            elif a.value and a.platform == platform and a.role == "outlet":
                d["handles"].append(a.value)
        return cls(
            OutletKeys(
                o.outlet_id,
                o.name,
                tuple(o.aliases),
                tuple(by_outlet.get(o.outlet_id, {}).get("domains", [])),
                tuple(by_outlet.get(o.outlet_id, {}).get("handles", [])),
            )
            for o in reg.outlets()
        )

    # -- evidence ------------------------------------------------------------------------------------------------
    def _domain_evidence(self, url: str, kind: str) -> list[tuple[int, Evidence]]:
        h = host(url)
        reg = registrable_domain(h) if h else None
        if not reg or reg not in self.domains:
            return []
        hits = self.domains[reg]
        conf = WEIGHTS[kind] / len(hits)  # a domain several outlets share says less about each
        return [(oid, Evidence(kind, f"{url.strip()} is on {reg}", round(conf, 3))) for oid in sorted(hits)]

    def _name_evidence(self, display: str) -> list[tuple[int, Evidence]]:
        out: list[tuple[int, Evidence]] = []
        key = name_key(display)
        if self._name_rx is not None:
            seen: set[int] = set()
            for m in self._name_rx.finditer(key):
                kind = "display_name_prefix" if m.start() == 0 else "display_name"
                hits = self.names[m.group(1)]
                conf = round(WEIGHTS[kind] / len(hits), 3)  # a name several outlets share says less about each
                for oid in sorted(hits - seen):
                    seen.add(oid)
                    out.append((oid, Evidence(kind, f"display name {display!r} names {m.group(1)!r}", conf)))
        generic = self.generic_names.get(key, set())
        for oid in sorted(generic):
            conf = round(WEIGHTS["generic_name"] / len(generic), 3)
            out.append((oid, Evidence("display_name", f"display name {display!r} is the name", conf)))
        for i, word in enumerate(regex.findall(r"[\p{L}\p{Nd}]+", display)):
            short = self.short_names.get(word, set())
            for oid in sorted(short):
                kind = "display_name_prefix" if i == 0 else "display_name"
                # three-letter acronyms collide across countries (ATV, NTV, PTV, CNA): never enough alone
                conf = round(WEIGHTS["short_name"] / len(short), 3)
                out.append((oid, Evidence(kind, f"display name {display!r} has the word {word!r}", conf)))
        return out

    def _bio_evidence(self, bio: str) -> list[tuple[int, Evidence]]:
        out: list[tuple[int, Evidence]] = []
        for u in urls_in(bio):
            out += self._domain_evidence(u, "bio_url_domain")
        # a bare domain written without scheme ("chinadaily.com.cn")
        for tok in regex.findall(r"(?<![@/\w])(?:[a-z0-9-]+\.)+[a-z]{2,}(?![\w/])", bio.lower()):
            out += self._domain_evidence(tok, "bio_url_domain")
        for m in mentions_in(bio):
            key = handle_key(m)
            for oid in sorted(self.handles.get(key or "", ())):
                near = _near_affiliation(bio, "@" + m)
                kind = "bio_affiliation" if near else "bio_mention"
                out.append(
                    (oid, Evidence(kind, f"bio mentions @{m}" + (f" ({near!r})" if near else ""), WEIGHTS[kind]))
                )
        if self._name_rx is not None:
            low = name_key(bio)
            for nm in self._name_rx.finditer(low):
                near = _near_affiliation(low, nm.group(1))
                if near:
                    for oid in sorted(self.names[nm.group(1)]):
                        out.append(
                            (
                                oid,
                                Evidence(
                                    "bio_affiliation", f"bio: {near!r} near {nm.group(1)!r}", WEIGHTS["bio_affiliation"]
                                ),
                            )
                        )
        return out

    def _handle_evidence(self, handle: str) -> list[tuple[int, Evidence]]:
        out: list[tuple[int, Evidence]] = []
        squashed = handle.replace("_", "")
        # every prefix and suffix of the handle is probed (at most 2 x 15 lookups), never every stem
        parts = {squashed[:i] for i in range(_MIN_STEM, len(squashed))}
        parts |= {squashed[-i:] for i in range(_MIN_STEM, len(squashed))}
        seen: set[int] = set()
        for stem in sorted(parts, key=len, reverse=True):
            for oid in sorted(self.stems.get(stem, set()) - seen):
                seen.add(oid)
                ev = Evidence(
                    "handle_pattern", f"handle @{handle} starts or ends with {stem!r}", WEIGHTS["handle_pattern"]
                )
                out.append((oid, ev))
        return out

    # -- proposing -----------------------------------------------------------------------------------------------
    def propose(self, profile: Profile, min_confidence: float = MIN_CONFIDENCE) -> ProposedLink | None:
        """The best-supported outlet for one profile, or None (no evidence, or the account is already registered)."""
        key = handle_key(profile.handle, profile.platform)
        if key is None or key in self.handles:
            return None
        pieces: list[tuple[int, Evidence]] = []
        if profile.profile_url:
            pieces += self._domain_evidence(profile.profile_url, "profile_url_domain")
        if profile.display_name:
            pieces += self._name_evidence(profile.display_name)
        if profile.bio:
            pieces += self._bio_evidence(profile.bio)
        pieces += self._handle_evidence(key)
        if not pieces:
            return None
        by_outlet: dict[int, dict[str, Evidence]] = {}
        for oid, ev in pieces:
            kinds = by_outlet.setdefault(oid, {})
            family = ev.kind.replace("_prefix", "")
            if family not in kinds or kinds[family].confidence < ev.confidence:
                kinds[family] = ev
        scored = sorted(
            ((_combine(evs.values()), oid, tuple(evs.values())) for oid, evs in by_outlet.items()),
            key=lambda t: (-t[0], t[1]),
        )
        conf, oid, evs = scored[0]
        if conf < min_confidence:
            return None
        top = max(evs, key=lambda e: e.confidence)
        person_role = _person_role(top.detail) if top.kind == "bio_affiliation" else None
        alts = tuple(
            {"outlet_id": o, "outlet": self.outlets[o].name, "confidence": round(c, 3)}
            for c, o, _ in scored[1:4]
            if c >= min_confidence / 2
        )
        return ProposedLink(
            profile.platform,
            "@" + profile.handle.strip().lstrip("@"),
            oid,
            self.outlets[oid].name,
            person_role or "outlet",
            round(conf, 3),
            tuple(sorted(evs, key=lambda e: -e.confidence)),
            alts,
        )

    def propose_all(self, profiles: Sequence[Profile], min_confidence: float = MIN_CONFIDENCE) -> list[ProposedLink]:
        return [p for p in (self.propose(x, min_confidence) for x in profiles) if p is not None]


def propose_for_workspace(
    ws: Any, reg: Registry, platform: str | None = None, min_confidence: float = MIN_CONFIDENCE
) -> tuple[list[ProposedLink], dict[str, Profile]]:
    """Proposed links for the workspace's accounts (of ``platform``, or all), and the profile behind each proposal
    keyed by :func:`handle_fold` of its handle (what :func:`review_rows` and the proposal store look up)."""
    index = LinkIndex.from_registry(reg, platform or "twitter")
    found: list[ProposedLink] = []
    by_handle: dict[str, Profile] = {}
    for prof in workspace_profiles(ws, platform):
        got = index.propose(prof, min_confidence)
        if got is not None:
            found.append(got)
            by_handle[handle_fold(got.handle)] = prof
    return found, by_handle


_JOURNALIST_WORDS = (
    "reporter",
    "correspondent",
    "journalist",
    "anchor",
    "host",
    "presenter",
    "columnist",
    "writer",
    "commentator",
    "producer",
    "记者",
    "主播",
)
_SENIOR_WORDS = ("editor", "chief", "编辑")


def _person_role(detail: str) -> str:
    """journalist / senior_staff / staff from the affiliation word the evidence quotes."""
    low = detail.lower()
    if any(w in low for w in _SENIOR_WORDS):
        return "senior_staff"
    if any(w in low for w in _JOURNALIST_WORDS):
        return "journalist"
    return "staff"


def _combine(evidence: Iterable[Evidence]) -> float:
    miss = 1.0
    for e in evidence:
        miss *= 1.0 - e.confidence
    return 1.0 - miss


def _near_affiliation(text: str, target: str, window_chars: int = 40) -> str | None:
    """The (up to three) affiliation words closest before ``target`` in ``text`` (within ``window_chars``), if any."""
    low = text.lower()
    at = low.find(target.lower())
    if at < 0:
        return None
    before = low[max(0, at - window_chars) : at]
    words = [m.group(0) for m in _AFFILIATION.finditer(before) if m.group(0) != "@"]
    return " ".join(words[-3:]) if words else None  # "editor at": the role word and its link word


# -- workspaces and review files ------------------------------------------------------------------------------------
def workspace_profiles(ws: Any, platform: str | None = None) -> Iterable[Profile]:
    """The profiles of a workspace's ``accounts`` (those with a screen name that is not a hash), optionally of one
    platform."""
    sql = (
        "SELECT platform, account_id, screen_name, display_name, description, profile_url FROM accounts "
        "WHERE screen_name IS NOT NULL AND NOT coalesce(id_is_pseudonymised, false)"
    )
    params: list[Any] = []
    if platform:
        sql += " AND platform = ?"
        params.append(platform)
    for r in ws.engine.sql(sql + " ORDER BY platform, account_id", params).dicts():
        yield Profile(
            r["platform"],
            r["screen_name"],
            r["display_name"] or "",
            r["description"] or "",
            r["profile_url"] or "",
            r["account_id"],
        )


#: the columns of a review file: the affiliation-list format plus what a reviewer needs and a ``review`` column
REVIEW_COLUMNS = (
    "platform",
    "handle",
    "name",
    "entity",
    "parent_entity",
    "source",
    "as_of",
    "role",
    "country",
    "account_id",
    "confidence",
    "evidence",
    "alternatives",
    "review",
    "reviewer",
)


def review_rows(
    proposals: Sequence[ProposedLink], reg: Registry, profiles: dict[str, Profile], as_of: str
) -> list[dict[str, str]]:
    """Proposals as rows of a review file: an affiliation list whose ``review`` column a person sets to ``accept``
    or ``reject``; ``flockwatch media import-affiliations`` links only the accepted rows."""
    out = []
    for p in proposals:
        o = reg.outlet(p.outlet_id)
        prof = profiles.get(handle_fold(p.handle))
        out.append(
            {
                "platform": p.platform,
                "handle": p.handle,
                "name": prof.display_name if prof else "",
                "entity": o.name,
                "parent_entity": "",
                "source": f"profile evidence (flockwatch profile linker, confidence {p.confidence:.2f})",
                "as_of": as_of,
                "role": p.role,
                "country": o.country_code,
                "account_id": (prof.account_id or "") if prof else "",
                "confidence": f"{p.confidence:.3f}",
                "evidence": " | ".join(f"{e.kind} {e.confidence:.2f}: {e.detail}" for e in p.evidence),
                "alternatives": "; ".join(f"{a['outlet']} ({a['confidence']:.2f})" for a in p.alternatives),
                "review": "",
                "reviewer": "",
            }
        )
    return out
