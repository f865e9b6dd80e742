"""The HTTP client against the fake: auth, cookies, retries, TLS, typed errors."""

from __future__ import annotations

import contextlib
import socket
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest

from portainer.certificates import display, leaf_certificate
from portainer.client import (
    AdminInitTimeoutError,
    AuthenticationError,
    Credentials,
    PortainerClient,
    PortainerConnectionError,
    PortainerHTTPError,
    UntrustedServerError,
)
from portainer.session import ClientSettings
from tests.fakes.agent import FakeAgent
from tests.fakes.portainer import FakePortainer

PASSWORD = "correct-horse-battery"


def make_client(fake: FakePortainer, creds: Credentials, **settings: object) -> PortainerClient:
    options: dict[str, object] = {"verify": fake.ca_bundle, "backoff_s": 0.01}
    options.update(settings)
    return PortainerClient(fake.url, creds, ClientSettings(**options))  # type: ignore[arg-type]


def login(fake: FakePortainer) -> PortainerClient:
    fake.seed_admin("admin", PASSWORD)
    return make_client(fake, Credentials(username="admin", password=PASSWORD))


def test_jwt_session_never_sends_cookies_and_uses_one_auth_header(fake: FakePortainer) -> None:
    # GIVEN a login with username/password (the server answers with Set-Cookie)
    client = login(fake)
    endpoint = fake.seed_endpoint("e1", "tcp://127.0.0.102:9001")
    # WHEN reading and writing
    client.find_endpoint("e1")
    client.update_endpoint(endpoint["Id"], {"URL": "tcp://127.0.0.102:9002"})
    # THEN one login, and no later request carried the cookie (the PUT would get a CSRF 403)
    assert len(fake.requests("POST", "/api/auth")) == 1
    later = [r for r in fake.log if r.path != "/api/auth"]
    assert [(r.cookie, r.auth) for r in later] == [(False, "bearer")] * 2
    assert fake.endpoints()[0]["URL"] == "tcp://127.0.0.102:9002"


def test_api_key_is_preferred_over_password(fake: FakePortainer) -> None:
    key = fake.add_api_key()
    client = make_client(fake, Credentials(api_key=key, username="admin", password=PASSWORD))
    assert client.find_endpoint("none") is None
    assert [r.auth for r in fake.log] == ["api-key"]


def test_fails_when_credentials_are_wrong_with_a_single_login_attempt(
    fake: FakePortainer,
) -> None:
    # GIVEN a wrong password and many concurrent calls
    fake.seed_admin("admin", PASSWORD)
    client = make_client(fake, Credentials(username="admin", password="wrong-password-1"))

    def call(_: int) -> str:
        try:
            client.find_endpoint("x")
        except AuthenticationError as exc:
            return str(exc)
        return "no error"

    with ThreadPoolExecutor(8) as pool:
        messages = list(pool.map(call, range(20)))
    # THEN every call fails clearly, and /api/auth was hit once (no rate-limit ban)
    assert all("422" in m for m in messages)
    assert len(fake.requests("POST", "/api/auth")) == 1


def test_expired_token_reauthenticates_once_then_gives_up(fake: FakePortainer) -> None:
    # GIVEN a token that expires before a call, and again before its retry
    client = login(fake)
    client.find_endpoint("x")
    fake.expire_tokens(before=("GET", "/api/endpoints"))
    assert client.find_endpoint("x") is None  # one re-auth fixes the first expiry
    fake.expire_tokens(before=("GET", "/api/endpoints"))
    # WHEN it expires again in the same run
    with pytest.raises(AuthenticationError, match="again after re-authenticating"):
        client.find_endpoint("x")
    # THEN /api/auth was called exactly twice in total
    assert len(fake.requests("POST", "/api/auth")) == 2


def test_fails_when_api_key_is_unknown_without_retrying(fake: FakePortainer) -> None:
    fake.add_api_key()
    client = make_client(fake, Credentials(api_key="ptr_not-a-real-key"))
    with pytest.raises(AuthenticationError, match="PORTAINER_API_KEY"):
        client.find_endpoint("x")
    assert len(fake.log) == 1


