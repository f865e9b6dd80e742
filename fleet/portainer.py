"""`portainer.yaml`: where the Portainer server runs and how Phoenix talks to it."""

from __future__ import annotations

from typing import Annotated

from pydantic import StrictBool

from .base import ConfigModel
from .types import GuestName, Matches, Port, Version


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
    admin_username: Annotated[
        str, Matches(r"\S{1,64}", "Portainer user name", "no spaces, at most 64 characters")
    ] = "admin"
    """Administrator the reconcile creates on a fresh server (its password comes from
    `PORTAINER_PASSWORD`). Default: admin."""
    agent_secret: StrictBool = False
    """Pair server and agents with a shared `AGENT_SECRET`, so an agent only answers this
    server. The value comes from the sensitive Terraform variable `portainer_agent_secret`
    (`TF_VAR_portainer_agent_secret`), never from config. Default: false (an agent trusts the
    first server that reaches it)."""
    owner: Annotated[
        str,
        Matches(r"[A-Za-z0-9_.-]{1,64}", "owner marker", "letters, digits, '_', '.' and '-'"),
    ] = "phoenix"
    """Marker on every stack this fleet creates (`PHOENIX_OWNER`); stacks without it are never
    touched. Default: phoenix."""
