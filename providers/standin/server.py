"""The tfplugin6 Provider service: Terraform's questions answered the way bpg/proxmox would."""

from __future__ import annotations

import functools
import json
import os
import re
import sys
import traceback
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import urlparse

from tf.gen import tfplugin_pb2 as pb
from tf.gen import tfplugin_pb2_grpc

from . import cty, planner
from .resources import RULES
from .rules import Path, ProviderError, ResourceRules, State
from .schema import ProviderSchema, ResourceSchema, load
from .shape import Field, fields_of
from .world import World

_API_TOKEN = re.compile(r"^\S+@\S+!\S+=([a-zA-Z0-9-]+)$")  # proxmox/api/credentials.go

Response = TypeVar("Response")


def _diagnostic(error: ProviderError) -> pb.Diagnostic:
    return pb.Diagnostic(
        severity=pb.Diagnostic.ERROR,
        summary=error.summary,
        detail=error.detail,
        attribute=_attribute_path(error.path) if error.path else None,
    )


def _attribute_path(path: Path) -> pb.AttributePath:
    steps = []
    for kind, value in path:
        if kind == "attr":
            steps.append(pb.AttributePath.Step(attribute_name=value))
        elif kind == "index":
            steps.append(pb.AttributePath.Step(element_key_int=int(value)))
        else:
            steps.append(pb.AttributePath.Step(element_key_string=str(value)))
    return pb.AttributePath(steps=steps)