def test_idempotent_reads_are_retried_on_5xx_and_dropped_connections(
    fake: FakePortainer,
) -> None:
    client = make_client(fake, Credentials(api_key=fake.add_api_key()))
    fake.fail_next("GET", "/api/endpoints", count=2, status=502)
    fake.drop_next("GET", "/api/endpoints")
    assert client.find_endpoint("x") is None
    assert [r.status for r in fake.log] == [502, 502, None, 200]


def test_fails_when_a_write_gets_5xx_without_blind_retry(fake: FakePortainer) -> None:
    # GIVEN a PUT that fails with 500
    client = make_client(fake, Credentials(api_key=fake.add_api_key()))
    endpoint = fake.seed_endpoint("e1", "tcp://127.0.0.102:9001")
    fake.fail_next("PUT", "/api/endpoints/*")
    # WHEN updating THEN the error carries status, message and details, and it was sent once
    with pytest.raises(PortainerHTTPError) as caught:
        client.update_endpoint(endpoint["Id"], {"URL": "tcp://127.0.0.102:9002"})
    assert caught.value.status == 500
    assert caught.value.message == "Fault injected by the fake"
    assert caught.value.details == "transient failure"
    assert len(fake.requests("PUT")) == 1


def test_dropped_connection_on_post_is_not_retried(fake: FakePortainer) -> None:
    client = make_client(fake, Credentials(api_key=fake.add_api_key()))
    endpoint = fake.seed_endpoint("e1", "tcp://127.0.0.102:9001")
    fake.drop_next("POST", "/api/stacks/create/standalone/string")
    with pytest.raises(PortainerConnectionError):
        client.create_stack(endpoint["Id"], "web", "services: {}\n", [])
    assert len(fake.requests("POST")) == 1
    assert fake.stacks() == []


def test_fails_when_server_certificate_is_not_trusted(fake: FakePortainer) -> None:
    # GIVEN default verification against the system CAs (the fake's CA is not among them)
    client = make_client(
        fake, Credentials(api_key=fake.add_api_key()), verify=True, untrusted_help="fix: X"
    )
    # WHEN calling it THEN the certificate is refused as such (not as a connection problem),
    # with the operator's fixes, and the fake never saw a request
    with pytest.raises(UntrustedServerError, match="not trusted by the system CAs") as caught:
        client.system_status()
    assert str(caught.value).endswith("Nothing was sent to it.\nfix: X")
    assert fake.log == []


def test_pinned_certificate_is_accepted_without_any_ca(fake: FakePortainer) -> None:
    # GIVEN the fake's certificate pinned, and no CA bundle
    pin = leaf_certificate(fake.certificate_pem).sha256
    client = make_client(fake, Credentials(api_key=fake.add_api_key()), pinned_sha256=pin)
    # WHEN calling it THEN it works, and urllib3 does not call the connection unverified
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert client.system_status().Version == "2.44.0"
        assert client.find_endpoint("none") is None
    assert [r.auth for r in fake.log] == ["none", "api-key"]


def test_fails_when_another_certificate_answers_at_the_pinned_address(
    fake: FakePortainer,
) -> None:
    # GIVEN a client that pinned the real server and used it
    pin = leaf_certificate(fake.certificate_pem).sha256
    key = fake.add_api_key()
    client = make_client(fake, Credentials(api_key=key), pinned_sha256=pin)
    assert client.find_endpoint("none") is None
    client.close()  # the next request opens a new connection
    # WHEN an impostor with a certificate from the very same CA takes over the address
    fake.stop()
    with FakePortainer(port=fake.port) as impostor:
        impostor.add_api_key()
        # THEN the request is refused at the handshake, naming both fingerprints, and the
        # impostor received no request at all (so no API key)
        with pytest.raises(UntrustedServerError) as caught:
            client.find_endpoint("none")
        presented = leaf_certificate(impostor.certificate_pem).sha256
        assert display(presented) in str(caught.value)
        assert display(pin) in str(caught.value)
        assert impostor.log == []


