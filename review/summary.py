"""Terraform's plan and the desired Portainer state, summarised as a pull request comment.

One line per guest and per stack, in the fleet's words, destructive changes first with what
forces them and what is lost. Everything comes from `terraform show -json` of the plan and from
the synthesized stacks of the two revisions; nothing is guessed from config text.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fleet.hints import one_line

from .words import changed_settings, kind_of, reason

VM = "proxmox_virtual_environment_vm"
CONTAINER = "proxmox_virtual_environment_container"
GUEST_TYPES = (VM, CONTAINER)
HA_ENTRY = "proxmox_haresource"
HA_PREFERENCES = ("proxmox_harule", "proxmox_hagroup")
_ROUTE_LINE = re.compile(r"^#   (\S+)\s+(\S+)\s+->\s+(\S+)\s+\((.+)\)$")


@dataclass
class Side:
    """One revision as the plan sees it: its guests (the `inventory` output), its desired
    Portainer state (the `portainer` output) and its gateway site's text, when known."""

    guests: dict[int, dict[str, Any]] = field(default_factory=dict)
    portainer: dict[str, Any] | None = None
    gateway_site: str | None = None

    @classmethod
    def from_outputs(cls, inventory: Any, portainer: Any, gateway_site: str | None = None) -> Side:
        guests = {guest["vmid"]: guest for guest in inventory or []}
        return cls(guests, _unescape_deep(portainer), _unescape(gateway_site))


def sides(plan: Mapping[str, Any]) -> tuple[Side, Side]:
    """(before, after) from the plan's own output changes."""
    outputs = plan.get("output_changes", {})

    def value(name: str, when: str) -> Any:
        return (outputs.get(name) or {}).get(when)

    return (
        Side.from_outputs(value("inventory", "before"), value("portainer", "before")),
        Side.from_outputs(value("inventory", "after"), value("portainer", "after")),
    )


def gateway_text(infra: Mapping[str, Any] | None) -> str | None:
    """The gateway site's text in a synthesized infra stack, if it has one."""
    site = (infra or {}).get("resource", {}).get("terraform_data", {}).get("gateway_site")
    if not site:
        return None
    for provisioner in site.get("provisioner", []):
        if "file" in provisioner:
            return _unescape(str(provisioner["file"]["content"]))
    return None


@dataclass
class Line:
    """One reviewed item."""

    group: str
    text: str


@dataclass
class Review:
    """The summary: lines by group, and whether it destroys a guest."""

    lines: list[Line] = field(default_factory=list)
    destructive: bool = False

    def add(self, group: str, text: str) -> None:
        self.lines.append(Line(group, text))

    def markdown(self, title: str) -> str:
        out = [f"### {title}", ""]
        if not self.lines:
            out.append("No changes: guests, gateway and Portainer stay as they are.")
            return "\n".join(out) + "\n"
        if self.destructive:
            out += ["**This change destroys or rebuilds guests: read the first section.**", ""]
        for group in GROUPS:
            items = [line.text for line in self.lines if line.group == group]
            if items:
                out += [f"**{group}**", "", *(f"- {item}" for item in items), ""]
        return "\n".join(out).rstrip() + "\n"


GROUPS = (
    "Replaced or destroyed",
    "Created",
    "Imported (adopt)",
    "Updated in place",
    "High availability",
    "Gateway",
    "Portainer",
)


VMID_WORD = "VMID"
"""The setting word of `vm_id` (review/words.py): said once in a renumbered guest's line."""


def review(
    plan: Mapping[str, Any], base: Side, head: Side, volumes: Mapping[int, Sequence[str]]
) -> Review:
    """The summary of `plan` (terraform show -json) between two synthesized revisions.
    `volumes` gives the head's NFS mounts per VM (`export -> mount point`), for what survives."""
    result = Review()
    changes = [c for c in plan.get("resource_changes", []) if c["type"] in GUEST_TYPES]
    deleted = {_vmid(c): c for c in changes if c["change"]["actions"] == ["delete"]}
    created = {_vmid(c): c for c in changes if c["change"]["actions"] == ["create"]}
    renumbered = _renumbered(deleted, created, base, head)
    for change in changes:
        actions = change["change"]["actions"]
        vmid = _vmid(change)
        label = _label(change, vmid, base, head)
        if actions == ["no-op"] or (actions == ["update"] and not _settings(change)):
            if change["change"].get("importing"):
                result.add("Imported (adopt)", f"{label}: imported as it is")
            continue
        if vmid in renumbered.values() or vmid in renumbered:
            continue
        if "delete" in actions and "create" in actions:
            result.destructive = True
            why = "; ".join(sorted({reason(p) for p in change["change"].get("replace_paths", [])}))
            moved = change.get("previous_address")
            before = f" (was {moved})" if moved else ""
            result.add(
                "Replaced or destroyed",
                f"{label}{before}: **rebuilt** because {why or 'a setting cannot change'}. "
                f"{_loss(change['type'], vmid, volumes)}{_also(_settings(change))}",
            )
        elif actions == ["delete"]:
            result.destructive = True
            result.add("Replaced or destroyed", f"{label}: **destroyed**; its disks go with it")
        elif actions == ["create"]:
            result.add("Created", f"{label}: created")
        else:
            settings = "; ".join(
                f"{word}: {_fmt(a)} → {_fmt(b)}" for word, (a, b) in _settings(change).items()
            )
            result.add("Updated in place", f"{label}: {settings}")
    for old, new in sorted(renumbered.items()):
        result.destructive = True
        name = head.guests[new]["name"]
        carried = changed_settings(
            created[new]["type"],
            deleted[old]["change"].get("before"),
            created[new]["change"].get("after"),
        )
        carried.pop(VMID_WORD, None)
        result.add(
            "Replaced or destroyed",
            f"{name} (VMID {old} → {new}): **rebuilt** because its VMID changes (Proxmox cannot "
            f"renumber a guest). {_loss(created[new]['type'], new, volumes)}{_also(carried)} "
            f"Without `renumbered_from: {old}` Terraform creates the new guest while the old one "
            "still runs (same name, same address): add it to the guest.",
        )
    _high_availability(result, plan, base, head)
    _gateway(result, base, head)
    _portainer(result, base.portainer, head.portainer)
    return result


