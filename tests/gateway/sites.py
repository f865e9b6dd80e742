"""Sites shared by the gateway tests: the reference gateway and a loopback variant of a site."""

from __future__ import annotations

import dataclasses

from gateway import GatewaySite, Route, Upstream

QDRANT = Route(name="drphoenix:6333", path="/qdrant/", upstream=Upstream("10.0.0.102", 6333))
PORTAINER = Route(
    name="portainer:9443",
    host="portainer.phoenix.local",
    upstream=Upstream("10.0.0.101", 9443, "https"),
)


def reference_site() -> GatewaySite:
    """The reference gateway of issue 6: /qdrant/ and Portainer's virtual host, on port 80."""
    return GatewaySite(listen_port=80, routes=[QDRANT, PORTAINER])


def on_loopback(site: GatewaySite, port: int) -> GatewaySite:
    """``site`` listening on 127.0.0.1:``port``: ``nginx -t`` binds its listen sockets, so a
    normal user cannot test ``listen 80`` as such. Nothing else changes."""
    return dataclasses.replace(site, listen_address="127.0.0.1", listen_port=port)
