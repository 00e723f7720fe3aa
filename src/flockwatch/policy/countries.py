"""ISO 3166-1 alpha-2 country codes and the names people write for them.

Consumes ``data/countries.csv`` (code, name, aliases separated by ``|``; built from the tz database's
``iso3166.tab``, public domain, plus common aliases and the spellings the State Media Matrix uses, and the
exceptionally reserved code ``EU``). Produces :func:`country_code`, which turns a code or a name into the code or
raises :class:`~flockwatch.errors.ValidationError`. Add a spelling by adding it to the ``aliases`` column.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources

from flockwatch.errors import ValidationError


def _key(text: str) -> str:
    return " ".join(text.replace("’", "'").casefold().split())


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, str], dict[str, str]]:
    names: dict[str, str] = {}
    lookup: dict[str, str] = {}
    with resources.files("flockwatch.policy").joinpath("data/countries.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            code = row["code"]
            names[code] = row["name"]
            lookup[_key(code)] = code
            lookup[_key(row["name"])] = code
            for alias in filter(None, row["aliases"].split("|")):
                lookup[_key(alias)] = code
    return names, lookup


def country_code(text: str) -> str:
    """The ISO 3166-1 alpha-2 code for a code or name (``"GB"``, ``"United Kingdom"`` → ``"GB"``)."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationError("country is missing: give an ISO 3166 code or country name")
    code = _tables()[1].get(_key(text))
    if code is None:
        raise ValidationError(f"unknown country {text!r}: give an ISO 3166-1 alpha-2 code (e.g. GB) or a country name")
    return code


def country_name(code: str) -> str:
    return _tables()[0].get(code, code)


def country_lookup() -> dict[str, str]:
    """Every name, alias and code flockwatch knows (case-folded) → its ISO code."""
    return dict(_tables()[1])
