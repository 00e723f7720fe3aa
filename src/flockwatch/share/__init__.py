"""Tips to and from peer platforms: STIX 2.1 bundles with DISARM techniques, TAXII 2.1, tip intake, private matching.

Consumes a workspace (candidate networks, operations, cases) and peers' bundles; produces bundles, TAXII pushes,
matches of a peer's indicators against local data, and private-set-intersection results.

- :mod:`~flockwatch.share.subjects`     what a tip is about (network, operation, case) → :class:`TipSubject`
- :mod:`~flockwatch.share.stix_export`  a tip as a STIX 2.1 bundle; reference checking
- :mod:`~flockwatch.share.disarm`       behaviours found → DISARM v1.6 techniques (shipped subset, CC BY-SA 4.0)
- :mod:`~flockwatch.share.tlp`          TLP markings: write 1.0, read 1.0 and 2.0, strictest wins
- :mod:`~flockwatch.share.agreement`    HMAC pseudonyms of ids and handles per sharing agreement
- :mod:`~flockwatch.share.taxii`        push/pull a bundle to/from a TAXII 2.1 collection
- :mod:`~flockwatch.share.intake`       a peer's bundle → indicators with markings → matches in local data, scored
- :mod:`~flockwatch.share.psi`          private set intersection between two platforms (openmined-psi)
"""