def test_fails_when_jwt_login_would_reach_an_impostor(fake: FakePortainer) -> None:
    # GIVEN a pin taken from one server and an impostor answering at its address
    pin = leaf_certificate(fake.certificate_pem).sha256
    fake.stop()
    with FakePortainer(port=fake.port) as impostor:
        impostor.seed_admin("admin", PASSWORD)
        client = make_client(
            impostor, Credentials(username="admin", password=PASSWORD), pinned_sha256=pin
        )
        # WHEN an authenticated call needs a login THEN the password never leaves
        with pytest.raises(UntrustedServerError):
            client.find_endpoint("x")
        assert impostor.log == []


def test_a_cut_handshake_is_not_mistaken_for_a_refused_certificate(
    fake: FakePortainer,
) -> None:
    # GIVEN a pinned client and an address that accepts TCP and closes at once (what Docker's
    # port proxy does while the container behind it is still starting)
    pin = leaf_certificate(fake.certificate_pem).sha256
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        stop = threading.Event()

        def close_every_connection() -> None:
            listener.settimeout(0.05)
            while not stop.is_set():
                with contextlib.suppress(OSError):
                    listener.accept()[0].close()

        worker = threading.Thread(target=close_every_connection, daemon=True)
        worker.start()
        port = listener.getsockname()[1]
        client = PortainerClient(
            f"https://127.0.0.1:{port}",
            Credentials(api_key="ptr_x"),
            ClientSettings(pinned_sha256=pin, retries=0),
        )
        # WHEN calling it THEN it is a connection problem the server wait retries, not a refusal
        try:
            with pytest.raises(PortainerConnectionError):
                client.system_status()
        finally:
            stop.set()
            worker.join(timeout=5)


def test_insecure_switch_accepts_a_self_signed_server(fake: FakePortainer) -> None:
    client = make_client(fake, Credentials(api_key=fake.add_api_key()), verify=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert client.system_status().Version == "2.44.0"


def test_unknown_route_is_reported_with_portainers_plain_text(fake: FakePortainer) -> None:
    client = make_client(fake, Credentials(api_key=fake.add_api_key()))
    with pytest.raises(PortainerHTTPError, match="404 page not found"):
        client.request("GET", "/api/no-such-route")


def test_fails_with_admin_init_timeout_explained(fake: FakePortainer) -> None:
    fake.admin_init_timed_out = True
    client = make_client(fake, Credentials(api_key="ptr_x"))
    with pytest.raises(AdminInitTimeoutError, match="Restart the Portainer"):
        client.system_status()


def test_admin_init_treats_existing_admin_as_success(fake: FakePortainer) -> None:
    client = make_client(fake, Credentials(username="admin", password=PASSWORD))
    assert client.admin_exists() is False
    assert client.init_admin() is True
    assert client.admin_exists() is True
    assert client.init_admin() is False  # 409: already bootstrapped


def test_agent_environment_is_created_as_multipart_with_literal_flags(
    fake: FakePortainer, agent: FakeAgent
) -> None:
    client = make_client(fake, Credentials(api_key=fake.add_api_key()))
    endpoint = client.create_agent_endpoint("drphoenix", agent.url)
    assert (endpoint.Type, endpoint.URL, endpoint.TLSConfig.TLSSkipVerify) == (
        2,
        agent.url,
        True,
    )
    [record] = fake.requests("POST", "/api/endpoints")
    assert record.body == {
        "Name": "drphoenix",
        "EndpointCreationType": "2",
        "URL": agent.url,
        "TLS": "true",
        "TLSSkipVerify": "true",
        "TLSSkipClientVerify": "true",
    }
    assert agent.pings == 1  # the server checked the agent like the real one does
