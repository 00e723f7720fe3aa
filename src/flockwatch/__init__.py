"""flockwatch: find, attribute and act on coordinated information operations.

The public Python API (tested in ``tests/test_public_api.py``)::

    import flockwatch as fw
    ws = fw.Workspace.open("cases/hk2019", create=True)
    fw.ingest_paths(ws, ["china_082019_1_tweets_csv_hashed.csv"])
"""

from flockwatch.errors import (
    ExternalError,
    FlockwatchError,
    InputFileError,
    UnknownNameError,
    UserError,
    ValidationError,
    WorkspaceError,
)
from flockwatch.ingest import FileSummary, ingest_paths
from flockwatch.workspace import Workspace

__version__ = "0.1.0"

__all__ = [
    "ExternalError",
    "FileSummary",
    "FlockwatchError",
    "InputFileError",
    "UnknownNameError",
    "UserError",
    "ValidationError",
    "Workspace",
    "WorkspaceError",
    "__version__",
    "ingest_paths",
]
