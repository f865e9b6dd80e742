"""The fake Portainer and its fake agents in a process of their own, driven over stdin/stdout.

    python -m bench.fake_server --agents 20 --latency 0.02

Why a separate process: the fake is a threaded Python server; in the client's process its
threads would compete with the client's worker threads for one GIL, and the client would look
slower (or the fake faster) than they are. Here the client only pays for real round trips.

Latency: the fake's server (werkzeug) closes the connection after every response and writes
headers and body in separate small sends; without TCP_NODELAY on its sockets, Nagle's algorithm
against the client's delayed ACK adds 10-40 ms to *every* request on top of the injected
latency. Real Portainer (Go) sets TCP_NODELAY by default, so this process sets it on every
accepted socket (`_accept_without_nagle`); each request still pays a fresh TLS handshake.

Protocol, one JSON object per line. On start it prints
`{"url", "ca_bundle", "api_key", "agents": [{"name", "url"}]}`. Then it answers each command
line on stdin: `stats` -> `{"requests", "writes", "by_route": {"GET /api/stacks": n, ...},
"stacks", "endpoints"}`; `clear` -> `{"ok": true}` (forgets the request log); `quit` (or end of
input) stops the fake and exits. Everything listens on 127.0.0.0/8 only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import socket
import socketserver
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from tests.fakes.agent import FakeAgent
from tests.fakes.portainer import FakePortainer

#: Agents listen on 127.0.10.1, 127.0.10.2, ...: distinct loopback hosts like distinct VMs.
AGENT_NET = "127.0.10."

_ID = re.compile(r"/\d+")
_accept = socketserver.TCPServer.get_request


def _accept_without_nagle(server: socketserver.TCPServer) -> tuple[socket.socket, Any]:
    """`TCPServer.get_request` plus TCP_NODELAY, as a Go server has it (see the docstring)."""
    connection, address = _accept(server)
    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return connection, address


def route_of(method: str, path: str) -> str:
    """`PUT /api/stacks/{id}` for `PUT /api/stacks/17`: requests grouped by route."""
    return f"{method} {_ID.sub('/{id}', path)}"


def agent_host(index: int) -> str:
    """Loopback address of agent `index` (0-based)."""
    if not 0 <= index < 250:
        raise ValueError("at most 250 agents")
    return f"{AGENT_NET}{index + 1}"


def _stats(fake: FakePortainer) -> dict[str, Any]:
    log = fake.requests()
    routes = Counter(route_of(record.method, record.path) for record in log)
    return {
        "requests": len(log),
        "writes": len(fake.writes()),
        "by_route": dict(sorted(routes.items())),
        "stacks": len(fake.stacks()),
        "endpoints": len(fake.endpoints()),
    }


def serve(agents: int, latency_s: float, deploy_s: float) -> int:
    """Run the fake until `quit` or end of input."""
    # Only in this process, which exists to host the fake (see the module docstring).
    socketserver.TCPServer.get_request = _accept_without_nagle  # type: ignore[method-assign,assignment]
    with contextlib.ExitStack() as stack:
        fake = stack.enter_context(FakePortainer(deploy_seconds=deploy_s))
        running = [stack.enter_context(FakeAgent(agent_host(i))) for i in range(agents)]
        api_key = fake.add_api_key()
        fake.set_latency(latency_s)
        hello = {
            "url": fake.url,
            "ca_bundle": fake.ca_bundle,
            "api_key": api_key,
            "agents": [
                {"name": f"agent-{i + 1:02d}", "url": agent.url} for i, agent in enumerate(running)
            ],
        }
        print(json.dumps(hello), flush=True)
        for line in sys.stdin:
            command = line.strip()
            if command == "stats":
                print(json.dumps(_stats(fake)), flush=True)
            elif command == "clear":
                fake.clear_log()
                print(json.dumps({"ok": True}), flush=True)
            elif command == "quit":
                break
            else:
                print(json.dumps({"error": f"unknown command {command!r}"}), flush=True)
        # The CA bundle is a temporary file the fake leaves behind; it is ours to remove.
        Path(fake.ca_bundle).unlink(missing_ok=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.fake_server", description=__doc__)
    parser.add_argument("--agents", type=int, default=20, help="fake agents to start")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds added per request")
    parser.add_argument("--deploy", type=float, default=0.05, help="seconds a deployment takes")
    args = parser.parse_args(argv)
    return serve(args.agents, args.latency, args.deploy)


if __name__ == "__main__":
    sys.exit(main())
