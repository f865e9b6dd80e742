"""Server certificates as Phoenix pins them: SHA-256 fingerprints of the DER bytes.

A fingerprint is public (anyone can connect and hash the certificate), so it may be printed
and stored; the certificate's private key is never read by Phoenix.
"""

from __future__ import annotations

import hashlib
import re
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

_HEX_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class CertificateError(ValueError):
    """Text that should hold a certificate or a fingerprint does not."""


@dataclass(frozen=True)
class CertificateInfo:
    """What a pin records about the certificate it was taken from."""

    sha256: str
    """SHA-256 of the DER certificate, lower-case hex without separators."""
    subject: str
    """The subject, RFC 4514 (e.g. ``O=Portainer.io``)."""
    not_after: datetime
    """End of validity (UTC)."""


def sha256_of(der: bytes) -> str:
    """The fingerprint of a DER certificate: lower-case hex SHA-256."""
    return hashlib.sha256(der).hexdigest()


def display(sha256: str) -> str:
    """``SHA256 AB:CD:...``, the way ``openssl x509 -fingerprint -sha256`` prints it."""
    pairs = [sha256[i : i + 2].upper() for i in range(0, len(sha256), 2)]
    return "SHA256 " + ":".join(pairs)


def parse_fingerprint(text: str) -> str:
    """Accept a SHA-256 fingerprint as hex, with or without colons or a ``SHA256`` prefix."""
    cleaned = re.sub(r"^\s*sha-?256\s*(fingerprint)?\s*[=:]?\s*", "", text, flags=re.IGNORECASE)
    cleaned = re.sub(r"[\s:]", "", cleaned).lower()
    if not _HEX_SHA256.match(cleaned):
        raise CertificateError(
            f"{text.strip()!r} is not a SHA-256 fingerprint (64 hex digits, colons allowed)"
        )
    return cleaned


def leaf_certificate(pem: bytes | str) -> CertificateInfo:
    """The first certificate of a PEM file (the server's own; any chain follows it)."""
    data = pem.encode("ascii", errors="replace") if isinstance(pem, str) else pem
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise CertificateError("not a PEM certificate") from None
    leaf = certificates[0]
    return CertificateInfo(
        sha256=sha256_of(leaf.public_bytes(Encoding.DER)),
        subject=leaf.subject.rfc4514_string() or "(empty subject)",
        not_after=leaf.not_valid_after_utc,
    )


def presented_certificate(host: str, port: int, timeout_s: float) -> bytes | None:
    """The DER certificate a TLS server presents, or None when no handshake completes.

    Only the handshake happens: no request, so nothing is sent to a server that may not be the
    one we think it is. Nothing is verified here; the caller compares the fingerprint.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # we only read the certificate, to compare its hash
    try:
        with (
            socket.create_connection((host, port), timeout=timeout_s) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            return tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError):
        return None
