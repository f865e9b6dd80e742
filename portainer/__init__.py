"""Phoenix's Portainer client: converge agents and compose stacks from Terraform outputs.

Layout (one concept per module):

- ``desired``   the desired state (Terraform output ``portainer``, schema 1) and its loaders
- ``models``    the Portainer objects read from the API (Endpoint, Stack, ...)
- ``session``   the ``requests.Session``: no cookies, retries, TLS verification
- ``client``    typed API calls: auth, typed errors
- ``certificates`` certificate fingerprints (what a pin holds)
- ``pins``      the deployer's pinned server certificates (``~/.config/phoenix``)
- ``guest_agent`` read a file of a VM over SSH to its Proxmox node and ``qm guest exec``
- ``trust``     how the server is trusted: pinned certificate (default), CA bundle, insecure
- ``waits``     bounded readiness waits (server, agent, stack deployment)
- ``plan``      pure: current state + desired state -> actions
- ``reconcile`` read, plan, apply, with per-item errors
- ``stack_writes`` the stack writes of one environment, then the wait while Portainer deploys
- ``answers``   what Portainer's error answers mean for a write: retry, wait, or stop
- ``docker_proxy`` container reads through Portainer's Docker proxy (list, inspect, logs)
- ``probes``    HTTP probes from this machine, through the gateway as a user would
- ``health``    pure: what "up" means for a stack, from its containers and probes
- ``health_check`` the bounded wait until an environment's stacks are up
- ``report``    human (terraform-plan-like) and JSON rendering
- ``cli``       ``python -m portainer reconcile|trust ...``
"""

from __future__ import annotations

__all__ = ["OWNER_ENV", "normalize_stack_name"]

#: Stack env var that marks a stack as owned by a Phoenix fleet (value: the fleet's owner).
OWNER_ENV = "PHOENIX_OWNER"


def normalize_stack_name(name: str) -> str:
    """Return ``name`` the way Portainer stores it: lower case, only ``[-_a-z0-9]`` kept."""
    return "".join(ch for ch in name.lower() if ch in _STACK_NAME_CHARS)


_STACK_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")
