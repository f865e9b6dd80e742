"""Where the site lives in the gateway container, and the commands that install it.

Everything here is data: the stack's ``terraform_data`` uploads the rendered text with a
``file`` provisioner to `STAGED_PATH`, then runs `install_commands` with ``remote-exec``
(``inline``), over SSH as root in the Debian container::

    text = render_site(site)
    digest = site_sha256(text)        # also the terraform_data trigger: new text, new run
    file:        content=text, destination=STAGED_PATH
    remote-exec: inline=install_commands(sha256=digest)

Why ``conf.d`` and not ``sites-enabled``: Debian's ``nginx.conf`` includes
``/etc/nginx/conf.d/*.conf`` inside ``http {}``, which this file needs for its ``map``; one
generated file needs no ``sites-available`` copy plus symlink. Debian's own
``sites-enabled/default`` also says ``listen 80 default_server``, which collides with the
gateway's default server (``nginx -t``: duplicate default server), so the commands remove it.
"""

from __future__ import annotations

import hashlib
import re
import shlex

SITE_PATH = "/etc/nginx/conf.d/phoenix-gateway.conf"
"""Where the rendered site is installed in the gateway container."""

# /run: root-only and cleared at boot, so a stale upload never lingers; the install commands
# check the upload's SHA-256 before using it.
STAGED_PATH = "/run/phoenix-gateway.conf.new"
"""Where the ``file`` provisioner uploads the rendered site before it is checked."""

DEFAULT_SITE_PATH = "/etc/nginx/sites-enabled/default"
"""Debian's stock site, removed because its ``default_server`` collides with the gateway's."""

NGINX_PACKAGE = "nginx"
"""Debian package installed when the container has no nginx yet."""

_SHA256 = re.compile(r"[0-9a-f]{64}")


def site_sha256(text: str) -> str:
    """Hex SHA-256 of ``text`` encoded as UTF-8: the bytes the ``file`` provisioner writes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def install_commands(
    *,
    sha256: str,
    staged_path: str = STAGED_PATH,
    site_path: str = SITE_PATH,
    default_site_path: str = DEFAULT_SITE_PATH,
) -> list[str]:
    """Shell lines for Terraform's ``remote-exec`` ``inline``: install the staged site.

    In order: stop at the first failure (``inline`` is run as one ``sh`` script, which
    otherwise only reports its last command); check the upload against ``sha256``; install
    nginx when missing; remove Debian's default site; keep the current site aside; install
    the new one; ``nginx -t`` and, if it fails, put the previous site back and fail; then
    enable nginx and reload it (or start it when it is not running). Needs root.
    """
    if not _SHA256.fullmatch(sha256):
        raise ValueError(f"sha256 {sha256!r} is not 64 lower-case hex digits")
    for what, path in (
        ("staged_path", staged_path),
        ("site_path", site_path),
        ("default_site_path", default_site_path),
    ):
        if not path.startswith("/"):
            raise ValueError(f"{what} {path!r} must be an absolute path")
    staged = shlex.quote(staged_path)
    site = shlex.quote(site_path)
    # Not '*.conf', so Nginx never loads the copy kept for a rollback.
    previous = shlex.quote(f"{site_path}.previous")
    checksum_line = shlex.quote(f"{sha256}  {staged_path}")
    return [
        "set -eu",
        f"printf '%s\\n' {checksum_line} | sha256sum --check --quiet --strict -",
        "command -v nginx >/dev/null 2>&1 || { apt-get update -q"
        " && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends"
        f" {NGINX_PACKAGE}; }}",
        f"rm -f {shlex.quote(default_site_path)}",
        f"if [ -f {site} ]; then cp -p {site} {previous}; else rm -f {previous}; fi",
        f"install -m 0644 {staged} {site}",
        f"if ! nginx -t; then if [ -f {previous} ]; then mv -f {previous} {site};"
        f" else rm -f {site}; fi;"
        " echo 'phoenix: nginx -t rejected the new gateway site; the previous one is back'"
        " >&2; exit 1; fi",
        f"rm -f {previous} {staged}",
        "systemctl enable --quiet nginx",
        "systemctl reload-or-restart nginx",
    ]
