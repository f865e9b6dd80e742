"""How the provider plans, validates and applies, over plain Python values.

Planning follows terraform-plugin-sdk/v2 (the provider's `proxmox_virtual_environment_*`
resources) and terraform-plugin-framework (the `proxmox_*` ones) closely enough that
Terraform's own plan shows what a real run would show:

- schema defaults fill attributes the configuration leaves null;
- computed attributes the configuration leaves null are unknown on create, keep their prior
  value on update, and are unknown again when the resource is replaced;
- a change at a ForceNew path, or a CustomizeDiff rule, plans a replacement
  (`requires_replace`), as the SDK's `RequiresNew` does.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .cty import UNKNOWN, contains_unknown
from .rules import Path, ProviderError, ResourceRules, State, Step
from .shape import Field, elements


def plan(
    rules: ResourceRules,
    fields: Mapping[str, Field],
    prior: State | None,
    proposed: State | None,
    config: State | None,
) -> tuple[State | None, list[Path]]:
    """(planned state, paths forcing replacement) for one resource instance."""
    if proposed is None:  # destroy
        return None, []
    planned = _plan_object(rules, fields, proposed, config or {}, prior, prior is None)
    for name, normalise in rules.state_funcs.items():
        if planned.get(name) is not None and planned[name] is not UNKNOWN:
            planned[name] = normalise(planned[name])
    if prior is None:
        return planned, []
    replace = force_new_changes(rules, fields, prior, planned)
    if rules.replace_when is not None:
        replace += [p for p in rules.replace_when(prior, planned) if p not in replace]
    if replace:
        # RequiresNew: the SDK diffs again against no state, so computed values are unknown.
        return plan(rules, fields, None, proposed, config)[0], replace
    if _same(prior, planned):
        return prior, []  # no change: the planned state is the prior state, byte for byte
    if rules.recompute_when is not None:
        for name in rules.recompute_when(prior, planned):
            planned[name] = UNKNOWN
    return planned, []


def _plan_object(
    rules: ResourceRules,
    fields: Mapping[str, Field],
    proposed: Mapping[str, Any],
    config: Mapping[str, Any],
    prior: Mapping[str, Any] | None,
    create: bool,
) -> State:
    planned: State = dict(proposed)
    for name, spec in fields.items():
        configured = config.get(name) if isinstance(config, dict) else None
        value = planned.get(name)
        prior_value = prior.get(name) if isinstance(prior, dict) else None
        if spec.holds_objects and value is not None and value is not UNKNOWN:
            planned[name] = _plan_elements(rules, spec, value, configured, prior_value, create)
            continue
        if configured is not None:
            continue
        if spec.path in rules.defaults:
            planned[name] = rules.defaults[spec.path]
        elif spec.computed and (create or prior is None):
            planned[name] = UNKNOWN
        elif spec.computed and value is None:
            # Terraform's proposed state carries prior values of computed attributes, but not
            # inside an object-typed attribute, which it takes from the configuration whole.
            planned[name] = prior_value
    return planned


def _plan_elements(
    rules: ResourceRules,
    spec: Field,
    value: Any,
    configured: Any,
    prior_value: Any,
    create: bool,
) -> Any:
    configured_items = dict(elements(configured, spec.collection))
    prior_items = dict(elements(prior_value, spec.collection))

    def one(key: Any, item: Any) -> Any:
        if item is None or item is UNKNOWN:
            return item
        return _plan_object(
            rules,
            spec.children,
            item,
            configured_items.get(key) or {},
            prior_items.get(key) if not create else None,
            create or key not in prior_items,
        )

    if spec.collection in ("list", "set"):
        return [one(index, item) for index, item in enumerate(value)]
    if spec.collection == "map":
        return {key: one(key, item) for key, item in value.items()}
    return one(None, value)


def force_new_changes(
    rules: ResourceRules, fields: Mapping[str, Field], prior: State, planned: State
) -> list[Path]:
    """Paths at ForceNew attributes whose planned value differs from the prior one."""
    changed: list[Path] = []
    for path in sorted(rules.force_new):
        for steps, before, after in _pairs(fields, prior, planned, path.split(".")):
            if not _same(before, after) and steps not in changed:
                changed.append(steps)
    return changed


def _pairs(
    fields: Mapping[str, Field], prior: Any, planned: Any, parts: list[str], steps: Path = ()
) -> Iterator[tuple[Path, Any, Any]]:
    """(concrete path, prior value, planned value) for every element a dotted path reaches."""
    name, rest = parts[0], parts[1:]
    spec = fields.get(name)
    before = prior.get(name) if isinstance(prior, dict) else None
    after = planned.get(name) if isinstance(planned, dict) else None
    here: Path = (*steps, ("attr", name))
    if not rest or spec is None or not spec.holds_objects:
        yield here, before, after
        return
    if after is UNKNOWN or before is UNKNOWN:
        yield here, before, after
        return
    before_items = dict(elements(before, spec.collection))
    after_items = dict(elements(after, spec.collection))
    for key in sorted(set(before_items) | set(after_items), key=str):
        step: tuple[Step, ...] = ()
        if spec.collection in ("list", "set"):
            step = (("index", key),)
        elif spec.collection == "map":
            step = (("key", key),)
        yield from _pairs(
            spec.children,
            before_items.get(key, {}),
            after_items.get(key, {}),
            rest,
            (*here, *step),
        )


def _same(before: Any, after: Any) -> bool:
    """Equal as the SDK compares: unknown is a change; null equals the type's zero value."""
    if before is UNKNOWN or after is UNKNOWN:
        return False
    if isinstance(before, dict) or isinstance(after, dict):
        before, after = before or {}, after or {}
        if not isinstance(before, dict) or not isinstance(after, dict):
            return False
        return all(_same(before.get(k), after.get(k)) for k in set(before) | set(after))
    if isinstance(before, list) or isinstance(after, list):
        before, after = before or [], after or []
        if not isinstance(before, list) or not isinstance(after, list):
            return False
        return len(before) == len(after) and all(
            _same(b, a) for b, a in zip(before, after, strict=True)
        )
    return bool(_zero(before) == _zero(after))


