"""How the client authenticates, read from the environment only (never argv or config)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Credentials:
    """How to authenticate; secret fields are excluded from ``repr``."""

    api_key: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    setup_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, default_username: str | None = None
    ) -> Credentials:
        """Read ``PORTAINER_API_KEY`` / ``PORTAINER_USERNAME`` + ``PORTAINER_PASSWORD`` and
        ``PORTAINER_SETUP_TOKEN``; the username defaults to ``default_username``."""
        env = os.environ if environ is None else environ
        password = env.get("PORTAINER_PASSWORD") or None
        return cls(
            api_key=env.get("PORTAINER_API_KEY") or None,
            username=(env.get("PORTAINER_USERNAME") or default_username) if password else None,
            password=password,
            setup_token=env.get("PORTAINER_SETUP_TOKEN") or None,
        )

    @property
    def can_login(self) -> bool:
        """True when a username and password are available (admin init and JWT login)."""
        return bool(self.username and self.password)

    @property
    def usable(self) -> bool:
        """True when the client can authenticate at all."""
        return bool(self.api_key) or self.can_login

    def secret_values(self) -> list[str]:
        """Every secret value, for the output redactor."""
        return [v for v in (self.api_key, self.password, self.setup_token) if v]
