"""Keep secret values out of every line Phoenix prints.

Secrets are never put into messages on purpose; this is the second line of defence: every
line the CLI writes passes through :class:`Redactor`, which knows every secret value of the run
(API key, password, setup token, JWTs as they are issued, secret stack env values).
"""

from __future__ import annotations

import threading

#: Shorter values are not redacted: masking e.g. "1" would garble every count in the output.
MIN_REDACTED_LENGTH = 4
MASK = "***"


class Redactor:
    """A thread-safe set of secret values and a function that masks them in text."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, value: str | None) -> None:
        """Remember ``value`` as secret (ignored when empty or too short to mask safely)."""
        if value and len(value) >= MIN_REDACTED_LENGTH:
            with self._lock:
                self._values.add(value)

    def __call__(self, text: str) -> str:
        """Return ``text`` with every known secret replaced by ``***``."""
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)  # longest first: no partials
        for value in values:
            if value in text:
                text = text.replace(value, MASK)
        return text

    def __repr__(self) -> str:
        return f"Redactor({len(self._values)} values)"