def _zero(value: Any) -> Any:
    return "" if value is None or value is False or value == 0 else value


def validate(
    rules: ResourceRules, fields: Mapping[str, Field], config: State
) -> list[ProviderError]:
    """Validator errors for the known values of a configuration."""
    errors: list[ProviderError] = []
    for path, checks in sorted(rules.validators.items()):
        for steps, _, value in _pairs(fields, {}, config, path.split(".")):
            if value is None or contains_unknown(value):
                continue
            key = path.rsplit(".", 1)[-1]
            for check in checks:
                items = value if isinstance(value, list) and _is_list_of_scalars(value) else [value]
                for item in items:
                    if item is None or item is UNKNOWN:
                        continue
                    message = check(key, item)
                    if message:
                        errors.append(ProviderError(message, path=steps))
    if rules.check_config is not None:
        errors += rules.check_config(config)
    return errors


def _is_list_of_scalars(value: list[Any]) -> bool:
    return all(not isinstance(item, (list, dict)) for item in value)


def settle(value: Any) -> Any:
    """`value` with every remaining unknown set to null: what the SDK stores for a computed
    attribute that neither Create nor Read set."""
    if value is UNKNOWN:
        return None
    if isinstance(value, dict):
        return {key: settle(item) for key, item in value.items()}
    if isinstance(value, list):
        return [settle(item) for item in value]
    return value


def clear(state: State, path: str, fields: Mapping[str, Field]) -> None:
    """Set a dotted path to null (an empty list for a list block) in every element."""
    parts = path.split(".")

    def walk(value: Any, specs: Mapping[str, Field], rest: list[str]) -> None:
        if not isinstance(value, dict):
            return
        spec = specs.get(rest[0])
        if spec is None:
            return
        if len(rest) == 1:
            value[rest[0]] = [] if spec.is_block and spec.collection in ("list", "set") else None
            return
        for _, item in elements(value.get(rest[0]), spec.collection):
            walk(item, spec.children, rest[1:])

    walk(state, fields, parts)


def get_path(state: Any, path: str) -> Any:
    """The value at a dotted path, taking the first element of every list on the way."""
    value = state
    for part in path.split("."):
        while isinstance(value, list):
            value = value[0] if value else None
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value
