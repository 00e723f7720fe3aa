"""``login_events``: platform-internal login observations (what a platform's own logs hold, no public archive does).

Consumes a CSV with header ``userid, login_time, ip_prefix, asn, country, via_vpn`` (``login_time`` ISO-8601
UTC, ``asn`` an integer, ``via_vpn`` true/false). Produces ``infrastructure`` rows (``seen_at`` = ``login_time``).
"""

from __future__ import annotations

from flockwatch.core.sql import sql_literal
from flockwatch.ingest.base import ReadContext, ReadResult, Sniff
from flockwatch.ingest.csvscan import drop_scan, parses, required, scan_csv, split_valid, sql_time, typed_ref


class LoginEventsReader:
    name = "login_events"
    description = "Platform login observations: userid,login_time,ip_prefix,asn,country,via_vpn"
    default_platform = "twitter"

    def sniff(self, sniff: Sniff) -> bool:
        return {"userid", "login_time", "ip_prefix"} <= set(sniff.header_fields)

    def read(self, ctx: ReadContext) -> ReadResult:
        scan = scan_csv(ctx, "__logins")
        try:
            if scan.empty:
                return ReadResult(0, ["empty file"])
            scan.require(ctx.source_file, "userid", "login_time")
            c = scan.col
            asn = f"TRY_CAST(regexp_replace({c('asn')}, '^(?i:as)', '') AS BIGINT)"
            vpn = f"TRY_CAST({c('via_vpn')} AS BOOLEAN)"
            typed = {
                "account_id": c("userid"),
                "seen_at": sql_time(c("login_time")),
                "ip_prefix": c("ip_prefix"),
                "asn": asn,
                "country": c("country"),
                "via_vpn": vpn,
            }
            checks = [
                required(c("userid"), "userid"),
                required(c("login_time"), "login_time"),
                parses(c("login_time"), typed_ref("seen_at"), "login_time", "a time"),
                parses(c("asn"), typed_ref("asn"), "asn", "a whole number"),
                parses(c("via_vpn"), typed_ref("via_vpn"), "via_vpn", "true/false"),
            ]
            valid = split_valid(ctx, scan, typed, checks)
            ctx.insert(
                "infrastructure",
                f"""SELECT {sql_literal(ctx.platform)} AS platform, account_id, seen_at, ip_prefix, asn, country,
                           via_vpn
                    FROM {valid}""",
            )
            return ReadResult(scan.rows_read)
        finally:
            drop_scan(ctx, "__logins")


READER = LoginEventsReader()
