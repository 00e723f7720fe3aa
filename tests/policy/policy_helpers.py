"""Helpers shared by the policy tests."""

from __future__ import annotations


def fact(kind, value, source="Test source", date="2020-01-01", confidence=0.9, **extra):
    """A fact in the input format, with a source, a date and a confidence."""
    return {"kind": kind, "value": value, "source": source, "date": date, "confidence": confidence, **extra}
