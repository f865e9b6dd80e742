"""``python -m portainer reconcile|trust``: converge Portainer onto the fleet's Terraform
outputs, and pin the certificate of the server it talks to.

Credentials come only from the environment (never argv): ``PORTAINER_API_KEY``, or
``PORTAINER_USERNAME`` (default: the desired state's admin_username) + ``PORTAINER_PASSWORD``;
``PORTAINER_SETUP_TOKEN`` for a first admin on Portainer >= 2.43. ``PORTAINER_URL`` overrides
the server URL of the outputs. How the server is trusted: ``portainer.trust``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import NoReturn, TextIO

import urllib3

from portainer import trust
from portainer.certificates import CertificateError, parse_fingerprint
from portainer.client import Credentials, PortainerClient
from portainer.desired import DesiredState, DesiredStateError, load_from_env, load_outputs_file
from portainer.pins import PinsFileError
from portainer.reconcile import ReconcileOptions, Reconciler
from portainer.report import EXIT_ERROR, exit_code, render_human, render_json
from portainer.secrets import Redactor
from portainer.session import ClientSettings
from portainer.waits import WaitSettings

_DESCRIPTION = """\
Converge Portainer onto the desired state in the Terraform output `portainer`: wait for the
server, create the first admin if needed, then for every agent: ensure its environment (once
Portainer can reach the agent), create/update/start its stacks, and wait until they are up:
their containers running (healthy), read through Portainer's Docker proxy, and their HTTP
probes answered, through the gateway as a user would. Only the Portainer API and the probes'
URLs are contacted from here; Portainer itself talks to the agents. Stacks without
PHOENIX_OWNER=<owner> are never touched (reported as conflicts).
"""

_EPILOG = """\
environment:
  PORTAINER_API_KEY                      API key (preferred)
  PORTAINER_USERNAME, PORTAINER_PASSWORD login (username defaults to the outputs' admin_username)
  PORTAINER_SETUP_TOKEN                  setup token for creating the first admin
  PORTAINER_URL                          overrides the server URL from the outputs
  PORTAINER_CA_BUNDLE, PORTAINER_INSECURE=1   same as --ca-bundle / --insecure
  PORTAINER_PINS_FILE                    pinned certificates (default
                                         ~/.config/phoenix/portainer-pins.json)
  PHOENIX_SSH_COMMAND                    replaces `ssh` for reading the server's certificate

server TLS: without --ca-bundle or --insecure, the server must present the certificate pinned
for its URL. The first run pins it: read from the Portainer VM over SSH to its Proxmox node
(qm guest exec) and kept in the pins file. `python -m portainer trust` shows or renews the pin.

exit codes: 0 converged and up (no changes with --detailed-exitcode), 2 changes present or
made (--detailed-exitcode only), 1 anything failed, conflicts or is not up, or a usage error.
"""

_TRUST_DESCRIPTION = """\
Pin the Portainer server's TLS certificate for its URL, or show the pin. With nothing pinned,
the certificate is read from the Portainer VM over SSH to its Proxmox node (the login
Terraform uses for snippets, host key checked against known_hosts, then `qm guest exec`) and
its SHA-256 is kept in the pins file. The reconcile does this by itself on its first run;
use this command to see the pin, or to renew it on purpose after a rebuild (--reset).
"""

_TRUST_EPILOG = """\
environment: PORTAINER_URL, PORTAINER_PINS_FILE, PHOENIX_SSH_COMMAND (see reconcile --help).
exit codes: 0 pinned and (if it answers) the server presents the pin; 1 otherwise.
"""


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions as written; every option with a value shows its default."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if action.default in (None, False, argparse.SUPPRESS) or "%(default)" in text:
            return text
        return f"{text} (default: %(default)s)" if text else "default: %(default)s"


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 1: with --detailed-exitcode, 2 means "changes"."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (public for docs and tests)."""
    parser = _Parser(prog="python -m portainer", description="Phoenix Portainer client.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    rec = commands.add_parser(
        "reconcile",
        help="converge Portainer onto the desired state",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=_HelpFormatter,
    )
    _add_source(rec)
    rec.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    rec.add_argument("--json", action="store_true", help="print a JSON report on stdout")
    rec.add_argument(
        "--prune", action="store_true", help="delete owned stacks that left the config"
    )
    rec.add_argument(
        "--verify-files",
        action="store_true",
        help="fetch every owned stack's compose file even when its hash marker matches "
        "(detects edits made outside Phoenix; one extra request per stack)",
    )
    rec.add_argument(
        "--no-wait-healthy",
        action="store_true",
        help="do not wait for the stacks to be up (running, healthy, probes answered) after "
        "the writes",
    )
    rec.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 2 when there are (dry run) or were changes, 0 when there were none",
    )
    tls = rec.add_mutually_exclusive_group()
    tls.add_argument(
        "--ca-bundle",
        metavar="PEM",
        default=None,
        help="CA bundle that signs the Portainer server certificate (env PORTAINER_CA_BUNDLE)",
    )
    tls.add_argument(
        "--insecure",
        action="store_true",
        default=None,
        help="do not verify the Portainer server certificate at all: a first experiment only "
        "(env PORTAINER_INSECURE=1)",
    )
    timing = rec.add_argument_group("timeouts (seconds)")
    defaults_w, defaults_c = WaitSettings(), ClientSettings()
    timing.add_argument(
        "--server-timeout",
        type=float,
        metavar="S",
        default=defaults_w.server_timeout_s,
        help="wait this long for the Portainer API to answer (VM booting)",
    )
    timing.add_argument(
        "--agent-timeout",
        type=float,
        metavar="S",
        default=defaults_w.agent_timeout_s,
        help="wait this long for Portainer to reach a new agent before creating its environment",
    )
    timing.add_argument(
        "--deploy-timeout",
        type=float,
        metavar="S",
        default=defaults_w.deploy_timeout_s,
        help="wait this long for a stack to leave 'deploying'",
    )
    timing.add_argument(
        "--health-timeout",
        type=float,
        metavar="S",
        default=defaults_w.health_timeout_s,
        help="wait this long for the stacks to be up: containers running (healthy), probes "
        "answered",
    )
    timing.add_argument(
        "--poll-interval",
        type=float,
        metavar="S",
        default=defaults_w.poll_interval_s,
        help="between polls",
    )
    timing.add_argument(
        "--connect-timeout",
        type=float,
        metavar="S",
        default=defaults_c.connect_timeout_s,
        help="TCP and TLS connect, per request",
    )
    timing.add_argument(
        "--request-timeout",
        type=float,
        metavar="S",
        default=defaults_c.read_timeout_s,
        help="waiting for an answer, per request",
    )
    timing.add_argument(
        "--retries",
        type=int,
        metavar="N",
        default=defaults_c.retries,
        help="retries of idempotent requests",
    )
    timing.add_argument(
        "--retry-backoff",
        type=float,
        metavar="S",
        default=defaults_c.backoff_s,
        help="first pause between retries; doubles each time",
    )
    rec.add_argument(
        "--workers",
        type=int,
        metavar="N",
        default=ReconcileOptions().workers,
        help="agents in parallel",
    )

    pin = commands.add_parser(
        "trust",
        help="pin the Portainer server's certificate, or show the pin",
        description=_TRUST_DESCRIPTION,
        epilog=_TRUST_EPILOG,
        formatter_class=_HelpFormatter,
    )
    _add_source(pin)
    how = pin.add_mutually_exclusive_group()
    how.add_argument(
        "--reset",
        action="store_true",
        help="read the certificate from the VM again and pin it (after rebuilding the VM or "
        "replacing its certificate)",
    )
    how.add_argument(
        "--fingerprint",
        metavar="SHA256",
        help="pin this SHA-256 fingerprint, checked by you on the server itself",
    )
    defaults_t = trust.TrustSettings()
    pin.add_argument(
        "--timeout",
        type=float,
        default=defaults_t.timeout_s,
        help="seconds to wait for the VM's certificate (VM booting)",
    )
    pin.add_argument(
        "--poll-interval", type=float, default=defaults_t.interval_s, help="between attempts"
    )
    pin.add_argument(
        "--connect-timeout",
        type=float,
        default=defaults_t.ssh_timeout_s,
        help="SSH connection to the Proxmox node",
    )
    return parser


