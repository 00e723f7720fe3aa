"""State-media policy: a sourced registry of outlets, policies as versioned data, determinations with history,
ad eligibility, labels and appeals.

    reg = Registry.open(ws)                     # the workspace's operational store (ws.ops())
    ensure_shipped_registry(reg)                # first use: shipped Matrix + curated facts + determinations, once
    import_registry(reg)                        # shipped State Media Matrix (ASD; MJRC typology) + curated facts
    reg = shipped_registry()                    # a private in-memory copy of the shipped registry (no workspace)
    decide(reg, "twitter-2019-08-ads")          # one determination per outlet, history kept
    check_ad_eligibility(reg, ["@XHNews", "bbc.co.uk"], policy="twitter-2019-08-ads")
    export_labels(reg, "twitter-2020-08-labels")
    file_appeal(reg, determination_id, grounds="...", evidence=[{...fact...}])

This package stands beside the detection pipeline: it reads no warehouse table.
"""

from flockwatch.policy.ads import AdCheck, AdIndex, check_ad_eligibility
from flockwatch.policy.appeals import Appeal, appeals, file_appeal, review_appeal
from flockwatch.policy.determinations import Determination, decide, determinations, history
from flockwatch.policy.labels import LabelRow, export_labels
from flockwatch.policy.matrix import ImportSummary, ensure_shipped_registry, import_registry, shipped_registry
from flockwatch.policy.registry import Asset, Fact, Outlet, Registry
from flockwatch.policy.rules import Decision, Policy, evaluate, get_policy, policies

__all__ = [
    "AdCheck",
    "AdIndex",
    "Appeal",
    "Asset",
    "Decision",
    "Determination",
    "Fact",
    "ImportSummary",
    "LabelRow",
    "Outlet",
    "Policy",
    "Registry",
    "appeals",
    "check_ad_eligibility",
    "decide",
    "determinations",
    "ensure_shipped_registry",
    "evaluate",
    "export_labels",
    "file_appeal",
    "get_policy",
    "history",
    "import_registry",
    "policies",
    "review_appeal",
    "shipped_registry",
]
