"""The desired Portainer state (Terraform output ``portainer``, schema version 1) and its loaders.

The shape is the contract in ``docs/outputs.md``. It can arrive as:

- the file ``cdktf deploy|output --outputs-file`` writes: ``{"<stack>": {"portainer": {...}}}``;
- ``terraform output -json``: ``{"portainer": {"value": {...}, "type": ..., "sensitive": ...}}``;
- the bare object (``terraform output -json portainer``);
- an environment variable holding ``base64gzip(jsonencode(desired))`` (small states only:
  Linux caps one environment string at 128 KiB; the post-apply step uses standard input).
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from portainer import OWNER_ENV, normalize_stack_name
from portainer.guest_agent import GuestFileRoute

#: Stack env var holding the sha256 of the compose file Phoenix last deployed.
COMPOSE_SHA_ENV = "PHOENIX_COMPOSE_SHA256"
#: Env names Phoenix writes itself; configs may not set them.
RESERVED_ENV = frozenset({OWNER_ENV, COMPOSE_SHA_ENV})

_AGENT_URL = re.compile(r"^tcp://(?P<host>[^:/\s]+|\[[0-9a-fA-F:]+\]):(?P<port>\d{1,5})$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
# Never starting with '-': these end up on an ssh command line.
_SSH_HOST = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]*$|^[0-9a-fA-F:]+$")
_SSH_USER = re.compile(r"^[a-z_][a-z0-9_.-]*$")
# A probe URL: plain HTTP to an address or name, a port, then a path without spaces.
_PROBE_URL = re.compile(r"^http://[A-Za-z0-9.-]+(:\d{1,5})?/[\x21-\x7e]*$")
_HOST_HEADER = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$")


class DesiredStateError(ValueError):
    """The desired state could not be read or does not match the contract."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EnvVar(_Strict):
    """A plain stack environment variable."""

    name: str
    value: str

    @field_validator("name")
    @classmethod
    def _name_ok(cls, name: str) -> str:
        if not _ENV_NAME.match(name):
            raise ValueError(f"invalid env var name {name!r}")
        return name


class SecretEnvVar(_Strict):
    """A stack env var whose value comes from the reconciler's environment (never stored)."""

    name: str
    from_env: str

    @field_validator("name", "from_env")
    @classmethod
    def _name_ok(cls, name: str) -> str:
        if not _ENV_NAME.match(name):
            raise ValueError(f"invalid env var name {name!r}")
        return name


class ProbeTarget(_Strict):
    """Where one probe is sent from the machine running the reconcile."""

    url: str
    host: str | None = None
    """The ``Host`` header, when the gateway route is a virtual host."""
    route: str | None = None
    """The gateway route the request goes through (``/qdrant/``); None: straight to the guest."""

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not _PROBE_URL.match(url):
            raise ValueError(f"probe url {url!r} is not of the form http://<host>[:<port>]/<path>")
        return url

    @field_validator("host")
    @classmethod
    def _host_name(cls, host: str | None) -> str | None:
        if host is not None and not _HOST_HEADER.match(host):
            raise ValueError(f"probe host {host!r} is not a host name")
        return host

    @property
    def label(self) -> str:
        """How messages name it: the URL, and the gateway route it goes through."""
        if self.route is None:
            return f"{self.url} (straight to the guest)"
        host = f", Host: {self.host}" if self.host else ""
        return f"{self.url} (gateway route {self.route}{host})"


class DesiredProbe(_Strict):
    """An HTTP request the stack must answer with ``status`` once it is up."""

    port: int = Field(ge=1, le=65535)
    path: str
    status: int = Field(ge=100, le=599)
    targets: tuple[ProbeTarget, ...] = Field(min_length=1)


class DesiredHealth(_Strict):
    """What "up" means for a stack: its services running (healthy when they have a health
    check), and its probes answered."""

    services: tuple[str, ...] = ()
    """The services whose containers must run; empty: every container of the project."""
    probes: tuple[DesiredProbe, ...] = ()


