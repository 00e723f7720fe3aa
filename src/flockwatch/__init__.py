"""flockwatch: find, attribute and act on coordinated information operations.

The public Python API (tested in ``tests/test_public_api.py``)::

    import flockwatch as fw
    ws = fw.Workspace.open("cases/hk2019", create=True)
    fw.ingest_paths(ws, ["china_082019_1_tweets_csv_hashed.csv"])
    run = fw.detect(ws)                                  # candidate networks with evidence
    fw.expand(ws, seeds=["1234", "5678"])                # seeds → ranked amplifiers
    fw.check_ad_eligibility(registry, "@XHNews", policy="twitter-2019-08-ads")

Names are imported on first use (PEP 562), so ``import flockwatch`` and the CLI start fast: the analytic stack
(igraph, scipy) loads only when a name that needs it is touched.
"""

from __future__ import annotations

import importlib
from typing import Any

from flockwatch.errors import (
    ExternalError as ExternalError,
)
from flockwatch.errors import (
    FlockwatchError as FlockwatchError,
)
from flockwatch.errors import (
    InputFileError as InputFileError,
)
from flockwatch.errors import (
    UnknownNameError as UnknownNameError,
)
from flockwatch.errors import (
    UserError as UserError,
)
from flockwatch.errors import (
    ValidationError as ValidationError,
)
from flockwatch.errors import (
    WorkspaceError as WorkspaceError,
)

__version__ = "0.1.0"

#: public name → "module:attribute"
_LAZY: dict[str, str] = {
    # workspace and ingest
    "Workspace": "flockwatch.workspace:Workspace",
    "ingest_paths": "flockwatch.ingest:ingest_paths",
    "FileSummary": "flockwatch.ingest:FileSummary",
    "READERS": "flockwatch.ingest.registry:READERS",
    # simulator
    "simulate": "flockwatch.simulate:simulate",
    "SimulationResult": "flockwatch.simulate:SimulationResult",
    "PRESETS": "flockwatch.simulate:PRESETS",
    # signals, narratives, report
    "compute_signals": "flockwatch.signals:compute_signals",
    "SIGNAL_FAMILIES": "flockwatch.signals:SIGNAL_FAMILIES",
    "working_hours_fingerprint": "flockwatch.signals:working_hours_fingerprint",
    "fingerprints_by_account": "flockwatch.signals:fingerprints_by_account",
    "WorkingHoursFingerprint": "flockwatch.signals:WorkingHoursFingerprint",
    "summarise_narratives": "flockwatch.narratives:summarise_narratives",
    "NarrativeSummary": "flockwatch.narratives:NarrativeSummary",
    "build_report": "flockwatch.report:build_report",
    "write_report": "flockwatch.report:write_report",
    # expansion, new-account scoring, attribution
    "expand": "flockwatch.expand:expand",
    "Expansion": "flockwatch.expand:Expansion",
    "ExpansionParams": "flockwatch.expand:ExpansionParams",
    "resolve_seeds": "flockwatch.expand:resolve_seeds",
    "SeedSet": "flockwatch.expand:SeedSet",
    "Watcher": "flockwatch.expand.watch:Watcher",
    "Flag": "flockwatch.expand.watch:Flag",
    "AccountPriors": "flockwatch.expand:AccountPriors",
    "PriorParams": "flockwatch.expand:PriorParams",
    "attribute": "flockwatch.attribute:attribute",
    "Attribution": "flockwatch.attribute:Attribution",
    "Claim": "flockwatch.attribute:Claim",
    # state-media policy
    "Registry": "flockwatch.policy:Registry",
    "import_registry": "flockwatch.policy:import_registry",
    "decide_policy": "flockwatch.policy:decide",
    "check_ad_eligibility": "flockwatch.policy:check_ad_eligibility",
    "AdCheck": "flockwatch.policy:AdCheck",
    "Determination": "flockwatch.policy:Determination",
    "policy_history": "flockwatch.policy:history",
    "export_labels": "flockwatch.policy:export_labels",
    "file_appeal": "flockwatch.policy:file_appeal",
    "review_appeal": "flockwatch.policy:review_appeal",
    # detection, networks, evaluation
    "detect": "flockwatch.detect:detect",
    "DetectionRun": "flockwatch.detect:DetectionRun",
    "DETECTORS": "flockwatch.detect:DETECTORS",
    "Detector": "flockwatch.detect:Detector",
    "cnt_co_retweet": "flockwatch.detect:cnt_co_retweet",
    "build_networks": "flockwatch.networks:build_networks",
    "CandidateNetwork": "flockwatch.networks:CandidateNetwork",
    "load_networks": "flockwatch.networks:load_networks",
    "explain_pair": "flockwatch.networks:explain_pair",
    "explain_member": "flockwatch.networks:explain_member",
    "export_members": "flockwatch.networks:export_members",
    "export_graph": "flockwatch.networks:export_graph",
    "build_operations": "flockwatch.networks:build_operations",
    "load_operations": "flockwatch.networks:load_operations",
    "Operation": "flockwatch.networks:Operation",
    "OperationLink": "flockwatch.networks:OperationLink",
    "export_operations": "flockwatch.networks:export_operations",
    "evaluate": "flockwatch.evaluate:evaluate",
    "compare_with_categories": "flockwatch.evaluate:compare_with_categories",
}

__all__ = sorted(
    [
        "ExternalError",
        "FlockwatchError",
        "InputFileError",
        "UnknownNameError",
        "UserError",
        "ValidationError",
        "WorkspaceError",
        "__version__",
        *_LAZY,
    ]
)


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'flockwatch' has no attribute {name!r}")
    module, attr = target.split(":")
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