def _also(settings: Mapping[str, tuple[Any, Any]]) -> str:
    """What else the rebuilt guest comes back with, so no change hides behind a rebuild.
    Values Terraform learns only on apply (a new snippet's id, a generated MAC) are left out."""
    known = {word: pair for word, pair in settings.items() if pair[1] is not None}
    if not known:
        return ""
    changes = "; ".join(f"{word}: {_fmt(a)} → {_fmt(b)}" for word, (a, b) in known.items())
    return f" It comes back with {changes}."


def _high_availability(result: Review, plan: Mapping[str, Any], base: Side, head: Side) -> None:
    """HA entries turned on or off, and HA groups (rules on Proxmox VE 9) added, changed or
    removed. An entry replaced with its rebuilt guest is that guest's line already."""
    for change in plan.get("resource_changes", []):
        actions = change["change"]["actions"]
        if change["type"] == HA_ENTRY:
            vmid = _vmid(change)
            guest = head.guests.get(vmid) or base.guests.get(vmid) or {}
            kind = {"vm": "VM", "container": "container"}.get(guest.get("kind", ""), "guest")
            label = f"{guest.get('name', change['address'])} ({kind} {vmid})"
            if actions == ["create"]:
                result.add("High availability", f"{label}: HA-managed from now on")
            elif actions == ["delete"]:
                result.add(
                    "High availability",
                    f"{label}: no longer HA-managed (it stays down with its node)",
                )
            elif actions == ["update"]:
                after = change["change"].get("after") or {}
                before = change["change"].get("before") or {}
                changed = sorted(key for key in after if after.get(key) != before.get(key))
                if changed:
                    result.add("High availability", f"{label}: HA {', '.join(changed)} changed")
        elif change["type"] in HA_PREFERENCES and actions != ["no-op"]:
            body = change["change"].get("after") or change["change"].get("before") or {}
            name = body.get("rule") or body.get("group") or change["name"]
            what = {"create": "added", "delete": "removed", "update": "members or nodes changed"}
            verb = what.get(actions[-1], "replaced") if len(actions) == 1 else "replaced"
            result.add("High availability", f"HA group {name}: {verb}")


