"""Keyed pseudonyms and the protected set of a release.

Consumes a :class:`~flockwatch.disclose.keys.ReleaseKey`, an engine and the scratch table of the disclosed accounts;
produces a :class:`Protection`: every account that *appears* in the disclosed material (members, reply targets,
retweeted and quoted authors, accounts mentioned by id or by handle in posts and bios) resolved against
``accounts``, the follower threshold applied, and for each protected account one pseudonym used everywhere.

Rules (the 2019 lesson: hashed user ids were re-linked through unhashed ``user_mentions``):
- an account is **protected** when its follower count is below the threshold, unknown, or the account is not in the
  workspace at all (a handle or id we cannot look up is treated as small: privacy first). Every small account of the
  platform in the workspace is protected, whether or not the extractors saw it referenced: its handle may still turn
  up as a bare word or inside a link;
- a protected account's pseudonym is ``HMAC-SHA256(key, "account" | platform | account_id)`` in lower-case base32
  (32 characters, never all digits, never a valid handle); a handle that resolves to no account gets
  ``HMAC(key, "handle" | platform | handle)``. One key per release: a new key gives pseudonyms that cannot be joined
  across releases; the same key gives the same pseudonym everywhere in a release;
- every identifier token (core.text: ``@alice``, ``x.com/alice``, ``user_id=123``, full-width and other
  compatibility forms, HTML- and %-escaped forms) equal to a protected account's id or handle is replaced in every
  free-text field by its pseudonym (:meth:`Protection.scrub`). A hashtag or word that happens to equal a protected
  handle is replaced too: fidelity gives way to the promise made to small accounts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flockwatch.core.handles import handle_key
from flockwatch.core.text import (
    entity_match_ok_sql,
    id_token_key,
    mention_from_match_sql,
    mention_matches_sql,
    mentions_in,
    replace_id_tokens,
)
from flockwatch.disclose.keys import ReleaseKey

if TYPE_CHECKING:  # worker processes import this module: keep the engine (and DuckDB) out of them
    from flockwatch.engine import Engine

DEFAULT_THRESHOLD_FOLLOWERS = 5_000


class Pseudonymiser:
    """Keyed HMAC pseudonyms of one release."""

    def __init__(self, key: ReleaseKey, platform: str) -> None:
        self._secret = key.secret
        self.key_id = key.key_id
        self.platform = platform

    def _mac(self, domain: str, value: str) -> str:
        msg = "\x1f".join((domain, self.platform, value)).encode("utf-8")
        digest = hmac.new(self._secret, msg, hashlib.sha256).digest()[:20]
        return base64.b32encode(digest).decode("ascii").lower()

    def account(self, account_id: str) -> str:
        return self._mac("account", account_id)

    def handle(self, handle: str) -> str:
        return self._mac("handle", handle.lower())

    def post(self, action_id: str) -> str:
        return self._mac("post", action_id)


@dataclass
class Protection:
    """The protected identifiers of a release and their pseudonyms."""

    threshold_followers: int
    account_pseudonym: dict[str, str] = field(default_factory=dict)
    """raw account id (and unresolved handle key) → pseudonym, for every protected account that appears"""
    by_token: dict[str, str] = field(default_factory=dict)
    """identifier-token key (lower-case id or handle) → pseudonym"""
    protected_ids: set[str] = field(default_factory=set)
    protected_handles: set[str] = field(default_factory=set)
    public_ids: set[str] = field(default_factory=set)
    pseudonymiser: Pseudonymiser | None = None

    def account_id(self, raw: str | None) -> str | None:
        """The id to publish for ``raw``: its pseudonym when protected, else as is."""
        if raw is None:
            return None
        return self.account_pseudonym.get(raw) or self.by_token.get(id_token_key(raw), raw)

    def scrub(self, text: str | None) -> str | None:
        """``text`` with every protected identifier token replaced by its pseudonym (module docstring)."""
        return replace_id_tokens(text, self.by_token)

    def is_protected(self, account_id: str) -> bool:
        return account_id in self.account_pseudonym

    appearing: int = 0
    """protected accounts that appear in the disclosed material (an account seen by id and by handle counts once)"""

    @property
    def n_protected(self) -> int:
        return self.appearing


def build_protection(
    engine: Engine,
    members_table: str,
    actions_table: str,
    pseudonymiser: Pseudonymiser,
    threshold_followers: int = DEFAULT_THRESHOLD_FOLLOWERS,
) -> Protection:
    """The protected set of the accounts in ``members_table`` (column ``account_id``) and the actions in
    ``actions_table`` (theirs, already scoped): see the module docstring."""
    platform = pseudonymiser.platform
    # every reference: members, reply/retweet/quote targets, mentions by id or handle (entity table and text)
    refs = engine.sql(
        f"""SELECT DISTINCT ref FROM (
                SELECT account_id AS ref FROM {members_table}
                UNION ALL SELECT target_account_id FROM {actions_table} WHERE target_account_id IS NOT NULL
                UNION ALL SELECT m.mentioned_account_id FROM action_mentions m
                    JOIN {actions_table} a ON a.action_id = m.action_id AND m.platform = ?
                UNION ALL SELECT {mention_from_match_sql("x")} FROM (
                    SELECT unnest({mention_matches_sql("text")}) AS x FROM {actions_table} WHERE text LIKE '%@%'
                        OR text LIKE '%＠%') WHERE {entity_match_ok_sql("x")}
            ) WHERE ref IS NOT NULL AND ref <> ''""",
        [platform],
    ).rows()
    bios = engine.sql(
        f"""SELECT c.description FROM accounts c JOIN {members_table} m ON c.account_id = m.account_id
            WHERE c.platform = ? AND c.description IS NOT NULL""",
        [platform],
    ).rows()
    wanted = {r[0] for r in refs}
    for (bio,) in bios:
        wanted.update(mentions_in(bio))
    # Every small account of the platform is protected, not only those found above: a handle can also appear as a
    # bare word or a link the extractors do not see as a reference, and the promise is about every small account.
    small = engine.sql(
        """SELECT account_id, screen_name FROM accounts
           WHERE platform = ? AND (follower_count IS NULL OR follower_count < ?)""",
        [platform, threshold_followers],
    ).rows()
    public = engine.sql(
        """SELECT account_id, screen_name FROM accounts WHERE platform = ? AND follower_count >= ?""",
        [platform, threshold_followers],
    ).rows()
    p = Protection(threshold_followers, pseudonymiser=pseudonymiser)
    resolved: set[str] = set()
    for account_id, screen_name in small:
        pseud = pseudonymiser.account(account_id)
        p.account_pseudonym[account_id] = pseud
        p.protected_ids.add(account_id)
        p.by_token[id_token_key(account_id)] = pseud
        resolved.add(account_id)
        if screen_name:
            p.protected_handles.add(screen_name)
            p.by_token[id_token_key(screen_name)] = pseud
            resolved.add(screen_name.lower())
    for account_id, screen_name in public:
        p.public_ids.add(account_id)
        resolved.add(account_id)
        if screen_name:
            resolved.add(screen_name.lower())
    appearing = {p.account_pseudonym[r] for r in wanted if r in p.account_pseudonym}
    for ref in wanted:
        if ref in resolved or ref.lower() in resolved:
            continue
        if ref.isdigit():
            pseud = pseudonymiser.account(ref)
            p.protected_ids.add(ref)
        else:
            key = handle_key(ref, platform) or ref.lower()
            pseud = pseudonymiser.handle(key)
            p.protected_handles.add(ref)
        p.account_pseudonym[ref] = pseud
        p.by_token[id_token_key(ref)] = pseud
        appearing.add(pseud)
    for ref in wanted:  # handles of known small accounts that appeared by handle only
        found = p.by_token.get(id_token_key(ref))
        if found and ref.lower() in resolved and not ref.isdigit():
            appearing.add(found)
    p.appearing = len(appearing)
    return p
