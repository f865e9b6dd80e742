"""TLS material for the fakes: one throw-away CA per process (trustme), certificates on demand."""

from __future__ import annotations

import atexit
import ssl
import tempfile
import threading
from pathlib import Path

import trustme

_lock = threading.Lock()
_ca: trustme.CA | None = None
_bundle: Path | None = None


def fake_ca() -> trustme.CA:
    """The process-wide fake CA (created on first use)."""
    global _ca
    with _lock:
        if _ca is None:
            _ca = trustme.CA(organization_name="Phoenix fake CA")
        return _ca


def ca_bundle_path() -> str:
    """Path of a PEM file holding the fake CA certificate (for ``verify=``)."""
    global _bundle
    ca = fake_ca()
    with _lock:
        if _bundle is None:
            handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - lives for the process
                prefix="phoenix-fake-ca-", suffix=".pem", delete=False
            )
            handle.close()
            _bundle = Path(handle.name)
            atexit.register(_bundle.unlink, missing_ok=True)  # no leftover per test run
            ca.cert_pem.write_to_path(str(_bundle))
        return str(_bundle)


def server_context(*identities: str) -> ssl.SSLContext:
    """A server-side TLS context with a certificate for ``identities``, signed by the fake CA."""
    return server_identity(*identities)[0]


def server_identity(*identities: str) -> tuple[ssl.SSLContext, trustme.LeafCert]:
    """Like :func:`server_context`, plus the issued certificate and key (a new key every call:
    two servers for the same identities present different certificates)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    leaf = fake_ca().issue_cert(*identities)
    leaf.configure_cert(context)
    return context, leaf