def _settings(change: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    return changed_settings(
        change["type"], change["change"].get("before"), change["change"].get("after")
    )


def _vmid(change: Mapping[str, Any]) -> int:
    digits = re.search(r"(\d+)$", change["name"])
    return int(digits.group(1)) if digits else 0


def _label(change: Mapping[str, Any], vmid: int, base: Side, head: Side) -> str:
    guest = head.guests.get(vmid) or base.guests.get(vmid) or {}
    kind = "template" if change["name"].startswith("template_") else kind_of(change["type"])
    what = {"vm": "VM", "container": "container", "template": "template"}.get(kind, kind)
    return f"{guest.get('name', change['address'])} ({what} {vmid})"


def _renumbered(
    deleted: Mapping[int, Any], created: Mapping[int, Any], base: Side, head: Side
) -> dict[int, int]:
    """Old VMID -> new VMID for a guest that keeps its name under another VMID."""
    new_by_name = {head.guests[v]["name"]: v for v in created if v in head.guests}
    return {
        old: new_by_name[base.guests[old]["name"]]
        for old in deleted
        if old in base.guests and base.guests[old]["name"] in new_by_name
    }


def _loss(resource_type: str, vmid: int, volumes: Mapping[int, Sequence[str]]) -> str:
    if resource_type == CONTAINER:
        return "Its root disk is lost; bind mounts on the node survive."
    kept = volumes.get(vmid) or []
    survive = f" ({', '.join(kept)})" if kept else ""
    return f"Its local disk is lost; NFS volumes survive{survive}."


def _gateway(result: Review, base: Side, head: Side) -> None:
    if base.gateway_site == head.gateway_site:
        return
    old, new = _routes(base.gateway_site), _routes(head.gateway_site)
    lines = [f"+ {route}" for route in new if route not in old]
    lines += [f"- {route}" for route in old if route not in new]
    detail = "; ".join(lines) if lines else "the site's settings change, routes stay"
    verb = "site created" if base.gateway_site is None else "site rewritten"
    result.add("Gateway", f"{verb} and delivered again: {detail}")


def _routes(site: str | None) -> list[str]:
    routes = []
    for line in (site or "").splitlines():
        match = _ROUTE_LINE.match(line)
        if match:
            host, path, upstream, name = match.groups()
            where = path if host == "*" else f"{host}{path}"
            routes.append(f"{where} → {name} ({upstream})")
    return routes


def _portainer(
    result: Review, base: Mapping[str, Any] | None, head: Mapping[str, Any] | None
) -> None:
    old_agents = {a["name"]: a for a in (base or {}).get("agents", [])}
    new_agents = {a["name"]: a for a in (head or {}).get("agents", [])}
    for name, agent in sorted(new_agents.items()):
        before = old_agents.get(name)
        if before is None:
            result.add("Portainer", f"environment {name}: added ({agent['url']})")
        elif before["url"] != agent["url"]:
            result.add("Portainer", f"environment {name}: URL {before['url']} → {agent['url']}")
        old_stacks = {s["name"]: s for s in (before or {}).get("stacks", [])}
        for stack in agent.get("stacks", []):
            was = old_stacks.get(stack["name"])
            where = f"stack {stack['name']} on {name}"
            if was is None:
                result.add("Portainer", f"{where}: created")
                continue
            said = []  # one line per stack, whatever changed about it
            if _written(was) != _written(stack):
                said.append(f"updated ({_stack_delta(was, stack)})")
            if was.get("health") != stack.get("health"):
                # Checked after every deploy, never written to Portainer.
                delta = _health_delta(was.get("health") or {}, stack.get("health") or {})
                said.append(f"health check changed ({delta})")
            if said:
                result.add("Portainer", f"{where}: {'; '.join(said)}")
        for gone in sorted(set(old_stacks) - {s["name"] for s in agent.get("stacks", [])}):
            result.add(
                "Portainer",
                f"stack {gone} on {name}: no longer declared (kept; removed by a reconcile with "
                "--prune)",
            )
    for name in sorted(set(old_agents) - set(new_agents)):
        result.add("Portainer", f"environment {name}: no longer declared (kept, with its stacks)")


def _written(stack: Mapping[str, Any]) -> dict[str, Any]:
    """What the reconcile writes to Portainer for a stack (its health is only read)."""
    return {key: value for key, value in stack.items() if key != "health"}


def _health_delta(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    def urls(health: Mapping[str, Any]) -> set[str]:
        return {
            t["url"] + (f" (Host: {t['host']})" if t.get("host") else "")
            for p in health.get("probes", [])
            for t in p.get("targets", [])
        }

    parts = [f"+ probe {url}" for url in sorted(urls(after) - urls(before))]
    parts += [f"- probe {url}" for url in sorted(urls(before) - urls(after))]
    if before.get("services") != after.get("services"):
        parts.append("services " + (", ".join(after.get("services", [])) or "any"))
    return ", ".join(parts) or "probe settings"


def _stack_delta(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    parts = []
    if before.get("compose") != after.get("compose"):
        diff = list(
            difflib.unified_diff(
                str(before.get("compose")).splitlines(), str(after.get("compose")).splitlines(), n=0
            )
        )
        added = sum(1 for line in diff if line.startswith("+") and not line.startswith("+++"))
        removed = sum(1 for line in diff if line.startswith("-") and not line.startswith("---"))
        parts.append(f"compose +{added} -{removed} lines")
    for key in ("env", "secret_env"):
        old = {v["name"] for v in before.get(key, [])}
        new = {v["name"] for v in after.get(key, [])}
        changed = {
            v["name"]
            for v in after.get(key, [])
            if v not in before.get(key, []) and v["name"] in old
        }
        for name in sorted(new - old):
            parts.append(f"+ {name}")
        for name in sorted(old - new):
            parts.append(f"- {name}")
        for name in sorted(changed):
            parts.append(f"~ {name}")
    return ", ".join(parts) or "settings"


# Characters Markdown or HTML would act on. A setting's value is config text from the pull
# request under review: written as is, `<!--` could hide the lines after it, and a line break
# followed by `**Created**` could forge a section.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]<>|~])")


def _fmt(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    text = text if len(text) <= 60 else text[:57] + "..."
    return _MARKDOWN.sub(r"\\\1", one_line(text))


def _unescape(text: str | None) -> str | None:
    return None if text is None else text.replace("$${", "${").replace("%%{", "%{")


def _unescape_deep(value: Any) -> Any:
    if isinstance(value, str):
        return _unescape(value)
    if isinstance(value, dict):
        return {k: _unescape_deep(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unescape_deep(v) for v in value]
    return value
