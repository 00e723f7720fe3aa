"""Traffic Light Protocol markings: which level a STIX object carries, and where it may go.

Consumes marking-definition ids (from ``object_marking_refs``) and level names; produces a :class:`Level` and the
marking-definition to write.

We **write TLP 1.0** marking definitions — the four objects the STIX 2.1 specification itself fixes (section
7.2.1.4) and the ``stix2`` library ships (``TLP_WHITE``/``GREEN``/``AMBER``/``RED``), which every STIX 2.1 consumer
knows. We **read both** 1.0 and 2.0: TLP 2.0 markings are the marking-definitions the OASIS TLP 2.0 extension fixes
(ids below), including ``AMBER+STRICT``; ``TLP:WHITE`` and ``TLP:CLEAR`` are the same level. A marking we do not
recognise (a peer's own statement marking) is kept as it is and treated as *stricter than anything we know*: an
unknown restriction must never loosen.

Order, least to most restricted: clear < green < amber < amber+strict < red < unknown. An object with several TLP
markings is as strict as the strictest. Only ``clear`` may leave in a public release (:func:`public_ok`).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum
from typing import Any


class Level(IntEnum):
    CLEAR = 0
    GREEN = 1
    AMBER = 2
    AMBER_STRICT = 3
    RED = 4
    UNKNOWN = 5

    @property
    def label(self) -> str:
        return "TLP:" + self.name.replace("_", "+") if self is not Level.UNKNOWN else "unknown marking"


#: TLP 1.0 (STIX 2.1 section 7.2.1.4; stix2.v21.TLP_*)
TLP1_IDS = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": Level.CLEAR,  # TLP:WHITE
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": Level.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": Level.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": Level.RED,
}
#: TLP 2.0 (OASIS STIX 2.1 TLP 2.0 extension, extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d)
TLP2_IDS = {
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": Level.CLEAR,
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": Level.GREEN,
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": Level.AMBER,
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": Level.AMBER_STRICT,
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": Level.RED,
}
KNOWN_IDS = {**TLP1_IDS, **TLP2_IDS}

_NAMES = {
    "clear": Level.CLEAR,
    "white": Level.CLEAR,
    "green": Level.GREEN,
    "amber": Level.AMBER,
    "amber+strict": Level.AMBER_STRICT,
    "red": Level.RED,
}


def parse_level(name: str) -> Level:
    """``amber``, ``TLP:AMBER``, ``TLP:AMBER+STRICT`` ... → :class:`Level`; ``ValueError`` naming the choices."""
    key = name.strip().lower().removeprefix("tlp:")
    if key not in _NAMES:
        raise ValueError(f"unknown TLP level {name!r}; known: {', '.join(sorted(_NAMES))}")
    return _NAMES[key]


def level_of(marking_refs: Iterable[str], definitions: dict[str, dict[str, Any]] | None = None) -> Level | None:
    """The strictest TLP level among ``marking_refs`` (None when the object carries no marking at all).

    ``definitions`` (marking-definition objects of the bundle by id) lets a TLP 1.0 definition under another id
    (``definition_type: tlp``) or a TLP 2.0 one carrying its extension (``tlp_2_0``) be read too."""
    found: list[Level] = []
    for ref in marking_refs:
        if ref in KNOWN_IDS:
            found.append(KNOWN_IDS[ref])
            continue
        d = (definitions or {}).get(ref) or {}
        name = None
        if d.get("definition_type") == "tlp":
            name = (d.get("definition") or {}).get("tlp")
        for ext in (d.get("extensions") or {}).values():
            if isinstance(ext, dict) and "tlp_2_0" in ext:
                name = ext["tlp_2_0"]
        try:
            found.append(parse_level(str(name)) if name else Level.UNKNOWN)
        except ValueError:
            found.append(Level.UNKNOWN)
    return max(found) if found else None


def marking_for(level: Level) -> Any:
    """The TLP 1.0 marking-definition object (``stix2``) we write for ``level``; AMBER+STRICT has no 1.0 form and
    is written as RED (never looser)."""
    import stix2

    by_level = {
        Level.CLEAR: stix2.v21.TLP_WHITE,
        Level.GREEN: stix2.v21.TLP_GREEN,
        Level.AMBER: stix2.v21.TLP_AMBER,
        Level.AMBER_STRICT: stix2.v21.TLP_RED,
        Level.RED: stix2.v21.TLP_RED,
    }
    if level not in by_level:
        raise ValueError(f"cannot write a marking for {level.label}")
    return by_level[level]


def public_ok(level: Level | None) -> bool:
    """May an item at this level go into a public release? Only TLP:CLEAR; an unmarked item from a peer is not
    assumed public (the caller decides what an unmarked item of its own is)."""
    return level is Level.CLEAR