def _guarded(response: Callable[..., Response]) -> Callable[[Callable[..., Response]], Any]:
    """Turn ProviderError (and, loudly, any bug) into diagnostics of `response`."""

    def decorate(method: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(method)
        def wrapper(self: Any, request: Any, context: Any) -> Response:
            try:
                return method(self, request, context)
            except ProviderError as error:
                return response(diagnostics=[_diagnostic(error)])
            except Exception as error:  # a stand-in bug must show, not hang Terraform
                traceback.print_exc(file=sys.stderr)
                return response(
                    diagnostics=[
                        pb.Diagnostic(
                            severity=pb.Diagnostic.ERROR,
                            summary=f"proxmox stand-in bug: {type(error).__name__}: {error}",
                        )
                    ]
                )

        return wrapper

    return decorate


class StandinProvider(tfplugin_pb2_grpc.ProviderServicer):  # type: ignore[misc]
    """bpg/proxmox as Terraform sees it, without a Proxmox."""

    def __init__(self, schema: ProviderSchema | None = None, world: World | None = None) -> None:
        self.schema = schema or load()
        self.world = world or World.from_env()

    # -- helpers -------------------------------------------------------------------------

    def _resource(self, type_name: str) -> tuple[ResourceSchema, ResourceRules, dict[str, Field]]:
        schema = self.schema.resources.get(type_name)
        if schema is None:
            raise ProviderError(f"unknown resource type {type_name}")
        rules = RULES.get(type_name) or ResourceRules(type_name=type_name, source="schema only")
        return schema, rules, _fields(type_name)

    @staticmethod
    def _value(dynamic: pb.DynamicValue, schema: ResourceSchema) -> Any:
        if dynamic.json:
            return cty.from_json(dynamic.json, schema.cty_type)
        return cty.decode(dynamic.msgpack, schema.cty_type)

    @staticmethod
    def _dynamic(value: Any, schema: ResourceSchema) -> pb.DynamicValue:
        return pb.DynamicValue(msgpack=cty.encode(value, schema.cty_type))

    def _capabilities(self) -> pb.ServerCapabilities:
        return pb.ServerCapabilities(plan_destroy=False, get_provider_schema_optional=False)

    # -- metadata and schema -------------------------------------------------------------

    def GetMetadata(self, request: Any, context: Any) -> Any:  # noqa: N802 (gRPC names)
        return pb.GetMetadata.Response(
            server_capabilities=self._capabilities(),
            resources=[
                pb.GetMetadata.ResourceMetadata(type_name=name) for name in self.schema.resources
            ],
        )

    def GetProviderSchema(self, request: Any, context: Any) -> Any:  # noqa: N802
        return pb.GetProviderSchema.Response(
            provider=self.schema.provider.proto(),
            resource_schemas={
                name: schema.proto() for name, schema in self.schema.resources.items()
            },
            server_capabilities=self._capabilities(),
        )

    def GetFunctions(self, request: Any, context: Any) -> Any:  # noqa: N802
        return pb.GetFunctions.Response()

    # -- provider configuration ----------------------------------------------------------

    @_guarded(pb.ValidateProviderConfig.Response)
    def ValidateProviderConfig(self, request: Any, context: Any) -> Any:  # noqa: N802
        config = self._value(request.config, self.schema.provider)
        endpoint = config.get("endpoint")
        if isinstance(endpoint, str) and endpoint:
            _check_endpoint(endpoint)
        return pb.ValidateProviderConfig.Response()

    @_guarded(pb.ConfigureProvider.Response)
    def ConfigureProvider(self, request: Any, context: Any) -> Any:  # noqa: N802
        config = self._value(request.config, self.schema.provider)
        _check_provider(config)
        return pb.ConfigureProvider.Response()

    def StopProvider(self, request: Any, context: Any) -> Any:  # noqa: N802
        return pb.StopProvider.Response()

    # -- resources -----------------------------------------------------------------------

    @_guarded(pb.ValidateResourceConfig.Response)
    def ValidateResourceConfig(self, request: Any, context: Any) -> Any:  # noqa: N802
        schema, rules, fields = self._resource(request.type_name)
        config = self._value(request.config, schema)
        errors = planner.validate(rules, fields, config)
        return pb.ValidateResourceConfig.Response(diagnostics=[_diagnostic(e) for e in errors])

    @_guarded(pb.UpgradeResourceState.Response)
    def UpgradeResourceState(self, request: Any, context: Any) -> Any:  # noqa: N802
        schema, _, _ = self._resource(request.type_name)
        raw = request.raw_state
        if raw.flatmap:
            raise ProviderError("the stand-in reads JSON state only (no flatmap)")
        state = cty.from_json(raw.json, schema.cty_type)
        return pb.UpgradeResourceState.Response(upgraded_state=self._dynamic(state, schema))

    @_guarded(pb.ReadResource.Response)
    def ReadResource(self, request: Any, context: Any) -> Any:  # noqa: N802
        schema, rules, _ = self._resource(request.type_name)
        state = self._value(request.current_state, schema)
        if state is not None and self.world.persistent and rules.world_key is not None:
            key = rules.world_key(state)
            if key is not None and self.world.get(key) is None:
                state = None  # deleted outside this state: Terraform plans to create it again
        return pb.ReadResource.Response(
            new_state=self._dynamic(state, schema), private=request.private
        )

    @_guarded(pb.PlanResourceChange.Response)
    def PlanResourceChange(self, request: Any, context: Any) -> Any:  # noqa: N802
        schema, rules, fields = self._resource(request.type_name)
        prior = self._value(request.prior_state, schema)
        proposed = self._value(request.proposed_new_state, schema)
        config = self._value(request.config, schema)
        planned, replace = planner.plan(rules, fields, prior, proposed, config)
        return pb.PlanResourceChange.Response(
            planned_state=self._dynamic(planned, schema),
            requires_replace=[_attribute_path(path) for path in replace],
            planned_private=request.prior_private,
            legacy_type_system=rules.legacy_type_system,
        )

    @_guarded(pb.ApplyResourceChange.Response)
    def ApplyResourceChange(self, request: Any, context: Any) -> Any:  # noqa: N802
        schema, rules, fields = self._resource(request.type_name)
        prior = self._value(request.prior_state, schema)
        planned = self._value(request.planned_state, schema)
        new_state = self._apply(rules, fields, prior, planned)
        return pb.ApplyResourceChange.Response(
            new_state=self._dynamic(new_state, schema),
            private=request.planned_private,
            legacy_type_system=rules.legacy_type_system,
        )

    def _apply(
        self,
        rules: ResourceRules,
        fields: dict[str, Field],
        prior: State | None,
        planned: State | None,
    ) -> Any:
        key_of = rules.world_key or (lambda state: None)
        with self.world.objects() as objects:
            if planned is None:  # destroy
                key = key_of(prior) if prior is not None else None
                if key is not None and rules.owns_world_key:
                    _forget(objects, key)
                if rules.after_apply is not None:
                    rules.after_apply(prior, None, objects)
                return None
            if prior is None and rules.on_create is not None:
                rules.on_create(planned, objects)
            filled = rules.fill_computed(planned) if rules.fill_computed else planned
            new_state = planner.settle(filled)
            key = key_of(new_state)
            if key is not None and rules.owns_world_key:
                objects[key] = {"type": rules.type_name, "state": new_state}
            if rules.after_apply is not None:
                rules.after_apply(prior, new_state, objects)
            return new_state

    @_guarded(pb.ImportResourceState.Response)
    def ImportResourceState(self, request: Any, context: Any) -> Any:  # noqa: N802
        schema, rules, fields = self._resource(request.type_name)
        if rules.parse_import_id is None:
            raise ProviderError(f"resource {request.type_name} doesn't support import")
        identity = rules.parse_import_id(request.id)
        state = self._imported(request.type_name, rules, fields, identity)
        if state is None:
            raise ProviderError(
                "Cannot import non-existent remote object",
                f"While attempting to import an existing object to {request.type_name}, the "
                f"provider detected that no object exists with the given id ({request.id}).",
            )
        return pb.ImportResourceState.Response(
            imported_resources=[
                pb.ImportResourceState.ImportedResource(
                    type_name=request.type_name, state=self._dynamic(state, schema)
                )
            ]
        )

    def _imported(
        self, type_name: str, rules: ResourceRules, fields: dict[str, Field], identity: State
    ) -> State | None:
        """The state Read fills after an import, or None when nothing exists there."""
        key = rules.world_key(identity) if rules.world_key else None
        with self.world.objects() as objects:
            record = objects.get(key) if key is not None else None
            if key is not None and record is None:
                return None
            if rules.import_state is not None:
                return rules.import_state(identity, objects)
            if record is None or record.get("type") != type_name:
                return None
            state: State = json.loads(json.dumps(record["state"]))
        for path in rules.not_read_back:
            planner.clear(state, path, fields)
        state.update({k: v for k, v in identity.items() if k not in rules.not_read_back})
        return state

    # -- data sources and the rest -------------------------------------------------------

    @_guarded(pb.ValidateDataResourceConfig.Response)
    def ValidateDataResourceConfig(self, request: Any, context: Any) -> Any:  # noqa: N802
        raise ProviderError(f"the stand-in serves no data source ({request.type_name})")

    @_guarded(pb.ReadDataSource.Response)
    def ReadDataSource(self, request: Any, context: Any) -> Any:  # noqa: N802
        raise ProviderError(f"the stand-in serves no data source ({request.type_name})")

    @_guarded(pb.MoveResourceState.Response)
    def MoveResourceState(self, request: Any, context: Any) -> Any:  # noqa: N802
        raise ProviderError("the provider does not support moving state between resource types")


@functools.cache
def _fields(type_name: str) -> dict[str, Field]:
    rules = RULES.get(type_name)
    nested_computed = rules.nested_computed if rules is not None else frozenset()
    return fields_of(load().resources[type_name].block, nested_computed)


def _forget(objects: dict[str, Any], key: str) -> None:
    """Remove an object and what Proxmox removes with it (a guest's firewall)."""
    objects.pop(key, None)
    for dependent in [k for k in objects if k.endswith(f"@{key}")]:
        objects.pop(dependent)


def _check_endpoint(endpoint: str) -> None:
    parsed = urlparse(endpoint)
    if not parsed.scheme or not parsed.netloc:
        raise ProviderError(
            "Unable to create Proxmox VE API connection",
            f'parse "{endpoint}": invalid URI for request',
            (("attr", "endpoint"),),
        )


def _check_provider(config: State) -> None:
    """What the real provider's Configure rejects before it talks to any API
    (fwprovider/provider.go Configure, proxmox/api/credentials.go NewCredentials)."""

    def setting(name: str, env: str) -> str:
        value = config.get(name)
        return value if isinstance(value, str) and value else os.environ.get(env, "")

    endpoint = setting("endpoint", "PROXMOX_VE_ENDPOINT")
    if not endpoint:
        raise ProviderError(
            "Missing Proxmox VE API Endpoint",
            "The provider cannot create the Proxmox VE API client as there is a missing or "
            "empty value for the API endpoint.",
            (("attr", "endpoint"),),
        )
    _check_endpoint(endpoint)
    token = setting("api_token", "PROXMOX_VE_API_TOKEN")
    username = setting("username", "PROXMOX_VE_USERNAME")
    password = setting("password", "PROXMOX_VE_PASSWORD")
    ticket = setting("auth_ticket", "PROXMOX_VE_AUTH_TICKET")
    csrf = setting("csrf_prevention_token", "PROXMOX_VE_CSRF_PREVENTION_TOKEN")
    problem = ""
    if token and not _API_TOKEN.match(token):
        problem = "the API token must be in the format 'USER@REALM!TOKENID=UUID'"
    elif token or (ticket and csrf):
        problem = ""
    elif username and password and "@" not in username:
        problem = "the username must end with '@pve' or '@pam'"
    elif not (username and password):
        problem = "must provide either username and password, an API token, or a ticket"
    if problem:
        raise ProviderError("Unable to create Proxmox VE API credentials", problem)


def all_rules() -> Iterable[ResourceRules]:
    """Every resource type the stand-in knows more of than its schema."""
    return RULES.values()
