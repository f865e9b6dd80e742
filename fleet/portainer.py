"""`portainer.yaml`: where the Portainer server runs and how Phoenix talks to it."""

from __future__ import annotations

from pydantic import Field

from .base import ConfigModel
from .types import GuestName, Port, Version


class PortainerConfig(ConfigModel):
    """Contents of `portainer.yaml`. Agents are the VMs with the `portainer_agent` feature."""

    server: GuestName
    """Name of the VM running the Portainer server (features docker and portainer_server)."""
    version: Version
    """Tag of `portainer/portainer-ce` and `portainer/agent`; both run the same version."""
    https_port: Port = 9443
    """Port the server serves its API and UI on (HTTPS). Default: 9443."""
    agent_port: Port = 9001
    """Port agents listen on (always HTTPS, self-signed). Default: 9001."""
    admin_username: str = Field(default="admin", pattern=r"^\S+$")
    """Administrator the reconcile creates on a fresh server (its password comes from
    `PORTAINER_PASSWORD`). Default: admin."""
    agent_secret: bool = False
    """Pair server and agents with a shared `AGENT_SECRET`, so an agent only answers this
    server. The value comes from the sensitive Terraform variable `portainer_agent_secret`
    (`TF_VAR_portainer_agent_secret`), never from config. Default: false (an agent trusts the
    first server that reaches it)."""
    owner: str = Field(default="phoenix", pattern=r"^[A-Za-z0-9_.-]+$")
    """Marker on every stack this fleet creates (`PHOENIX_OWNER`); stacks without it are never
    touched. Default: phoenix."""
