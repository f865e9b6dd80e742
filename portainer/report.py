"""Render a :class:`~portainer.plan.Plan` for people (terraform-plan-like) and machines (JSON).

Exit codes (like ``terraform plan -detailed-exitcode``): 1 when anything failed, conflicts or
is not up after the apply; otherwise 0, or with ``detailed`` 2 when there are (dry run) or were
(apply) changes.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from portainer.docker_proxy import printable
from portainer.plan import Action, EnvironmentItem, Plan, StackItem

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2

_PLANNED = {
    Action.CREATE: "to create",
    Action.UPDATE: "to update",
    Action.START: "to start",
    Action.DELETE: "to delete",
}
_DONE = {
    Action.CREATE: "created",
    Action.UPDATE: "updated",
    Action.START: "started",
    Action.DELETE: "deleted",
}


def exit_code(plan: Plan, detailed: bool = False) -> int:
    """0 converged / no changes, 2 changes (only when ``detailed``), 1 failures or conflicts."""
    if plan.failed:
        return EXIT_ERROR
    if detailed and plan.has_changes:
        return EXIT_CHANGES
    return EXIT_OK


def _status(item: EnvironmentItem | StackItem, dry_run: bool) -> str:
    if isinstance(item, StackItem) and item.unhealthy:
        return "unhealthy"
    if item.failed:
        return "failed"
    if item.action is Action.CONFLICT:
        return "conflict"
    return "planned" if dry_run else "ok"


def _symbol(item: EnvironmentItem | StackItem) -> str:
    return Action.FAILED.symbol if item.failed else item.action.symbol


def _verb(item: EnvironmentItem | StackItem, dry_run: bool) -> str:
    health = item.health if isinstance(item, StackItem) else None
    if item.failed and item.action is not Action.FAILED and health is None:
        return f"{item.action.value} failed"
    verb = _DONE[item.action] if item.action in _DONE and not dry_run else item.action.value
    if health is not None:
        verb += ", healthy" if health.healthy else ", unhealthy"
    return verb


def counts(plan: Plan) -> Counter[str]:
    """Items per outcome: the action for successful ones, ``failed``, ``conflict``."""
    tally: Counter[str] = Counter()
    for item in plan.items():
        if isinstance(item, StackItem) and item.unhealthy:
            tally["unhealthy"] += 1
        elif item.failed:
            tally["failed"] += 1
        else:
            tally[item.action.value] += 1
    return tally


def summary_line(plan: Plan) -> str:
    """The final count line."""
    tally = counts(plan)
    words = _PLANNED if plan.dry_run else _DONE
    parts = [f"{tally[a.value]} {words[a]}" for a in words]
    parts += [
        f"{tally['unchanged']} unchanged",
        f"{tally['keep']} kept",
        f"{tally['conflict']} conflict(s)",
        f"{tally['failed']} failed",
    ]
    if tally["unhealthy"]:
        parts.append(f"{tally['unhealthy']} unhealthy")
    head = "Plan" if plan.dry_run else "Apply complete" if not plan.failed else "Apply finished"
    return f"{head}: {', '.join(parts)}."


def render_human(plan: Plan) -> str:
    """Multi-line text like ``terraform plan``: one line per environment and stack."""
    mode = " (dry run: nothing written)" if plan.dry_run else ""
    lines = [f"Portainer {plan.server_url} (owner {plan.owner}){mode}"]
    if plan.admin_init:
        verb = "would create" if plan.dry_run else "created"
        lines.append(f"+ administrator: {verb}")
    for env in plan.environments:
        text = f"{_symbol(env)} environment {env.name} ({env.url}): {_verb(env, plan.dry_run)}"
        details = env.reasons + ([env.error] if env.error else [])
        if details:
            text += " - " + _inline("; ".join(details))
        lines.append(text)
        for stack in env.stacks:
            text = f"    {_symbol(stack)} stack {stack.name}: {_verb(stack, plan.dry_run)}"
            details = stack.reasons + ([stack.error] if stack.error else [])
            if stack.unhealthy and stack.health is not None:
                details += stack.health.problems()
            if details:
                text += " - " + _inline("; ".join(details))
            lines.append(text)
            lines += _log_lines(stack)
    if plan.error:
        lines.append(f"Error: {_inline(plan.error)}")
    lines.append(summary_line(plan))
    return "\n".join(lines)


def _inline(text: str) -> str:
    """Portainer's words on the item's own line: a multi-line answer (Compose's output) joined
    with " / ", terminal escape sequences and control characters dropped."""
    return " / ".join(printable(line) for line in text.splitlines() if line.strip())


def _log_lines(stack: StackItem) -> list[str]:
    """The last log lines of an unhealthy stack's failing containers, indented under it."""
    if stack.health is None or stack.health.healthy:
        return []
    out: list[str] = []
    for service in stack.health.services:
        for container, logs in service.logs.items():
            out.append(f"        last {len(logs)} log lines of {container} ({service.service}):")
            out += [f"        | {line}" for line in logs]
    return out


def _item_json(item: EnvironmentItem | StackItem, dry_run: bool) -> dict[str, Any]:
    return {
        "name": item.name,
        "action": item.action.value,
        "status": _status(item, dry_run),
        "reasons": list(item.reasons),
        "error": item.error,
    }


def render_json(plan: Plan, detailed: bool = False) -> dict[str, Any]:
    """The machine-readable report (no secret values: env is reported by name only)."""
    environments = []
    for env in plan.environments:
        data = _item_json(env, plan.dry_run)
        data.update(url=env.url, id=env.endpoint_id, changes=sorted(env.changes))
        data["stacks"] = [
            {
                **_item_json(s, plan.dry_run),
                "id": s.stack_id,
                "health": s.health.to_json() if s.health is not None else None,
            }
            for s in env.stacks
        ]
        environments.append(data)
    return {
        "dry_run": plan.dry_run,
        "server": plan.server_url,
        "owner": plan.owner,
        "admin_init": plan.admin_init,
        "error": plan.error,
        "environments": environments,
        "summary": dict(sorted(counts(plan).items())),
        "changes": plan.has_changes,
        "converged": not plan.failed and (not plan.dry_run or not plan.has_changes),
        "exit_code": exit_code(plan, detailed),
    }