def _add_source(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--outputs-file",
        metavar="FILE",
        help="cdktf --outputs-file or `terraform output -json` file; '-' reads standard input",
    )
    source.add_argument(
        "--desired-state-env",
        metavar="VAR",
        help="environment variable holding base64gzip(jsonencode(desired state)); Linux caps "
        "one variable at 128 KiB, so only for small states",
    )
    parser.add_argument(
        "--desired-state-sha256",
        metavar="HEX",
        help="with --outputs-file: fail unless the bytes read have this SHA-256 (what the "
        "post-apply step passes)",
    )


def _load(args: argparse.Namespace, environ: Mapping[str, str]) -> DesiredState:
    if args.outputs_file is not None:
        return load_outputs_file(args.outputs_file, args.desired_state_sha256)
    if args.desired_state_sha256 is not None:
        raise DesiredStateError("--desired-state-sha256 goes with --outputs-file")
    return load_from_env(args.desired_state_env, dict(environ))


def main(
    argv: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the CLI; returns the exit code."""
    env = os.environ if environ is None else environ
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    args = build_parser().parse_args(argv)
    if args.command == "trust":
        return _trust(args, env, out, err)
    redactor = Redactor()

    def progress(line: str) -> None:
        print(redactor(line), file=err, flush=True)

    try:
        desired = _load(args, env)
        trust_settings = trust.settings_from(args.insecure, args.ca_bundle, env)
    except (DesiredStateError, trust.TrustError) as exc:
        progress(f"error: {exc}")
        return EXIT_ERROR
    credentials = Credentials.from_env(env, default_username=desired.server.admin_username)
    for value in credentials.secret_values():
        redactor.add(value)
    for name in desired.secret_sources():
        redactor.add(env.get(name))
    if not credentials.usable:
        progress(
            "error: no Portainer credentials: set PORTAINER_API_KEY, or PORTAINER_PASSWORD "
            "(and PORTAINER_USERNAME) in the environment"
        )
        return EXIT_ERROR

    url = env.get("PORTAINER_URL") or desired.server.url
    if trust_settings.insecure:
        progress(trust.insecure_warning(url))
        # Said once above: don't repeat urllib3's warning on every request.
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    try:
        server_trust = trust.server_trust(
            url,
            desired,
            replace(
                trust_settings,
                timeout_s=args.server_timeout,
                interval_s=args.poll_interval,
                ssh_timeout_s=args.connect_timeout,
            ),
            env,
            progress,
        )
    except (trust.TrustError, PinsFileError) as exc:
        progress(f"error: {exc}")
        return EXIT_ERROR

    settings = ClientSettings(
        verify=server_trust.verify,
        pinned_sha256=server_trust.pinned_sha256,
        untrusted_help=server_trust.untrusted_help,
        connect_timeout_s=args.connect_timeout,
        read_timeout_s=args.request_timeout,
        retries=args.retries,
        backoff_s=args.retry_backoff,
        pool_size=max(4, args.workers * 2),
    )
    waits = WaitSettings(
        server_timeout_s=args.server_timeout,
        agent_timeout_s=args.agent_timeout,
        deploy_timeout_s=args.deploy_timeout,
        health_timeout_s=args.health_timeout,
        poll_interval_s=args.poll_interval,
        conflict_retry_s=args.poll_interval,
    )
    options = ReconcileOptions(
        dry_run=args.dry_run,
        prune=args.prune,
        verify_files=args.verify_files,
        wait_healthy=not args.no_wait_healthy,
        workers=max(1, args.workers),
        waits=waits,
    )
    client = PortainerClient(url, credentials, settings, redactor)
    try:
        plan = Reconciler(client, desired, options, env, progress).run()
    except KeyboardInterrupt:
        progress("interrupted")
        return 130
    except Exception as exc:  # never a traceback: it could quote data holding secrets
        progress(f"error: internal error ({type(exc).__name__}); please report it")
        return EXIT_ERROR
    finally:
        client.close()
    if args.json:
        print(redactor(json.dumps(render_json(plan, args.detailed_exitcode), indent=2)), file=out)
    else:
        print(redactor(render_human(plan)), file=out)
    return exit_code(plan, args.detailed_exitcode)


def _trust(args: argparse.Namespace, env: Mapping[str, str], out: TextIO, err: TextIO) -> int:
    """``python -m portainer trust``."""

    def progress(line: str) -> None:
        print(line, file=err, flush=True)

    def say(line: str) -> None:
        print(line, file=out, flush=True)

    settings = trust.TrustSettings(
        timeout_s=args.timeout, interval_s=args.poll_interval, ssh_timeout_s=args.connect_timeout
    )
    try:
        desired = _load(args, env)
        url = env.get("PORTAINER_URL") or desired.server.url
        if args.fingerprint:
            trust.pin_fingerprint(url, parse_fingerprint(args.fingerprint), env, say)
        elif args.reset:
            trust.reset(url, desired, settings, env, progress, say)
        elif not trust.show_or_pin(url, desired, settings, env, progress, say):
            return EXIT_ERROR
    except (DesiredStateError, trust.TrustError, PinsFileError, CertificateError) as exc:
        progress(f"error: {exc}")
        return EXIT_ERROR
    return 0
