"""doctor: check what mail needs to reach the inbox, and say what is the operator's to fix."""

from __future__ import annotations

import argparse

from publisher import config as config_module
from publisher.config import Config
from publisher.errors import ConfigError


def _server(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":") if value.count(":") == 1 else (value, "", "53")
    if not port.isdigit():
        raise argparse.ArgumentTypeError(f"not HOST[:PORT]: {value!r}")
    return host, int(port)


def _doctor(args: argparse.Namespace, _: Config) -> int:
    import dns.resolver

    from publisher.run.doctor import examine
    from publisher.run.findings import Finding, Level

    try:
        config = config_module.load(args.config)
    except ConfigError as error:
        print(Finding(Level.FAIL, "config", str(error)).line())
        return 1
    if args.dns:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers, resolver.port = [args.dns[0]], args.dns[1]
    else:
        resolver = dns.resolver.Resolver()
    resolver.lifetime = 5.0
    findings = examine(config, resolver)
    for finding in findings:
        print(finding.line())
    failed = sum(f.level is Level.FAIL for f in findings)
    warned = sum(f.level is Level.WARN for f in findings)
    print(f"{failed} to fix, {warned} to look at")
    return 1 if failed else 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    doctor = commands.add_parser(
        "doctor",
        help="check what mail needs to reach the inbox: config, store, keys, relay, SPF, "
        "DKIM, DMARC, PTR",
        description="Check and explain, one line each (OK, WARN, FAIL): the configuration, "
        "the store and its schema, the modes of the files holding secrets, an https base_url "
        "(one-click unsubscribe), the relay (EHLO, STARTTLS), and the From domain's SPF, "
        "DKIM (for dkim.selector) and DMARC records and the relay's PTR, as Gmail and Yahoo "
        "require of bulk senders. Changes nothing. Exit status 0 when nothing fails, else 1.",
    )
    doctor.add_argument(
        "--dns",
        type=_server,
        metavar="HOST[:PORT]",
        help="ask this DNS server (e.g. your zone's own, before a change has spread) instead "
        "of the system's",
    )
    doctor.set_defaults(handler=_doctor, needs_config=False)
