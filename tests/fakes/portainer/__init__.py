"""A stateful fake Portainer CE 2.44 server over real HTTPS on 127.0.0.1, strict like the real one.

It implements the routes Phoenix uses with the real paths, methods, query parameters, body
encodings (multipart for ``POST /api/endpoints``, JSON elsewhere), field names and casing,
status codes and ``{"message","details"}`` error bodies; an unknown route answers Go's plain-text
``404 page not found``. Facts: shared/reference/portainer-api.md and the CE 2.44 OpenAPI subset.

Deliberately *stricter* than the real server where that catches client bugs: JSON field names
must match the documented casing exactly and unknown fields are rejected (the real decoder is
case-insensitive and ignores unknown fields).

Usage::

    with FakePortainer() as fake, FakeAgent() as agent:
        key = fake.add_api_key()           # or fake.seed_admin(...) for login
        ...  # point the client at fake.url with verify=fake.ca_bundle
        assert fake.writes() == []

Fault injection: :meth:`set_latency`, :meth:`fail_next`, :meth:`drop_next`,
:meth:`expire_tokens`, :meth:`race_on_create`, :meth:`race_on_endpoint_create`,
:meth:`fail_deploy`, :meth:`set_service` (what a stack's containers do, seen through the Docker
proxy, tests/fakes/docker.py); plus the login rate limiter
(more than ``auth_rate_limit`` requests/s on ``/api/auth`` bans the client for good) and the
admin-init timeout (:attr:`admin_init_timed_out`). :attr:`log` records every request.
"""

from tests.fakes.portainer.records import (
    FAIL_DEPLOY_MARKER,
    VERSION,
    FakeStack,
    RequestRecord,
    normalize,
)
from tests.fakes.portainer.server import FakePortainer

__all__ = [
    "FAIL_DEPLOY_MARKER",
    "VERSION",
    "FakePortainer",
    "FakeStack",
    "RequestRecord",
    "normalize",
]