class DesiredStack(_Strict):
    """A compose stack Phoenix deploys on one agent."""

    name: str
    compose: str
    compose_sha256: str
    env: tuple[EnvVar, ...] = ()
    secret_env: tuple[SecretEnvVar, ...] = ()
    health: DesiredHealth = DesiredHealth()
    """Absent in outputs written before health checks: every container of the stack must run."""

    @field_validator("name")
    @classmethod
    def _normalized(cls, name: str) -> str:
        if not name or normalize_stack_name(name) != name:
            raise ValueError(
                f"stack name {name!r} is not in Portainer's normalized form "
                f"(lower case, only [-_a-z0-9]; expected {normalize_stack_name(name)!r})"
            )
        return name

    @model_validator(mode="after")
    def _consistent(self) -> DesiredStack:
        actual = hashlib.sha256(self.compose.encode("utf-8")).hexdigest()
        if self.compose_sha256.lower() != actual:
            raise ValueError(
                f"stack {self.name}: compose_sha256 {self.compose_sha256} does not match the "
                f"compose content (sha256 {actual})"
            )
        names = [e.name for e in self.env] + [s.name for s in self.secret_env]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"stack {self.name}: env var(s) declared twice: {', '.join(dupes)}")
        reserved = sorted(RESERVED_ENV.intersection(names))
        if reserved:
            raise ValueError(
                f"stack {self.name}: env var(s) {', '.join(reserved)} are reserved for Phoenix"
            )
        return self


class DesiredAgent(_Strict):
    """A Portainer agent environment and the stacks it runs."""

    name: str = Field(min_length=1)
    guest: str
    vmid: int
    url: str
    stacks: tuple[DesiredStack, ...] = ()

    @field_validator("url")
    @classmethod
    def _tcp_url(cls, url: str) -> str:
        match = _AGENT_URL.match(url)
        if not match or not 0 < int(match["port"]) < 65536:
            raise ValueError(f"agent url {url!r} is not of the form tcp://<host>:<port>")
        return url

    @model_validator(mode="after")
    def _unique_stacks(self) -> DesiredAgent:
        names = [s.name for s in self.stacks]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"agent {self.name}: stack(s) declared twice: {', '.join(dupes)}")
        return self

    @property
    def host(self) -> str:
        """The agent's host (IP address or name) from ``url``, without IPv6 brackets."""
        match = _AGENT_URL.match(self.url)
        assert match is not None  # validated above
        return match["host"].strip("[]")

    @property
    def port(self) -> int:
        """The agent's TCP port from ``url``."""
        match = _AGENT_URL.match(self.url)
        assert match is not None
        return int(match["port"])


class CertificateSource(_Strict):
    """Where the server's certificate can be read to pin it: a file of VM ``vmid``, through
    its Proxmox node's SSH login and the guest agent (see ``portainer.guest_agent``)."""

    ssh_host: str
    ssh_port: int = Field(ge=1, le=65535)
    ssh_user: str
    vmid: int = Field(ge=1)
    path: str

    @field_validator("ssh_host")
    @classmethod
    def _host(cls, host: str) -> str:
        if not _SSH_HOST.match(host):
            raise ValueError(f"ssh_host {host!r} is not a host name or IP address")
        return host

    @field_validator("ssh_user")
    @classmethod
    def _user(cls, user: str) -> str:
        if not _SSH_USER.match(user):
            raise ValueError(f"ssh_user {user!r} is not a user name")
        return user

    @field_validator("path")
    @classmethod
    def _absolute(cls, path: str) -> str:
        if not path.startswith("/") or "\x00" in path:
            raise ValueError(f"path {path!r} is not an absolute path")
        return path

    def route(self) -> GuestFileRoute:
        """The SSH + guest agent route to the certificate file."""
        return GuestFileRoute(
            ssh_host=self.ssh_host,
            ssh_port=self.ssh_port,
            ssh_user=self.ssh_user,
            vmid=self.vmid,
            path=self.path,
        )


class DesiredServer(_Strict):
    """The Portainer server the fleet registers its agents with."""

    url: str
    guest: str
    version: str
    admin_username: str = Field(min_length=1)
    certificate_source: CertificateSource | None = None
    """Absent in outputs written before Phoenix pinned certificates."""

    @field_validator("url")
    @classmethod
    def _https(cls, url: str) -> str:
        if not re.match(r"^https?://[^/\s]+/?$", url):
            raise ValueError(f"server url {url!r} must be http(s)://host[:port]")
        return url.rstrip("/")


