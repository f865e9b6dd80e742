"""What the Portainer client raises: HTTP answers, missing answers, refused servers, failed
authentication. Messages carry Portainer's own status, message and details (already passed
through the client's redactor), never a credential."""

from __future__ import annotations


class PortainerError(Exception):
    """Base class of every error the client raises."""


class PortainerHTTPError(PortainerError):
    """Portainer answered with an unexpected status; carries its ``message`` and ``details``."""

    def __init__(self, method: str, path: str, status: int, message: str, details: str) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.message = message
        self.details = details
        text = f"{method} {path}: HTTP {status}"
        if message:
            text += f": {message}"
        if details and details != message:
            text += f" ({details})"
        super().__init__(text)


class PortainerConnectionError(PortainerError):
    """The request did not get an HTTP answer (refused, reset, timed out, TLS failure)."""

    def __init__(self, method: str, path: str, reason: str) -> None:
        self.method = method
        self.path = path
        self.reason = reason
        super().__init__(f"{method} {path}: no response from Portainer ({reason})")


class UntrustedServerError(PortainerError):
    """The server's TLS certificate was refused; nothing was sent to it. Never retried or waited
    for: a certificate does not become trusted by waiting."""

    def __init__(self, url: str, reason: str, help_text: str = "") -> None:
        self.url = url
        self.reason = reason
        text = f"refusing the Portainer server at {url}: {reason}. Nothing was sent to it."
        super().__init__(f"{text}\n{help_text}" if help_text else text)


class AuthenticationError(PortainerError):
    """Credentials are missing, wrong, or the server refused to authenticate us."""


class AdminInitTimeoutError(PortainerError):
    """Portainer disabled itself because no admin was created within 5 minutes of start."""

    def __init__(self) -> None:
        super().__init__(
            "Portainer answered 303 AdminInitTimeout: no administrator was created within 5 "
            "minutes of its start, so the instance locked itself. Restart the Portainer "
            "container, then run the reconcile again promptly."
        )
