"""Language vs reported location: accounts that write in languages their stated location does not speak.

Consumes ``accounts.reported_location`` and ``actions.language`` (codes such as ``en``/``zh-cn`` or names such as
``English``/``Russian`` — both are normalised to ISO 639-1); produces ``language_location_mismatch`` rows for scoped
accounts whose location matches a known place and that have at least ``min_actions`` actions with a language.

What it measures: the reported location is matched (case-insensitive substring) against a small gazetteer
(:data:`PLACES`, place keyword → country → languages commonly written there). ``value`` = share of the account's
language-tagged actions whose language is *not* among the place's languages. An account "in Ohio" tweeting 95% in
Russian scores 0.95. Evidence: location, matched place and country, expected languages, dominant language and its
share.

False-positive risks: diaspora and expatriates, language learners, bilingual regions outside the gazetteer's
lists, jokes and ironic locations ("Mars"), stale locations, and machine language detection errors on short texts
(hashtag-only posts are often tagged wrongly). The gazetteer is deliberately small: an unmatched location produces
no row, never a mismatch.
"""

from __future__ import annotations

import pyarrow as pa

from flockwatch.engine import Engine
from flockwatch.signals.base import Scope, fetch_arrow, finish

NAME = "language_location_mismatch"

#: keyword (lower case) → (country, languages written there). Extend by adding rows; longest keyword wins.
PLACES: dict[str, tuple[str, tuple[str, ...]]] = {
    "united states": ("US", ("en", "es")),
    "usa": ("US", ("en", "es")),
    "u.s.": ("US", ("en", "es")),
    "new york": ("US", ("en", "es")),
    "california": ("US", ("en", "es")),
    "texas": ("US", ("en", "es")),
    "florida": ("US", ("en", "es")),
    "chicago": ("US", ("en", "es")),
    "los angeles": ("US", ("en", "es")),
    "ohio": ("US", ("en", "es")),
    "atlanta": ("US", ("en", "es")),
    "washington": ("US", ("en", "es")),
    "united kingdom": ("GB", ("en",)),
    "london": ("GB", ("en",)),
    "england": ("GB", ("en",)),
    "hong kong": ("HK", ("zh", "en")),
    "香港": ("HK", ("zh", "en")),
    "china": ("CN", ("zh",)),
    "beijing": ("CN", ("zh",)),
    "shanghai": ("CN", ("zh",)),
    "中国": ("CN", ("zh",)),
    "北京": ("CN", ("zh",)),
    "taiwan": ("TW", ("zh",)),
    "taipei": ("TW", ("zh",)),
    "台灣": ("TW", ("zh",)),
    "台湾": ("TW", ("zh",)),
    "russia": ("RU", ("ru",)),
    "россия": ("RU", ("ru",)),
    "moscow": ("RU", ("ru",)),
    "москва": ("RU", ("ru",)),
    "petersburg": ("RU", ("ru",)),
    "петербург": ("RU", ("ru",)),
    "ukraine": ("UA", ("uk", "ru")),
    "kyiv": ("UA", ("uk", "ru")),
    "kiev": ("UA", ("uk", "ru")),
    "germany": ("DE", ("de",)),
    "deutschland": ("DE", ("de",)),
    "berlin": ("DE", ("de",)),
    "france": ("FR", ("fr",)),
    "paris": ("FR", ("fr",)),
    "spain": ("ES", ("es", "ca")),
    "madrid": ("ES", ("es",)),
    "japan": ("JP", ("ja",)),
    "tokyo": ("JP", ("ja",)),
    "iran": ("IR", ("fa",)),
    "tehran": ("IR", ("fa",)),
    "venezuela": ("VE", ("es",)),
    "caracas": ("VE", ("es",)),
    "india": ("IN", ("en", "hi")),
}

#: language names seen in archives → ISO 639-1
LANGUAGE_NAMES: dict[str, str] = {
    "english": "en",
    "russian": "ru",
    "chinese": "zh",
    "german": "de",
    "spanish": "es",
    "french": "fr",
    "ukrainian": "uk",
    "italian": "it",
    "arabic": "ar",
    "japanese": "ja",
    "persian": "fa",
    "farsi": "fa",
    "portuguese": "pt",
    "korean": "ko",
    "turkish": "tr",
    "polish": "pl",
    "dutch": "nl",
    "catalan": "ca",
    "hindi": "hi",
}

_UNKNOWN = ("und", "unknown", "", "qme", "zxx", "qht", "language other (english)", "language other (non-english)")


def language_code_sql(col: str) -> str:
    """SQL normalising a language column to ISO 639-1 (``zh-cn`` → ``zh``, ``Russian`` → ``ru``)."""
    cases = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in LANGUAGE_NAMES.items())
    unknown = ", ".join(f"'{u}'" for u in _UNKNOWN)
    return (
        f"CASE WHEN {col} IS NULL OR lower(trim({col})) IN ({unknown}) THEN NULL "
        f"ELSE coalesce(CASE lower(trim({col})) {cases} END, "
        f"lower(regexp_extract(trim({col}), '^([A-Za-z]+)', 1))) END"
    )


def compute(engine: Engine, scope: Scope, min_actions: int = 5) -> pa.Table:
    places = pa.table(
        {
            "keyword": list(PLACES),
            "country": [v[0] for v in PLACES.values()],
            "languages": [list(v[1]) for v in PLACES.values()],
        }
    )
    name = "__places"
    engine.register(name, places)
    try:
        out = fetch_arrow(
            engine,
            f"""
            WITH loc AS (
              SELECT a.platform, a.account_id, a.reported_location, p.keyword, p.country, p.languages,
                row_number() OVER (PARTITION BY a.platform, a.account_id ORDER BY len(p.keyword) DESC, p.keyword) AS rk
              FROM accounts a JOIN {scope.accounts_sql} s USING (platform, account_id)
              JOIN {name} p ON contains(lower(a.reported_location), p.keyword)
            ), langs AS (
              SELECT platform, account_id, {language_code_sql("language")} AS lang, count(*) AS n
              FROM {scope.actions_sql} GROUP BY ALL
            ), per AS (
              -- the dominant language: of equally used ones the first by code (the same on every run)
              SELECT l.platform, l.account_id, sum(g.n) AS n_tagged,
                sum(g.n) FILTER (WHERE NOT list_contains(l.languages, g.lang)) AS n_foreign,
                arg_min(g.lang, (-g.n, g.lang)) AS dominant, max(g.n) AS dominant_n
              FROM loc l JOIN langs g USING (platform, account_id)
              WHERE l.rk = 1 AND g.lang IS NOT NULL GROUP BY ALL HAVING sum(g.n) >= {int(min_actions)}
            )
            SELECT p.platform, p.account_id, '{NAME}' AS signal, coalesce(p.n_foreign, 0) / p.n_tagged AS value,
              json_object('reported_location', l.reported_location, 'matched_place', l.keyword,
                          'country', l.country, 'expected_languages', l.languages,
                          'dominant_language', p.dominant, 'dominant_share', round(p.dominant_n / p.n_tagged, 4),
                          'actions_with_language', p.n_tagged) AS evidence
            FROM per p JOIN loc l ON l.platform = p.platform AND l.account_id = p.account_id AND l.rk = 1
            ORDER BY value DESC, account_id
            """,
        )
    finally:
        engine.unregister(name)
    return finish(out)
