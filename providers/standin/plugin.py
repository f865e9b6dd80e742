"""go-plugin's side of the handshake: how Terraform starts and talks to a provider binary.

Terraform runs the plugin with a magic cookie and its client certificate in the environment
(AutoMTLS), reads one handshake line from the plugin's stdout naming a unix socket and the
plugin's own certificate, then speaks gRPC (tfplugin6) over mutual TLS on that socket.
"""

from __future__ import annotations

import base64
import datetime
import os
import signal
import sys
import tempfile
import threading
from concurrent import futures
from pathlib import Path
from types import FrameType

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from tf.gen import (
    grpc_controller_pb2,
    grpc_controller_pb2_grpc,
    grpc_stdio_pb2_grpc,
    tfplugin_pb2_grpc,
)

MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE"
MAGIC_COOKIE_VALUE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
CORE_PROTOCOL = 1
APP_PROTOCOL = 6
# Terraform's own client limit; states of big fleets exceed gRPC's 4 MiB default.
MAX_MESSAGE_BYTES = 256 * 1024 * 1024


class _Controller(grpc_controller_pb2_grpc.GRPCControllerServicer):  # type: ignore[misc]
    """go-plugin's controller: Terraform asks the plugin to stop through it."""

    def __init__(self, stopped: threading.Event) -> None:
        self._stopped = stopped

    def Shutdown(self, request: object, context: object) -> object:  # noqa: N802 (gRPC name)
        self._stopped.set()
        return grpc_controller_pb2.Empty()


class _Stdio(grpc_stdio_pb2_grpc.GRPCStdioServicer):  # type: ignore[misc]
    """go-plugin's stdio relay: the stand-in logs to stderr directly, so the stream is empty."""

    def StreamStdio(self, request: object, context: object) -> object:  # noqa: N802
        return iter(())


def _certificate() -> tuple[bytes, bytes, bytes]:
    """A fresh self-signed certificate for this run: (key PEM, cert PEM, cert DER)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return (
        key_pem,
        certificate.public_bytes(serialization.Encoding.PEM),
        certificate.public_bytes(serialization.Encoding.DER),
    )


def serve(provider: tfplugin_pb2_grpc.ProviderServicer) -> int:
    """Serve `provider` the way go-plugin expects until Terraform shuts the plugin down."""
    if os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        print(
            "This is a Terraform provider plugin (a stand-in of bpg/proxmox for offline tests);\n"
            "Terraform starts it. See providers/standin/README.md.",
            file=sys.stderr,
        )
        return 1
    stopped = threading.Event()
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=8),
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ],
    )
    tfplugin_pb2_grpc.add_ProviderServicer_to_server(provider, server)
    grpc_controller_pb2_grpc.add_GRPCControllerServicer_to_server(_Controller(stopped), server)
    grpc_stdio_pb2_grpc.add_GRPCStdioServicer_to_server(_Stdio(), server)

    key_pem, cert_pem, cert_der = _certificate()
    # Terraform checks the plugin's certificate from the handshake line. The plugin does not
    # check Terraform's in return (gRPC's verifier rejects go-plugin's client certificate);
    # the socket lives in a directory only this user can enter.
    credentials = grpc.ssl_server_credentials([(key_pem, cert_pem)], require_client_auth=False)
    with tempfile.TemporaryDirectory(prefix="proxmox-standin-") as workdir:
        socket_path = str(Path(workdir) / "plugin.sock")
        server.add_secure_port(f"unix://{socket_path}", credentials)
        server.start()
        handshake = "|".join(
            [
                str(CORE_PROTOCOL),
                str(APP_PROTOCOL),
                "unix",
                socket_path,
                "grpc",
                base64.b64encode(cert_der).decode().rstrip("="),
            ]
        )
        sys.stdout.write(handshake + "\n")
        sys.stdout.flush()

        def _stop(signum: int, frame: FrameType | None) -> None:
            stopped.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        stopped.wait()
        server.stop(grace=1).wait()
    return 0