class DesiredState(_Strict):
    """Terraform output ``portainer``, schema version 1 (see docs/outputs.md)."""

    schema_version: Literal[1]
    owner: str = Field(min_length=1)
    server: DesiredServer
    agents: tuple[DesiredAgent, ...] = ()

    @model_validator(mode="after")
    def _unique_agents(self) -> DesiredState:
        names = [a.name for a in self.agents]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"agent(s) declared twice: {', '.join(dupes)}")
        return self

    def secret_sources(self) -> set[str]:
        """Names of the process env vars the stacks' secret env values come from."""
        return {s.from_env for a in self.agents for st in a.stacks for s in st.secret_env}


# --------------------------------------------------------------------------- loaders


def _extract(document: Any, source: str) -> Any:
    """Find the ``portainer`` output in any of the accepted document shapes."""
    if not isinstance(document, dict):
        raise DesiredStateError(f"{source}: expected a JSON object, got {type(document).__name__}")
    if "schema_version" in document:  # the bare desired state
        return document
    output = document.get("portainer")
    if isinstance(output, dict):
        if "value" in output and "schema_version" not in output:  # terraform output -json
            return output["value"]
        return output
    # cdktf --outputs-file: {"<stack id>": {"portainer": {...}, "inventory": [...]}}
    found = [
        (key, value["portainer"])
        for key, value in document.items()
        if isinstance(value, dict) and "portainer" in value
    ]
    if len(found) == 1:
        return found[0][1]
    if len(found) > 1:
        stacks = ", ".join(sorted(key for key, _ in found))
        raise DesiredStateError(f"{source}: several stacks publish a 'portainer' output: {stacks}")
    raise DesiredStateError(
        f"{source}: no 'portainer' output found (expected cdktf --outputs-file or "
        "terraform output -json)"
    )


def parse_desired_state(document: Any, source: str = "desired state") -> DesiredState:
    """Validate an already-decoded JSON document of any accepted shape."""
    payload = _extract(document, source)
    try:
        return DesiredState.model_validate(payload)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
            for err in exc.errors()
        )
        raise DesiredStateError(f"{source}: invalid desired state: {problems}") from None


def _decode_json(text: str | bytes, source: str) -> Any:
    try:
        return json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DesiredStateError(f"{source}: not valid JSON ({exc})") from None


def load_outputs_file(path: str, expect_sha256: str | None = None) -> DesiredState:
    """Load from a cdktf/terraform outputs file, or standard input when ``path`` is ``-``.

    With ``expect_sha256``, the bytes read must have that SHA-256 (the post-apply step's
    check that the desired state it reassembled is the one Terraform planned with).
    """
    source = "<stdin>" if path == "-" else path
    if path == "-":
        # The bytes as they came (a text stream stands in for stdin in tests).
        stream = getattr(sys.stdin, "buffer", None)
        text = stream.read() if stream is not None else sys.stdin.read().encode("utf-8")
    else:
        try:
            text = Path(path).read_bytes()
        except OSError as exc:
            raise DesiredStateError(f"{path}: cannot read ({exc.strerror})") from None
    if expect_sha256 is not None:
        check_sha256(text, expect_sha256, source)
    return parse_desired_state(_decode_json(text, source), source)


def check_sha256(data: bytes, expected: str, source: str) -> None:
    """Fail unless ``data`` has the SHA-256 ``expected`` (hex)."""
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected.strip().lower():
        raise DesiredStateError(
            f"{source}: the desired state read ({len(data)} bytes, sha256 {actual}) is not the "
            f"one expected (sha256 {expected}); it was cut short or changed on the way: "
            "nothing was reconciled, apply again"
        )


def load_from_env(var: str, environ: dict[str, str] | None = None) -> DesiredState:
    """Load from env var ``var`` holding ``base64gzip(jsonencode(desired))``."""
    env = os.environ if environ is None else environ
    encoded = env.get(var)
    source = f"${var}"
    if not encoded:
        raise DesiredStateError(f"{source}: environment variable is not set or empty")
    try:
        raw = gzip.decompress(base64.b64decode(encoded.strip(), validate=True))
    except (binascii.Error, OSError, EOFError) as exc:
        raise DesiredStateError(f"{source}: not base64(gzip(json)) ({exc})") from None
    return parse_desired_state(_decode_json(raw, source), source)


def encode_for_env(document: Any) -> str:
    """Encode like Terraform's ``base64gzip(jsonencode(...))`` (used by tests and tooling)."""
    return base64.b64encode(gzip.compress(json.dumps(document).encode("utf-8"))).decode("ascii")
