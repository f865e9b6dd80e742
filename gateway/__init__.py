"""Phoenix's Nginx gateway: the site file generated from declared routes.

Layout (one concept per module):

- ``model``    the declared routes: `Upstream`, `Route`, `GatewaySite` (validated as a whole)
- ``syntax``   word rules for paths, host names, addresses, ports
- ``render``   pure: `render_site(site) -> str`, the Nginx config file
- ``delivery`` where the file goes in the container and the shell commands that install it

This package does not import the config models (``fleet``): the stack maps ``gateway.yaml``
(guest names) onto these values (addresses), then hands the rendered text to Terraform.
"""

from __future__ import annotations

from .delivery import (
    DEFAULT_SITE_PATH,
    SITE_PATH,
    STAGED_PATH,
    install_commands,
    site_sha256,
)
from .model import (
    DEFAULT_CLIENT_MAX_BODY_SIZE_MIB,
    DEFAULT_READ_TIMEOUT_SECONDS,
    GatewaySite,
    GatewaySiteError,
    Route,
    Scheme,
    Upstream,
)
from .render import render_site

__all__ = [
    "DEFAULT_CLIENT_MAX_BODY_SIZE_MIB",
    "DEFAULT_READ_TIMEOUT_SECONDS",
    "DEFAULT_SITE_PATH",
    "SITE_PATH",
    "STAGED_PATH",
    "GatewaySite",
    "GatewaySiteError",
    "Route",
    "Scheme",
    "Upstream",
    "install_commands",
    "render_site",
    "site_sha256",
]
