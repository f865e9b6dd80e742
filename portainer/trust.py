"""How Phoenix decides to trust the Portainer server before it sends it a credential.

One of, in this order:

1. ``--insecure`` / ``PORTAINER_INSECURE=1``: nothing is verified. For a first experiment only;
   a warning says so on every run.
2. ``--ca-bundle PEM`` / ``PORTAINER_CA_BUNDLE``: a CA the deployer holds signs the server's
   certificate.
3. Otherwise (the default, and the documented deploy): the certificate pinned for the server's
   URL in the pins file (``portainer.pins``). With no pin yet, the certificate is read from the
   Portainer VM through its Proxmox node (``portainer.guest_agent``), waiting while the VM
   boots, and pinned. A server presenting anything else is refused before any request.

Re-pinning is always on purpose: ``python -m portainer trust --reset`` (read it again over the
same route) or ``--fingerprint`` (a fingerprint checked by hand).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from portainer.certificates import (
    CertificateError,
    CertificateInfo,
    display,
    leaf_certificate,
    presented_certificate,
    sha256_of,
)
from portainer.desired import DesiredState
from portainer.guest_agent import (
    GuestFileError,
    GuestFileRoute,
    GuestNotReadyError,
    read_guest_file,
)
from portainer.pins import Pin, PinStore, default_pins_path
from portainer.waits import NotReadyError, WaitTimeoutError, wait_until

INSECURE_ENV = "PORTAINER_INSECURE"
CA_BUNDLE_ENV = "PORTAINER_CA_BUNDLE"

Progress = Callable[[str], None]


class TrustError(Exception):
    """The server cannot be trusted yet; the message names the ways to fix that."""


@dataclass(frozen=True)
class ServerTrust:
    """How the client verifies the server (``portainer.session.ClientSettings`` fields)."""

    verify: bool | str
    pinned_sha256: str | None = None
    untrusted_help: str = ""


@dataclass(frozen=True)
class TrustSettings:
    """Where trust comes from in this run, and how long to wait for a certificate to read."""

    insecure: bool = False
    ca_bundle: str | None = None
    timeout_s: float = 300.0
    interval_s: float = 2.0
    ssh_timeout_s: float = 5.0


def settings_from(
    insecure_flag: bool | None, ca_bundle_flag: str | None, environ: Mapping[str, str]
) -> TrustSettings:
    """Flags first, then ``PORTAINER_INSECURE`` / ``PORTAINER_CA_BUNDLE``."""
    insecure = insecure_flag
    if insecure is None:
        insecure = environ.get(INSECURE_ENV, "").lower() in ("1", "true", "yes")
    ca_bundle = ca_bundle_flag or environ.get(CA_BUNDLE_ENV) or None
    if insecure and ca_bundle_flag:
        raise TrustError("--insecure and --ca-bundle exclude each other")
    return TrustSettings(insecure=bool(insecure), ca_bundle=None if insecure else ca_bundle)


def insecure_warning(url: str) -> str:
    """Printed on every run that turns verification off."""
    return (
        f"warning: {INSECURE_ENV}=1 / --insecure: the certificate of {url} is NOT verified, so "
        "whoever answers at that address receives the Portainer password or API key. Use it "
        "for a first experiment only; without it Phoenix pins the server's certificate "
        "(docs/portainer.md, 'Server TLS')."
    )


def server_trust(
    url: str,
    desired: DesiredState,
    settings: TrustSettings,
    environ: Mapping[str, str],
    progress: Progress,
) -> ServerTrust:
    """Decide how to verify ``url`` for this run, pinning its certificate first if needed.

    The caller prints :func:`insecure_warning` for the insecure mode.
    """
    if settings.insecure:
        return ServerTrust(verify=False)
    if urlsplit(url).scheme != "https":
        raise TrustError(
            f"{url} is not https: the password or API key would cross the network in clear. "
            "Use Portainer's HTTPS port (9443), or --insecure for a first experiment."
        )
    if settings.ca_bundle:
        if not Path(settings.ca_bundle).is_file():
            raise TrustError(f"CA bundle {settings.ca_bundle} does not exist")
        return ServerTrust(
            verify=settings.ca_bundle,
            untrusted_help=(
                f"Check that {settings.ca_bundle} holds the CA that signed the server's "
                f"certificate, or leave out --ca-bundle/{CA_BUNDLE_ENV} to use the pinned "
                "certificate instead."
            ),
        )
    store = PinStore(default_pins_path(environ))
    pin = store.get(url)
    if pin is None:
        pin = pin_from_source(url, desired, store, settings, environ, progress)
    return ServerTrust(
        verify=True, pinned_sha256=pin.sha256, untrusted_help=repin_help(url, store.path, pin)
    )


def pin_from_source(
    url: str,
    desired: DesiredState,
    store: PinStore,
    settings: TrustSettings,
    environ: Mapping[str, str],
    progress: Progress,
) -> Pin:
    """Read the server's certificate from its VM, pin it for ``url`` and return the pin."""
    source = desired.server.certificate_source
    if source is None:
        raise TrustError(
            f"no certificate is pinned for {url}, and the desired state does not say where "
            "to read it (it was written before Phoenix pinned certificates). Apply the infra "
            "stack again (npx cdktf deploy infra) and re-run, or pin a fingerprint you "
            f"checked yourself: {_trust_command('--fingerprint SHA256:...')}; or pass "
            "--ca-bundle with a CA that signs the server's certificate."
        )
    route = source.route()
    info = _read_certificate(route, settings, environ, progress)
    pin = Pin(
        sha256=info.sha256,
        pinned_at=_now(),
        source=route.describe(),
        subject=info.subject,
        not_after=info.not_after.isoformat(),
    )
    store.put(url, pin)
    progress(
        f"pinned the certificate of {url}: {display(pin.sha256)} (read over {pin.source}); "
        f"kept in {store.path}"
    )
    return pin


