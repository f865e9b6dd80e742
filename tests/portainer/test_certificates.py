"""Fingerprints: what a pin holds, how operators type it, what a server presents."""

from __future__ import annotations

import hashlib
import ssl
from pathlib import Path

import pytest

from portainer.certificates import (
    CertificateError,
    display,
    leaf_certificate,
    parse_fingerprint,
    presented_certificate,
)
from tests.fakes.portainer import FakePortainer
from tests.fakes.server import free_port

SHA = "ab" * 32


def test_fingerprint_is_the_sha256_of_the_der_certificate(fake: FakePortainer) -> None:
    # GIVEN the PEM a Portainer keeps in /data/certs/cert.pem
    der = ssl.PEM_cert_to_DER_cert(fake.certificate_pem)
    # WHEN reading it THEN the fingerprint is what `openssl x509 -fingerprint -sha256` hashes
    info = leaf_certificate(fake.certificate_pem)
    assert info.sha256 == hashlib.sha256(der).hexdigest()
    assert "Phoenix fake CA" not in info.subject  # the leaf, not its issuer


def test_the_first_certificate_of_a_chain_is_the_servers(fake: FakePortainer) -> None:
    chain = fake.certificate_pem + Path(fake.ca_bundle).read_text(encoding="ascii")
    assert leaf_certificate(chain) == leaf_certificate(fake.certificate_pem)


def test_fails_when_the_text_is_a_private_key_not_a_certificate(fake: FakePortainer) -> None:
    with pytest.raises(CertificateError, match="not a PEM certificate"):
        leaf_certificate(fake.private_key_pem)


@pytest.mark.parametrize(
    "typed",
    [SHA, SHA.upper(), display(SHA), f"sha256 Fingerprint={display(SHA)[7:]}", f"  {SHA}\n"],
)
def test_fingerprints_are_accepted_the_way_tools_print_them(typed: str) -> None:
    assert parse_fingerprint(typed) == SHA


@pytest.mark.parametrize("typed", ["", "ab" * 20, "zz" * 32, "sha1 " + "ab" * 20])
def test_fails_when_a_fingerprint_is_not_sha256(typed: str) -> None:
    with pytest.raises(CertificateError, match="not a SHA-256 fingerprint"):
        parse_fingerprint(typed)


def test_presented_certificate_is_read_without_sending_a_request(fake: FakePortainer) -> None:
    der = presented_certificate(fake.host, fake.port, 5)
    assert der == ssl.PEM_cert_to_DER_cert(fake.certificate_pem)
    assert fake.log == []


def test_no_certificate_where_nothing_listens() -> None:
    assert presented_certificate("127.0.0.1", free_port("127.0.0.1"), 1) is None
