"""Networks: fuse detector edges, cluster (Leiden/CPM), score, explain, export.

Public names: :func:`build_networks`, :class:`CandidateNetwork`, :func:`load_networks`, :func:`explain_pair`,
:func:`explain_member`, :func:`export_members`, :func:`export_networks`, :func:`export_graph`.
"""

from flockwatch.networks.build import CandidateNetwork, build_networks, explain_member, explain_pair, load_networks
from flockwatch.networks.export import export_graph, export_members, export_networks

__all__ = ["CandidateNetwork", "build_networks", "explain_member", "explain_pair", "export_graph", "export_members",
           "export_networks", "load_networks"]
