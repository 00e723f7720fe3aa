"""Reports: one self-contained HTML page per candidate network (tables and inline SVG charts, no external requests).

Consumes an Engine, an account list (or a network id resolved by ``network.py``) and optional attribution and edges;
produces HTML (``build.py``, template in ``templates/report.html.j2``, charts in ``charts.py``).
"""

from flockwatch.report.build import build_report, collect_report_data, write_report
from flockwatch.report.network import read_account_file, resolve_network, stored_network_edges

__all__ = [
    "build_report",
    "collect_report_data",
    "read_account_file",
    "resolve_network",
    "stored_network_edges",
    "write_report",
]
