"""Tests of flockwatch.policy: registry, policies, determinations, ads, labels, appeals, CLI."""
