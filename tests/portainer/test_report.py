"""The human report keeps one line per environment and stack, whatever Portainer answers."""

from __future__ import annotations

from portainer.plan import Action, EnvironmentItem, Plan, StackItem
from portainer.report import render_human


def test_a_multi_line_answer_stays_on_its_stacks_line() -> None:
    # GIVEN a stack whose deployment failed with Compose's multi-line, coloured output
    answer = (
        "failed to deploy a stack: compose up:\n"
        "\x1b[31m container qdrant  Error\x1b[0m\n\n"
        "Error response from daemon: port is already allocated"
    )
    stack = StackItem(name="qdrant", action=Action.CREATE)
    stack.fail(answer)
    environment = EnvironmentItem(
        name="drphoenix", url="tcp://10.0.0.102:9001", action=Action.UNCHANGED, stacks=[stack]
    )
    plan = Plan(owner="phoenix", server_url="https://10.0.0.101:9443", dry_run=False)
    plan.environments.append(environment)
    # WHEN it is rendered for people
    lines = render_human(plan).splitlines()
    # THEN the answer is on the stack's line, its lines joined, escape sequences gone
    [line] = [text for text in lines if "stack qdrant" in text]
    assert line.endswith(
        " - failed to deploy a stack: compose up: /  container qdrant  Error / "
        "Error response from daemon: port is already allocated"
    )
    assert "\x1b" not in "\n".join(lines)
    assert len(lines) == 4  # title, environment, stack, summary
