"""What the stand-in knows of one resource type beyond its schema: the provider's behaviour.

Each resource module (`resources/*.py`) fills one `ResourceRules` from the provider source
and cites the file each fact comes from.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .validators import Validator

State = dict[str, Any]
Objects = dict[str, Any]
"""The stand-in's Proxmox: remote objects by key (see world.py)."""
Step = tuple[str, Any]
"""One step of an attribute path: ("attr", name), ("index", n) or ("key", "name")."""
Path = tuple[Step, ...]


class ProviderError(Exception):
    """An error the real provider reports as a diagnostic (summary, optional detail)."""

    def __init__(self, summary: str, detail: str = "", path: Path = ()) -> None:
        super().__init__(summary)
        self.summary = summary
        self.detail = detail
        self.path = path


@dataclass(frozen=True)
class ResourceRules:
    """A resource type's behaviour in the real provider.

    Paths are dotted and index-free (`clone.vm_id`): a rule applies to every element.
    """

    type_name: str
    source: str
    """Where in bpg/terraform-provider-proxmox v0.111.1 the resource is defined."""
    legacy_type_system: bool = True
    """SDKv2 resources plan loosely (Terraform only warns); framework ones strictly."""
    defaults: Mapping[str, Any] = field(default_factory=dict)
    """Schema defaults, planned where the configuration leaves an attribute null."""
    force_new: frozenset[str] = frozenset()
    """Paths whose change plans a replacement (schema ForceNew / RequiresReplace)."""
    nested_computed: frozenset[str] = frozenset()
    """Sub-attributes of object attributes that the provider computes when unset."""
    state_funcs: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)
    """Top-level attributes the SDK normalises (StateFunc) before diffing and storing."""
    validators: Mapping[str, tuple[Validator, ...]] = field(default_factory=dict)
    """Validators per path, run on known configured values."""
    check_config: Callable[[State], list[ProviderError]] | None = None
    """Whole-configuration rules (ConflictsWith, ExactlyOneOf, ...)."""
    replace_when: Callable[[State, State], list[Path]] | None = None
    """CustomizeDiff rules forcing replacement: (prior, planned) -> paths."""
    recompute_when: Callable[[State, State], list[str]] | None = None
    """CustomizeDiff `ComputedIf` rules: (prior, planned) -> attributes unknown again."""
    fill_computed: Callable[[State], State] | None = None
    """Apply: plausible values for what the provider computes (ids, addresses, MACs), and
    what its Read normalises (sorted tags)."""
    world_key: Callable[[State], str | None] | None = None
    """The remote object whose existence a state depends on (see world.py)."""
    owns_world_key: bool = True
    """Whether applying creates and destroying deletes the `world_key` object (a guest's
    firewall depends on the guest but does not own it)."""
    parse_import_id: Callable[[str], State] | None = None
    """The importer: import id -> the attributes it sets; raises ProviderError on a bad id.
    None: not importable."""
    import_state: Callable[[State, Objects], State] | None = None
    """What Read fills after an import, for resources that do not own their world object.
    Default: the object's last applied state without `not_read_back`."""
    not_read_back: tuple[str, ...] = ()
    """Configured paths Read never sets: null (or empty) in a freshly imported state."""
    on_create: Callable[[State, Objects], None] | None = None
    """Remote preconditions of Create (e.g. "already exists"); raise ProviderError."""
    after_apply: Callable[[State | None, State | None, Objects], None] | None = None
    """Extra remote effects of an apply: (prior, new state or None on destroy, objects)."""