def _read_certificate(
    route: GuestFileRoute, settings: TrustSettings, environ: Mapping[str, str], progress: Progress
) -> CertificateInfo:
    def probe() -> CertificateInfo:
        try:
            text = read_guest_file(route, environ, settings.ssh_timeout_s)
        except GuestNotReadyError as exc:
            raise NotReadyError(str(exc)) from None
        try:
            return leaf_certificate(text)
        except CertificateError:
            raise GuestFileError(f"{route.describe()}: the file is not a certificate") from None

    try:
        return wait_until(
            f"the Portainer server's certificate (VM {route.vmid})",
            probe,
            timeout_s=settings.timeout_s,
            interval_s=settings.interval_s,
            progress=progress,
        )
    except (GuestFileError, WaitTimeoutError) as exc:
        raise TrustError(
            f"cannot read the Portainer server's certificate to pin it: {exc}\n"
            f"Phoenix reads it over SSH from the Proxmox node, with the node's host key checked "
            f"against known_hosts (never learnt here). From this shell, this must work: "
            f"ssh -p {route.ssh_port} {route.ssh_user}@{route.ssh_host} "
            f"{route.remote_command()}\n"
            f"If the node's key is unknown, check the fingerprint ssh shows against the node's "
            f"own (on its console: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) before "
            f"accepting it. Or pin a fingerprint you checked on the Portainer VM yourself: "
            f"{_trust_command('--fingerprint SHA256:...')}"
        ) from None


def repin_help(url: str, pins_path: Path, pin: Pin) -> str:
    """What to do when the server no longer presents the pinned certificate."""
    address = urlsplit(url).netloc
    return (
        f"The pin is in {pins_path} (pinned {pin.pinned_at}, from {pin.source}).\n"
        "If you rebuilt the Portainer VM or replaced its certificate on purpose, pin the new "
        "one, read again from the VM over SSH:\n"
        f"  {_trust_command('--reset')}\n"
        f"Otherwise something else is answering for {address}: do not turn verification off."
    )


def _trust_command(flag: str) -> str:
    return f"python -m portainer trust {flag} --outputs-file out.json"


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


# --------------------------------------------------------------------------- trust command


def show_or_pin(
    url: str,
    desired: DesiredState,
    settings: TrustSettings,
    environ: Mapping[str, str],
    progress: Progress,
    out: Callable[[str], None],
) -> bool:
    """``trust``: pin if nothing is pinned yet, then say whether the server presents the pin.
    Returns False when it presents another certificate."""
    store = PinStore(default_pins_path(environ))
    pin = store.get(url) or pin_from_source(url, desired, store, settings, environ, progress)
    out(f"{url}: {display(pin.sha256)}")
    out(f"  pinned {pin.pinned_at} from {pin.source}; kept in {store.path}")
    parts = urlsplit(url)
    der = presented_certificate(parts.hostname or "", parts.port or 443, settings.ssh_timeout_s)
    if der is None:
        out("  the server does not answer TLS right now; nothing to compare")
        return True
    if sha256_of(der) == pin.sha256:
        out("  the server presents this certificate")
        return True
    out(f"  the server presents ANOTHER certificate: {display(sha256_of(der))}")
    out("  " + repin_help(url, store.path, pin).replace("\n", "\n  "))
    return False


def reset(
    url: str,
    desired: DesiredState,
    settings: TrustSettings,
    environ: Mapping[str, str],
    progress: Progress,
    out: Callable[[str], None],
) -> None:
    """``trust --reset``: read the certificate from the VM again and pin it. The old pin stays
    until the new certificate has been read."""
    store = PinStore(default_pins_path(environ))
    old = store.get(url)
    pin = pin_from_source(url, desired, store, settings, environ, progress)
    previous = display(old.sha256) if old else "nothing"
    out(f"{url}: {display(pin.sha256)} (was {previous})")


def pin_fingerprint(
    url: str, sha256: str, environ: Mapping[str, str], out: Callable[[str], None]
) -> None:
    """``trust --fingerprint``: pin a fingerprint the operator checked on the server."""
    store = PinStore(default_pins_path(environ))
    old = store.get(url)
    store.put(url, Pin(sha256=sha256, pinned_at=_now(), source="fingerprint given by hand"))
    previous = display(old.sha256) if old else "nothing"
    out(f"{url}: {display(sha256)} (was {previous}); kept in {store.path}")
