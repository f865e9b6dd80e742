"""`python -m tests.fakes`: run the fake Portainer and fake agents by hand, on loopback only.

    .venv/bin/python -m tests.fakes --agents 2
    # prints export lines: PORTAINER_URL, PORTAINER_CA_BUNDLE, PORTAINER_API_KEY, agent URLs

Then point `python -m portainer reconcile` at it with a desired state whose agent URLs are the
printed ones. Ctrl-C stops everything and prints what the fake received.
"""

from __future__ import annotations

import argparse
import contextlib
import shlex
import signal
import threading
from collections import Counter
from collections.abc import Sequence

from tests.fakes.agent import FakeAgent
from tests.fakes.portainer import FakePortainer


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakes", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--agents", type=int, default=1, help="fake agents on 127.0.0.102, .103, ..."
    )
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    parser.add_argument(
        "--no-admin",
        action="store_true",
        help="start uninitialised (the reconcile creates the admin)",
    )
    args = parser.parse_args(argv)
    if not 0 <= args.agents <= 100:
        parser.error("--agents must be between 0 and 100")

    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.ExitStack() as stack:
        fake = stack.enter_context(FakePortainer())
        fake.set_latency(args.latency)
        print(f"export PORTAINER_URL={shlex.quote(fake.url)}")
        print(f"export PORTAINER_CA_BUNDLE={shlex.quote(fake.ca_bundle)}")
        if not args.no_admin:
            fake.seed_admin()
            print(f"export PORTAINER_API_KEY={shlex.quote(fake.add_api_key())}")
        for index in range(args.agents):
            agent = stack.enter_context(FakeAgent(host=f"127.0.0.{102 + index}"))
            print(f"# agent {index + 1}: {agent.url}")
        print("# Ctrl-C to stop", flush=True)
        stop.wait()
        counts = Counter(f"{record.method} {record.status}" for record in fake.log)
        summary = dict(sorted(counts.items()))
        print(f"# {len(fake.log)} requests, {len(fake.writes())} writes: {summary}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
