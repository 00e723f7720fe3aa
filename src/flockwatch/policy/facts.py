"""What a fact about an outlet may say: the kinds, their fields, and their validation.

Consumes a fact as given by a caller or a file (kind, value, source, date, confidence); produces a validated,
normalised :class:`FactInput` or raises :class:`~flockwatch.errors.ValidationError` naming the field. Every fact
must carry a source, a date (ISO ``YYYY-MM-DD``, not in the future) and a confidence in [0, 1].

Kinds (fields in brackets are optional):

- ``scope``: scope = news | mixed | entertainment_sports_travel
- ``funding``: mode = direct | indirect | none, [state_share 0..1], [mechanism] (e.g. "licence fee")
- ``ownership``: state_owned (bool), [owner]
- ``governance``: state_appoints_leadership (bool), independent_appointment_procedure (bool), [detail]
- ``editorial_control``: state_editorial_control (bool), [mechanisms] (list: political_pressure,
  production_control, distribution_control, party_organ, ...), [evidence]
- ``safeguards``: any of charter_or_statute, legal_editorial_independence, independent_board, public_service_remit,
  editorial_guidelines, complaints_process (bools; at least one)
- ``classification``: scheme, category, [year], state_controlled (bool or null: null = classified but without a
  view on control), [direct_state_funding], [governance_control], [editorial_control] (bools, as the scheme says)

To add a kind, add it to ``FACT_KINDS`` and write the criteria that read it in a policy file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flockwatch.errors import ValidationError

BOOL = "bool"
FLOAT01 = "float01"
TEXT = "text"
INT = "int"
LIST = "list"
BOOL_OR_NULL = "bool_or_null"

# kind -> field -> (type, required, allowed values or None)
FACT_KINDS: dict[str, dict[str, tuple[str, bool, tuple[str, ...] | None]]] = {
    "scope": {"scope": (TEXT, True, ("news", "mixed", "entertainment_sports_travel"))},
    "funding": {
        "mode": (TEXT, True, ("direct", "indirect", "none")),
        "state_share": (FLOAT01, False, None),
        "mechanism": (TEXT, False, None),
    },
    "ownership": {"state_owned": (BOOL, True, None), "owner": (TEXT, False, None)},
    "governance": {
        "state_appoints_leadership": (BOOL, True, None),
        "independent_appointment_procedure": (BOOL, True, None),
        "detail": (TEXT, False, None),
    },
    "editorial_control": {
        "state_editorial_control": (BOOL, True, None),
        "mechanisms": (LIST, False, None),
        "evidence": (TEXT, False, None),
    },
    "safeguards": dict.fromkeys(
        (
            "charter_or_statute",
            "legal_editorial_independence",
            "independent_board",
            "public_service_remit",
            "editorial_guidelines",
            "complaints_process",
        ),
        (BOOL, False, None),
    ),
    "classification": {
        "scheme": (TEXT, True, None),
        "category": (TEXT, True, None),
        "year": (INT, False, None),
        "state_controlled": (BOOL_OR_NULL, True, None),
        "direct_state_funding": (BOOL, False, None),
        "governance_control": (BOOL, False, None),
        "editorial_control": (BOOL, False, None),
    },
}


@dataclass(frozen=True)
class FactInput:
    """A validated fact, ready to store."""

    kind: str
    value: dict[str, Any]
    source: str
    source_date: str
    confidence: float
    source_url: str | None = None
    note: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def parse_date(text: Any, what: str = "date", allow_future: bool = False) -> str:
    """An ISO date ``YYYY-MM-DD`` (a ``YYYY`` or ``YYYY-MM`` is not enough: sources are dated to the day)."""
    if isinstance(text, datetime):
        text = text.date().isoformat()
    if isinstance(text, date):
        text = text.isoformat()
    if not isinstance(text, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        raise ValidationError(f"bad {what} {text!r}: expected YYYY-MM-DD")
    try:
        d = date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(f"bad {what} {text!r}: not a calendar date") from None
    if not allow_future and d > datetime.now(UTC).date():
        raise ValidationError(f"bad {what} {text!r}: in the future")
    if d.year < 1900:
        raise ValidationError(f"bad {what} {text!r}: before 1900")
    return d.isoformat()


def validate_fact(raw: dict[str, Any], where: str = "fact") -> FactInput:
    """Validate a fact given as ``{"kind", "value", "source", "date", "confidence", ["source_url"], ["note"]}``."""
    if not isinstance(raw, dict):
        raise ValidationError(f"{where}: expected an object, got {type(raw).__name__}")
    kind = raw.get("kind")
    if kind not in FACT_KINDS:
        raise ValidationError(f"{where}: unknown fact kind {kind!r}; known: {', '.join(sorted(FACT_KINDS))}")
    source = raw.get("source")
    if not isinstance(source, str) or not source.strip():
        raise ValidationError(f"{where} ({kind}): missing source: every fact must name where it comes from")
    if "date" not in raw or raw.get("date") in (None, ""):
        raise ValidationError(f"{where} ({kind}): missing date of the source (YYYY-MM-DD)")
    source_date = parse_date(raw["date"], f"{where} ({kind}) date")
    confidence = raw.get("confidence")
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0 <= confidence <= 1:
        raise ValidationError(f"{where} ({kind}): confidence must be a number in [0, 1], got {confidence!r}")
    value = raw.get("value")
    if not isinstance(value, dict):
        raise ValidationError(f"{where} ({kind}): value must be an object of fields")
    spec = FACT_KINDS[kind]
    unknown = sorted(set(value) - set(spec))
    if unknown:
        raise ValidationError(f"{where} ({kind}): unknown field(s) {unknown}; allowed: {sorted(spec)}")
    clean: dict[str, Any] = {}
    for name, (typ, required, allowed) in spec.items():
        if name not in value:
            if required:
                raise ValidationError(f"{where} ({kind}): missing field {name!r}")
            continue
        v = value[name]
        ok = {
            BOOL: isinstance(v, bool),
            BOOL_OR_NULL: v is None or isinstance(v, bool),
            TEXT: isinstance(v, str) and bool(v.strip()),
            INT: isinstance(v, int) and not isinstance(v, bool),
            FLOAT01: isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1,
            LIST: isinstance(v, list) and all(isinstance(x, str) for x in v),
        }[typ]
        if not ok or (allowed is not None and v not in allowed):
            expect = f"one of {list(allowed)}" if allowed else typ.replace("float01", "a number in [0, 1]")
            raise ValidationError(f"{where} ({kind}): field {name!r} = {v!r}; expected {expect}")
        clean[name] = v
    if kind == "safeguards" and not clean:
        raise ValidationError(f"{where} (safeguards): name at least one safeguard")
    url = raw.get("source_url")
    if url is not None and not isinstance(url, str):
        raise ValidationError(f"{where} ({kind}): source_url must be text")
    return FactInput(
        kind=kind,
        value=clean,
        source=source.strip(),
        source_date=source_date,
        confidence=float(confidence),
        source_url=url,
        note=raw.get("note"),
    )
