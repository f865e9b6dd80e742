"""What a config declared but Phoenix could not validate, so fleet checks stay quiet about it.

When `templates.9000` is invalid its own problems are reported; a VM cloning template 9000 must
not add "template 9000 is not declared" on top. Checks ask this registry before blaming a
reference.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .sections import SectionOutcome

GUEST_FIELDS = ("templates", "vms", "containers")


@dataclass
class InvalidParts:
    """Files, fields and entries that exist in the config but failed validation."""

    sections: set[str] = field(default_factory=set)
    """Files that are missing although required, unreadable, or present twice."""
    fields: set[tuple[str, str]] = field(default_factory=set)
    """(file, top-level field) whose whole value was invalid."""
    entries: dict[tuple[str, str], dict[Any, Any]] = field(default_factory=dict)
    """(file, field) -> validated key -> raw value, for entries whose value was invalid."""
    keys: dict[tuple[str, str], dict[Any, Any]] = field(default_factory=dict)
    """(file, field) -> key as written -> raw value, for entries whose key was invalid."""
    compose: set[str] = field(default_factory=set)
    """Stacks whose compose file could not be used."""

    def record(self, section: str, outcome: SectionOutcome) -> None:
        """Remember what validating `section` dropped."""
        self.fields.update((section, name) for name in outcome.invalid_fields)
        for name, entries in outcome.invalid_entries.items():
            self.entries.setdefault((section, name), {}).update(entries)
        for name, entries in outcome.invalid_keys.items():
            self.keys.setdefault((section, name), {}).update(entries)

    def section(self, section: str) -> bool:
        """The whole file is unusable."""
        return section in self.sections

    def field(self, section: str, name: str) -> bool:
        """The field (or its whole file) is unusable."""
        return section in self.sections or (section, name) in self.fields

    def entry(self, section: str, name: str, key: Any) -> bool:
        """The entry `key` of an entries field was declared but is unusable."""
        return self.field(section, name) or key in self.entries.get((section, name), {})

    def entry_keys(self, section: str, name: str) -> list[Any]:
        """Keys of invalid entries whose key itself is valid."""
        return list(self.entries.get((section, name), {}))

    def has_invalid(self, section: str, name: str) -> bool:
        """Some entry of the field (or the field, or the file) is unusable."""
        return (
            self.field(section, name)
            or bool(self.entries.get((section, name)))
            or bool(self.keys.get((section, name)))
        )

    def invalid_key_names(self, section: str, name: str) -> list[Any]:
        """Every key, as written, of an unusable entry (its key valid or not)."""
        written = list(self.entries.get((section, name), {}))
        return written + list(self.keys.get((section, name), {}))

    def guest_entries(self) -> Iterator[tuple[str, Any, Any]]:
        """(field, key, raw value) of every unusable guest entry, valid VMID or not."""
        for name in GUEST_FIELDS:
            for key, raw in self.entries.get(("guests", name), {}).items():
                yield name, key, raw
            for key, raw in self.keys.get(("guests", name), {}).items():
                yield name, key, raw

    def guest_may_be(self, guest_name: str) -> bool:
        """A guest of this name may have been declared in an unusable part of `guests`."""
        if any(self.field("guests", name) for name in GUEST_FIELDS):
            return True
        for _, _, raw in self.guest_entries():
            written = raw.get("name") if isinstance(raw, dict) else None
            # An entry without a readable name could be the one meant.
            if not isinstance(written, str) or written.strip() == guest_name:
                return True
        return False

    def stack_unusable(self, stack: str) -> bool:
        """The stack was declared but its entry or its compose file is unusable."""
        return (
            self.field("stacks", "stacks")
            or stack in self.entries.get(("stacks", "stacks"), {})
            or stack in self.keys.get(("stacks", "stacks"), {})
            or stack in self.compose
        )
