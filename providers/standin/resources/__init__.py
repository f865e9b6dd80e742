"""The provider's behaviour per resource type, from its source at v0.111.1."""

from __future__ import annotations

from ..rules import ResourceRules
from . import container, download_file, file, firewall, ha, hardware_mapping, vm

RULES: dict[str, ResourceRules] = {
    rules.type_name: rules
    for rules in (
        vm.RULES,
        container.RULES,
        file.RULES,
        download_file.RULES,
        firewall.OPTIONS,
        firewall.RULES,
        firewall.CLUSTER,
        hardware_mapping.RULES,
        ha.RESOURCE,
        ha.GROUP,
        ha.RULE,
    )
}
