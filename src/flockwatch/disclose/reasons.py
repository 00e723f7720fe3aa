"""Statements of reasons (EU Digital Services Act, Art. 17) and the export for the DSA Transparency Database
(Art. 24(5)).

Consumes the release context; produces
- ``dsa/statements_of_reasons.jsonl``: one statement per actioned account, in words — the decision and its scope, the
  facts and the evidence class relied on (the detectors whose calibrated links tie the account to the network, its
  role), whether automated means were used in detection and in the decision, the contractual ground (the policy
  violated), and the redress open to the account (internal complaint-handling, out-of-court dispute settlement,
  courts). It names the account by its release pseudonym, which the platform (holding the key) maps back when it
  delivers the statement; the public directory carries no raw id;
- ``dsa/dsa_tdb_statements.jsonl``: the same decisions in the Transparency Database's submission fields (API
  ``POST /api/v1/statements`` takes up to 100 per call as ``{"statements": [...]}``): ``decision_account``,
  ``account_type``, ``decision_ground`` = ``DECISION_GROUND_INCOMPATIBLE_CONTENT`` with
  ``incompatible_content_ground`` / ``_explanation``, ``content_type``, ``category`` (negative effects on civic
  discourse) with ``category_specification``, ``territorial_scope``, ``content_language``, ``content_date``,
  ``application_date``, ``decision_facts``, ``source_type`` (own initiative), ``automated_detection``,
  ``automated_decision``, ``puid`` (letters, digits, ``-`` and ``_`` only). The database forbids personal data:
  the puid is derived from the pseudonym and the facts are the same text for every account of a role.

A draft's statements say that no decision was taken and are written under ``DRAFT_`` names with ``"draft": true``
(a key the database does not accept: a draft cannot be submitted by mistake).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flockwatch.core.text import replace_id_tokens

if TYPE_CHECKING:
    from flockwatch.disclose.release import Release, _Context

#: EU member states and the EEA EFTA states (the database accepts EU/EEA ISO codes only)
EEA = [
    "AT",
    "BE",
    "BG",
    "CY",
    "CZ",
    "DE",
    "DK",
    "EE",
    "ES",
    "FI",
    "FR",
    "GR",
    "HR",
    "HU",
    "IE",
    "IT",
    "LT",
    "LU",
    "LV",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SE",
    "SI",
    "SK",
    "IS",
    "LI",
    "NO",
]
#: a suspension is permanent (an account terminated, in the database's words); a lock is temporary
DECISIONS = {"suspend": "DECISION_ACCOUNT_TERMINATED", "lock": "DECISION_ACCOUNT_SUSPENDED"}
DECISION_WORDS = {"suspend": "permanent suspension of the account", "lock": "temporary lock of the account"}
CATEGORY = "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS"
KEYWORDS = ["KEYWORD_OTHER"]
KEYWORD_OTHER = "Coordinated inauthentic behaviour (platform manipulation)"
_LIMITS = {"incompatible_content_ground": 500, "incompatible_content_explanation": 2000, "decision_facts": 5000}


def _facts(role: str, detectors: list[str], source: str, draft: bool) -> str:
    how = ", ".join(detectors) if detectors else "co-activity with other accounts of the network"
    who = (
        "one of the accounts that acted together at the core of"
        if role == "core"
        else "an account that amplified the posts of"
    )
    return (
        f"{'DRAFT (no decision taken). ' if draft else ''}The account was {who} a coordinated network found by our own "
        f"investigation ({source}). Evidence class: statistically calibrated co-activity links ({how}) — the account "
        "acted on the same posts, texts, links or hashtags as other accounts of the network within short time "
        "windows far more often than chance would produce — together with account-level signals reviewed by analysts."
    )


def write_statements_of_reasons(c: _Context, r: Release) -> list[Path]:
    """Write both files (module docstring); returns their paths."""
    e, s, p = c.ws.engine, c.s, c.protection
    pseud = p.pseudonymiser
    per_account = {
        a: (lang, first)
        for a, lang, first in e.sql(
            f"SELECT account_id, mode(language), min(acted_at) FROM {s.acts} GROUP BY account_id"
        ).rows()
    }
    policy = "; ".join(c.options.policies) if c.options.policies else "Platform manipulation and spam policy"
    draft = c.subjects.draft
    prefix = "DRAFT_" if draft else ""
    folder = r.out_dir / "dsa"
    folder.mkdir(exist_ok=True)
    sor_path = folder / f"{prefix}statements_of_reasons.jsonl"
    tdb_path = folder / f"{prefix}dsa_tdb_statements.jsonl"
    applied = c.when.isoformat()
    with sor_path.open("w", encoding="utf-8") as sor, tdb_path.open("w", encoding="utf-8") as tdb:
        for sub in c.subjects.subjects:
            ref = p.account_pseudonym.get(sub.account_id) or (pseud.account(sub.account_id) if pseud else "")
            puid = f"{c.prefix}-{ref}".replace(".", "-")
            lang, first = per_account.get(sub.account_id, (None, None))
            facts = replace_id_tokens(_facts(sub.role, sub.detectors, c.subjects.source, draft), p.by_token) or ""
            decision = DECISIONS.get(sub.action, DECISIONS["lock"])
            when = (sub.decided_at or applied)[:10]
            statement: dict[str, Any] = {
                "puid": puid,
                "account": ref,
                "draft": draft,
                "decision": (
                    "none taken (draft)"
                    if draft
                    else f"{DECISION_WORDS.get(sub.action, sub.action)} ({decision}), worldwide"
                ),
                "decided_at": None if draft else when,
                "facts_and_circumstances": facts,
                "evidence_class": {"role": sub.role, "detectors": sub.detectors, "network": sub.network_id},
                "source": "own-initiative investigation (no notice)",
                "automated_means": {
                    "detection": "yes: the account was identified by automated coordination detection",
                    "decision": "no: the decision was taken by analysts under a two-person rule",
                },
                "contractual_ground": policy,
                "legal_ground": None,
                "redress": [
                    f"internal complaint-handling (DSA Art. 20) within six months: {c.options.appeal_url}",
                    "certified out-of-court dispute settlement body (DSA Art. 21)",
                    "judicial redress before the courts of your Member State",
                ],
            }
            sor.write(json.dumps(statement, ensure_ascii=False) + "\n")
            tdb_row: dict[str, Any] = {
                "decision_account": decision,
                "account_type": "ACCOUNT_TYPE_PRIVATE",
                "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
                "incompatible_content_ground": policy,
                "incompatible_content_explanation": (
                    "Operating or amplifying a network of accounts that coordinate to mislead people about who is "
                    "behind them and how popular their messages are."
                ),
                "incompatible_content_illegal": "No",
                "content_type": ["CONTENT_TYPE_TEXT"],
                "category": CATEGORY,
                "category_specification": KEYWORDS,
                "category_specification_other": KEYWORD_OTHER,
                "territorial_scope": EEA,
                "content_date": _content_date(first, when),
                "application_date": max(when, "2020-01-01"),
                "decision_facts": facts,
                "source_type": "SOURCE_VOLUNTARY",
                "automated_detection": "Yes",
                "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
                "puid": puid,
            }
            if lang and len(lang) == 2 and lang.isalpha():
                tdb_row["content_language"] = lang.upper()
            if draft:
                tdb_row["draft"] = True
            for k, limit in _LIMITS.items():
                tdb_row[k] = str(tdb_row[k])[:limit]
            tdb.write(json.dumps(tdb_row, ensure_ascii=False) + "\n")
    return [sor_path, tdb_path]


def _content_date(first: Any, fallback: str) -> str:
    day = first.strftime("%Y-%m-%d") if first else fallback
    return max(day, "2000-01-01")
