"""``python -m portainer reconcile``: converge Portainer onto the fleet's Terraform outputs.

Credentials come only from the environment (never argv): ``PORTAINER_API_KEY``, or
``PORTAINER_USERNAME`` (default: the desired state's admin_username) + ``PORTAINER_PASSWORD``;
``PORTAINER_SETUP_TOKEN`` for a first admin on Portainer >= 2.43. ``PORTAINER_URL`` overrides
the server URL of the outputs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NoReturn, TextIO

import urllib3

from portainer.client import Credentials, PortainerClient
from portainer.desired import DesiredState, DesiredStateError, load_from_env, load_outputs_file
from portainer.reconcile import ReconcileOptions, Reconciler
from portainer.report import EXIT_ERROR, exit_code, render_human, render_json
from portainer.secrets import Redactor
from portainer.session import ClientSettings
from portainer.waits import WaitSettings

_DESCRIPTION = """\
Converge Portainer onto the desired state in the Terraform output `portainer`: wait for the
server, create the first admin if needed, then for every agent: wait for it, ensure its
environment, create/update/start its stacks. Stacks without PHOENIX_OWNER=<owner> are never
touched (reported as conflicts).
"""

_EPILOG = """\
environment:
  PORTAINER_API_KEY                      API key (preferred)
  PORTAINER_USERNAME, PORTAINER_PASSWORD login (username defaults to the outputs' admin_username)
  PORTAINER_SETUP_TOKEN                  setup token for creating the first admin
  PORTAINER_URL                          overrides the server URL from the outputs
  PORTAINER_CA_BUNDLE, PORTAINER_INSECURE=1   same as --ca-bundle / --insecure

exit codes: 0 converged (no changes with --detailed-exitcode), 2 changes present or made
(--detailed-exitcode only), 1 anything failed or conflicts, or a usage error.
"""


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
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = rec.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--outputs-file",
        metavar="FILE",
        help="cdktf --outputs-file or `terraform output -json` file; '-' reads standard input",
    )
    source.add_argument(
        "--desired-state-env",
        metavar="VAR",
        help="environment variable holding base64gzip(jsonencode(desired state))",
    )
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
        help="do not verify the Portainer server certificate (env PORTAINER_INSECURE=1)",
    )
    timing = rec.add_argument_group("timeouts (seconds)")
    defaults_w, defaults_c = WaitSettings(), ClientSettings()
    timing.add_argument("--server-timeout", type=float, default=defaults_w.server_timeout_s)
    timing.add_argument("--agent-timeout", type=float, default=defaults_w.agent_timeout_s)
    timing.add_argument("--deploy-timeout", type=float, default=defaults_w.deploy_timeout_s)
    timing.add_argument("--poll-interval", type=float, default=defaults_w.poll_interval_s)
    timing.add_argument("--connect-timeout", type=float, default=defaults_c.connect_timeout_s)
    timing.add_argument("--request-timeout", type=float, default=defaults_c.read_timeout_s)
    timing.add_argument(
        "--retries", type=int, default=defaults_c.retries, help="retries of idempotent requests"
    )
    timing.add_argument("--retry-backoff", type=float, default=defaults_c.backoff_s)
    rec.add_argument(
        "--workers", type=int, default=ReconcileOptions().workers, help="agents in parallel"
    )
    return parser


def _verify(args: argparse.Namespace, environ: Mapping[str, str]) -> bool | str:
    insecure = args.insecure
    if insecure is None:
        insecure = environ.get("PORTAINER_INSECURE", "").lower() in ("1", "true", "yes")
    ca_bundle = args.ca_bundle or environ.get("PORTAINER_CA_BUNDLE") or None
    if insecure and args.ca_bundle:
        raise DesiredStateError("--insecure and --ca-bundle exclude each other")
    if insecure:
        # Asked for explicitly: don't repeat urllib3's warning on every request.
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        return False
    if ca_bundle:
        if not Path(ca_bundle).is_file():
            raise DesiredStateError(f"CA bundle {ca_bundle} does not exist")
        return ca_bundle
    return True


def _load(args: argparse.Namespace, environ: Mapping[str, str]) -> DesiredState:
    if args.outputs_file is not None:
        return load_outputs_file(args.outputs_file)
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
    redactor = Redactor()

    def progress(line: str) -> None:
        print(redactor(line), file=err, flush=True)

    try:
        desired = _load(args, env)
        verify = _verify(args, env)
    except DesiredStateError as exc:
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

    settings = ClientSettings(
        verify=verify,
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
        poll_interval_s=args.poll_interval,
        conflict_retry_s=args.poll_interval,
    )
    options = ReconcileOptions(
        dry_run=args.dry_run,
        prune=args.prune,
        verify_files=args.verify_files,
        workers=max(1, args.workers),
        waits=waits,
    )
    url = env.get("PORTAINER_URL") or desired.server.url
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
