"""No secret (API key, password, JWT, setup token, secret env value) in any output or repr."""

from __future__ import annotations

from pathlib import Path

import pytest

from portainer.client import Credentials, PortainerClient
from portainer.plan import StackItem
from portainer.secrets import Redactor
from tests.fakes.agent import FakeAgent, unreachable_agent_url
from tests.fakes.portainer import FakePortainer
from tests.portainer.conftest import Result, Runner, agent_doc, desired_doc, stack_doc

PASSWORD = "pw-Zq8v1x9Lk3mN"
SETUP_TOKEN = "setup-4f1c9e7a2b"
SECRET_VALUE = "qdrant-secret-7Hq2"
CHANGED_SECRET = "qdrant-secret-9Wd4"


def assert_clean(results: list[Result], secrets: list[str]) -> None:
    text = "\n".join(r.out + "\n" + r.err for r in results)
    assert text.strip()
    for secret in secrets:
        assert secret not in text, f"secret leaked: {secret[:3]}..."


def test_no_secret_in_any_output(fake: FakePortainer, agent: FakeAgent, tmp_path: Path) -> None:
    # GIVEN password + setup token + API key + secret env values, on a fresh Portainer
    fake.setup_token = SETUP_TOKEN
    runner = Runner(fake, tmp_path)
    runner.env.update(
        PORTAINER_USERNAME="admin",
        PORTAINER_PASSWORD=PASSWORD,
        PORTAINER_SETUP_TOKEN=SETUP_TOKEN,
        QDRANT_KEY=SECRET_VALUE,
    )
    desired = desired_doc(
        [
            agent_doc(
                "drphoenix", agent.url, [stack_doc("qdrant", secret_env={"API_KEY": "QDRANT_KEY"})]
            ),
            agent_doc("dead", unreachable_agent_url(), [stack_doc("web")]),
        ]
    )
    # WHEN running plan, apply, a secret change, JSON, an expired token and a bad login
    results = [runner(desired, "--dry-run"), runner(desired), runner(desired, "--json")]
    fake.expire_tokens(before=("GET", "/api/stacks"))
    results.append(runner(desired, QDRANT_KEY=CHANGED_SECRET))
    results.append(runner(desired, "--json", QDRANT_KEY="short"))
    results.append(runner(desired, PORTAINER_PASSWORD=PASSWORD + "-wrong"))
    key = fake.add_api_key()
    results.append(runner(desired, "--json", PORTAINER_API_KEY=key))
    # THEN the runs did work (a secret change is an update) ...
    assert "env ~API_KEY" in results[3].out
    # ... and no secret, nor any JWT the fake issued, appears anywhere
    jwts = list(fake._tokens)
    assert jwts
    assert_clean(results, [PASSWORD, SETUP_TOKEN, SECRET_VALUE, CHANGED_SECRET, key, *jwts])


def test_reprs_hide_secrets() -> None:
    creds = Credentials(api_key="ptr_abcdef", username="admin", password=PASSWORD)
    client = PortainerClient("https://127.0.0.1:1", creds)
    item = StackItem(name="qdrant", action=__import__("portainer.plan").plan.Action.CREATE)
    from portainer.models import Pair

    item.env = (Pair(name="API_KEY", value=SECRET_VALUE),)
    for text in (repr(creds), repr(client), repr(item), str(item)):
        assert PASSWORD not in text
        assert "ptr_abcdef" not in text
        assert SECRET_VALUE not in text


def test_redactor_masks_known_values_longest_first() -> None:
    redact = Redactor()
    redact.add("abcd")
    redact.add("abcdefgh")
    redact.add("x")  # too short to mask without garbling output
    assert redact("key=abcdefgh, pw=abcd, x") == "key=***, pw=***, x"


def test_unexpected_response_shapes_are_reported_without_values() -> None:
    # GIVEN a response whose stack env has a malformed entry holding a secret
    from portainer.client import PortainerHTTPError
    from portainer.models import Stack

    body = {"Id": 1, "Name": "x", "EndpointId": 1, "Env": [{"name": "K", "value": [SECRET_VALUE]}]}
    # WHEN parsing it THEN the error names the field, never the value
    with pytest.raises(PortainerHTTPError) as caught:
        PortainerClient.parse(Stack, body, "GET", "/api/stacks/1")
    assert "Env.0.value" in str(caught.value)
    assert SECRET_VALUE not in str(caught.value)
