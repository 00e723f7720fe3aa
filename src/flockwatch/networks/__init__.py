"""Networks: fuse detector edges, cluster (Leiden/CPM), score, explain, export.

Public names: :func:`build_networks`, :class:`CandidateNetwork`, :func:`load_networks`, :func:`explain_pair`,
:func:`explain_member`, :func:`export_edges`, :func:`export_members`, :func:`export_networks`, :func:`export_graph`; the coarser level:
:func:`build_operations`, :func:`load_operations`, :class:`Operation`, :class:`OperationLink`,
:func:`export_operations`.
"""

from flockwatch.networks.build import CandidateNetwork, build_networks, explain_member, explain_pair, load_networks
from flockwatch.networks.export import export_edges, export_graph, export_members, export_networks, export_operations
from flockwatch.networks.operations import Operation, OperationLink, build_operations, load_operations

__all__ = [
    "CandidateNetwork",
    "Operation",
    "OperationLink",
    "build_networks",
    "build_operations",
    "explain_member",
    "explain_pair",
    "export_edges",
    "export_graph",
    "export_members",
    "export_networks",
    "export_operations",
    "load_networks",
    "load_operations",
]
