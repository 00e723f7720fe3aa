"""Platform-internal login events (``logins.csv``): where accounts connect from.

Consumes the :class:`Population`, per-account action counts and the operations' infra settings; produces
``logins.csv`` with header ``userid,login_time,ip_prefix,asn,country,via_vpn``. Organic accounts connect from a home
broadband and a mobile network of their country (many ASNs per country), sometimes while travelling, rarely through
a VPN. Members of an operation with the ``infra`` tactic connect through a handful of VPN exits, with a share of
logins straight from a few mainland prefixes (as in the 2019 case, where the VPN sometimes slipped).

The ASNs are real, publicly registered networks of each country; the /24 prefixes are synthetic (derived from the
ASN), so nothing here points at a real subscriber.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from flockwatch.simulate.population import DAY_S, Population
from flockwatch.simulate.writer import open_csv

LOGIN_COLUMNS = ("userid", "login_time", "ip_prefix", "asn", "country", "via_vpn")

#: Country → consumer/mobile ASNs.
ISPS: dict[str, tuple[int, ...]] = {
    "US": (7922, 7018, 701, 20115, 21928, 22773),
    "CA": (812, 577, 852, 5769),
    "GB": (2856, 5089, 5607, 12576, 5378),
    "IE": (5466, 6830, 15502),
    "SE": (3301, 8473, 1257, 29518, 2119),
    "DE": (3320, 3209, 6805, 8881),
    "HK": (4760, 9269, 10103, 17924, 9304),
    "TW": (3462, 9924, 4780, 24158),
    "SG": (9506, 55430, 4773),
    "MY": (4788, 9534, 4818),
    "JP": (2516, 4713, 17676),
    "KR": (4766, 9318, 3786),
    "CN": (4134, 4837, 9808),
}
#: Hosting networks whose addresses serve as VPN exits: (asn, exit country).
VPN_EXITS = (
    (16509, "US"),
    (14061, "SG"),
    (20473, "JP"),
    (63949, "SG"),
    (9009, "GB"),
    (24940, "DE"),
    (14061, "US"),
    (20473, "US"),
    (16276, "FR"),
    (51167, "DE"),
)
_FIRST_OCTETS = np.array([o for o in range(1, 224) if o not in (10, 100, 127, 169, 172, 192, 198, 203)])
_COUNTRIES = tuple(ISPS)
_ASN_TABLE = np.array([a for c in _COUNTRIES for a in ISPS[c]], np.int64)
_ASN_COUNTRY = np.array([c for c in _COUNTRIES for _ in ISPS[c]], dtype=object)
_ASN_OFF = np.cumsum([0] + [len(ISPS[c]) for c in _COUNTRIES])
_COUNTRY_INDEX = {c: i for i, c in enumerate(_COUNTRIES)}


def _prefixes(asn: np.ndarray, third: np.ndarray) -> pa.Array:
    """Synthetic /24 prefix of an ASN: the ASN fixes the first two octets, ``third`` the third."""
    a = _FIRST_OCTETS[(asn * 37) % _FIRST_OCTETS.size]
    b = (asn * 13 + third // 256) % 256
    c = third % 256
    s = lambda x: pc.cast(pa.array(x.astype(np.int64)), pa.string())  # noqa: E731
    return pc.binary_join_element_wise(s(a), ".", s(b), ".", s(c), ".0/24", "")


def _isp_for(country_idx: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    lens = np.diff(_ASN_OFF)[country_idx]
    return _ASN_OFF[country_idx] + (rng.random(country_idx.size) * lens).astype(np.int64)


def write_logins(
    path: Path,
    pop: Population,
    actions_per_account: np.ndarray,
    start_s: int,
    end_s: int,
    rng: np.random.Generator,
    seed: int = 0,
    chunk_accounts: int = 500_000,
) -> int:
    """Write ``logins.csv``; returns the number of rows."""
    country_idx = np.array([_COUNTRY_INDEX.get(c, _COUNTRY_INDEX["US"]) for c in pop.country], np.int64)
    op_of = np.full(pop.n, -1, np.int64)
    for i, m in enumerate(pop.ops):
        op_of[m.core_start : m.end] = i
    written = 0
    with open_csv(path, LOGIN_COLUMNS) as sink:
        for lo in range(0, pop.n, chunk_accounts):
            hi = min(pop.n, lo + chunk_accounts)
            table = _chunk(pop, lo, hi, country_idx, op_of, actions_per_account, start_s, end_s, rng, seed)
            pacsv.write_csv(table, sink, write_options=pacsv.WriteOptions(include_header=False))
            written += table.num_rows
    return written


def _chunk(pop, lo, hi, country_idx, op_of, actions, start_s, end_s, rng, seed) -> pa.Table:
    idx = np.arange(lo, hi)
    n_login = 1 + rng.poisson(np.minimum(actions[lo:hi] / 8.0, 25.0))
    acc = np.repeat(idx, n_login)
    m = acc.size
    lo_s = np.maximum(pop.created_s[acc], start_s)
    t = lo_s + (rng.random(m) * np.maximum(end_s - lo_s, 60)).astype(np.int64)
    # Organic: home broadband (fixed prefix per account) or mobile (varying prefix), some travel, a little VPN.
    home_isp = _isp_for(country_idx[idx], rng)
    mobile_isp = _isp_for(country_idx[idx], rng)
    home_third = rng.integers(0, 65536, idx.size)
    r = rng.random(m)
    local = acc - lo
    isp = np.where(r < 0.6, home_isp[local], mobile_isp[local])
    third = np.where(r < 0.6, home_third[local], rng.integers(0, 65536, m))
    travel = (r >= 0.95) & (r < 0.98)
    isp[travel] = _isp_for(rng.integers(0, len(_COUNTRIES), int(travel.sum())), rng)
    asn = _ASN_TABLE[isp]
    country = _ASN_COUNTRY[isp].copy()
    vpn = r >= 0.98
    exits = rng.integers(0, len(VPN_EXITS), int(vpn.sum()))
    asn[vpn] = np.array([VPN_EXITS[e][0] for e in exits], np.int64)
    country[vpn] = np.array([VPN_EXITS[e][1] for e in exits], dtype=object)
    third[vpn] = rng.integers(0, 64, int(vpn.sum()))
    via_vpn = vpn.copy()

    for i, mem in enumerate(pop.ops):
        sel = np.flatnonzero(op_of[acc] == i)
        if sel.size == 0 or not mem.config.tactics.infra.enabled:
            continue
        cfg = mem.config.tactics.infra
        # The operation's own exits: a few hosting /24s, the same for every member; times in its working day.
        op_rng = np.random.default_rng([seed, zlib.crc32(mem.config.operation_id.encode())])
        exit_ids = op_rng.choice(len(VPN_EXITS), size=min(cfg.n_vpn_exits, len(VPN_EXITS)), replace=False)
        exit_third = op_rng.integers(0, 64, exit_ids.size)
        mainland_asn = np.array(ISPS["CN"])[op_rng.integers(0, len(ISPS["CN"]), cfg.n_mainland_prefixes)]
        mainland_third = op_rng.integers(0, 65536, cfg.n_mainland_prefixes)
        mainland = rng.random(sel.size) < cfg.mainland_frac
        k = rng.integers(0, exit_ids.size, sel.size)
        j = rng.integers(0, cfg.n_mainland_prefixes, sel.size)
        asn[sel] = np.where(mainland, mainland_asn[j], np.array([VPN_EXITS[e][0] for e in exit_ids])[k])
        country[sel] = np.where(mainland, "CN", np.array([VPN_EXITS[e][1] for e in exit_ids], dtype=object)[k])
        third[sel] = np.where(mainland, mainland_third[j], exit_third[k])
        via_vpn[sel] = ~mainland
        day = (t[sel] + mem.config.zone_offset_h * 3600) // DAY_S * DAY_S - mem.config.zone_offset_h * 3600
        t[sel] = np.maximum(day + int(8.5 * 3600) + rng.integers(0, 9 * 3600, sel.size), pop.created_s[acc[sel]])
    order = np.lexsort((t, acc))
    return pa.table(
        {
            "userid": pop.userid_str.take(pa.array(acc[order])),
            "login_time": pc.strftime(pa.array(t[order].astype("datetime64[s]")), format="%Y-%m-%dT%H:%M:%S"),
            "ip_prefix": _prefixes(asn[order], third[order]),
            "asn": pa.array(asn[order]),
            "country": pa.array(country[order], pa.string()),
            "via_vpn": pa.array(via_vpn[order]),
        }
    )
