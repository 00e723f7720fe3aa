"""TLP: we write 1.0, read 1.0 and 2.0; the strictest marking wins; an unknown marking is never looser."""

from __future__ import annotations

import pytest
import stix2

from flockwatch.share.tlp import TLP2_IDS, Level, level_of, marking_for, parse_level, public_ok


def test_reads_both_versions():
    assert level_of([stix2.v21.TLP_AMBER.id]) is Level.AMBER
    assert level_of(["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"]) is Level.AMBER
    assert level_of(["marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"]) is Level.AMBER_STRICT
    assert (
        level_of([stix2.v21.TLP_WHITE.id])
        is level_of(["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"])
        is Level.CLEAR
    )
    assert set(TLP2_IDS.values()) == {Level.CLEAR, Level.GREEN, Level.AMBER, Level.AMBER_STRICT, Level.RED}


def test_strictest_wins_and_unknown_is_strictest():
    assert level_of([stix2.v21.TLP_GREEN.id, stix2.v21.TLP_RED.id]) is Level.RED
    assert level_of(["marking-definition--00000000-0000-4000-8000-000000000000"]) is Level.UNKNOWN
    assert level_of([]) is None


def test_definitions_under_other_ids_are_read():
    defs = {
        "marking-definition--a": {"definition_type": "tlp", "definition": {"tlp": "green"}},
        "marking-definition--b": {
            "extensions": {"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {"tlp_2_0": "amber+strict"}}
        },
    }
    assert level_of(["marking-definition--a"], defs) is Level.GREEN
    assert level_of(["marking-definition--b"], defs) is Level.AMBER_STRICT


def test_writing_never_loosens():
    assert marking_for(Level.AMBER_STRICT).id == stix2.v21.TLP_RED.id
    assert marking_for(Level.CLEAR).id == stix2.v21.TLP_WHITE.id
    with pytest.raises(ValueError):
        marking_for(Level.UNKNOWN)


def test_only_clear_is_public():
    assert public_ok(Level.CLEAR)
    assert not any(
        public_ok(lv) for lv in (Level.GREEN, Level.AMBER, Level.AMBER_STRICT, Level.RED, Level.UNKNOWN, None)
    )


def test_parse_level():
    assert parse_level("TLP:AMBER+STRICT") is Level.AMBER_STRICT and parse_level("white") is Level.CLEAR
    with pytest.raises(ValueError, match="unknown TLP level"):
        parse_level("purple")
