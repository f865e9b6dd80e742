"""CloudInitSnippet: user-data uploaded to a node's snippets datastore for VMs to boot with."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from imports.proxmox.virtual_environment_file import (
    VirtualEnvironmentFile,
    VirtualEnvironmentFileSourceRaw,
)

from .terraform_json import terraform_json_rules
from .validation import check


@dataclass(frozen=True, kw_only=True)
class CloudInitSnippetProps:
    """Props of CloudInitSnippet."""

    node_name: str
    """Node whose datastore receives the file (uploads go over SSH: a provider requirement)."""
    datastore_id: str
    """Datastore with the `Snippets` content type, e.g. `local`."""
    file_name: str
    """Stable per VM, e.g. `phoenix-vm-1002-user-data.yaml`, so the file id never changes."""
    user_data: str
    """The `#cloud-config` document: literal text, except Terraform tokens placed in it (a
    sensitive variable's value, say), which Terraform fills in."""


class CloudInitSnippet(Construct):
    """A `snippets` file; pass `file_id` to a VM's `user_data_file_id`.

    Every change to the content replaces the file (a provider rule); the VM decides what that
    means for it (see BootstrapChange).

    Terraform address: `proxmox_virtual_environment_file.<id>`.
    """

    def __init__(self, scope: Construct, id_: str, props: CloudInitSnippetProps) -> None:
        super().__init__(scope, id_)
        terraform_json_rules(scope)
        check(
            f"snippet {props.file_name}",
            [
                (
                    not props.user_data.startswith("#cloud-config\n"),
                    "user_data must start with #cloud-config",
                ),
                ("/" in props.file_name, "file_name must not contain '/'"),
            ],
        )
        self.file = VirtualEnvironmentFile(
            self,
            "resource",
            node_name=props.node_name,
            datastore_id=props.datastore_id,
            content_type="snippets",
            source_raw=VirtualEnvironmentFileSourceRaw(
                data=props.user_data, file_name=props.file_name
            ),
        )
        self.file.override_logical_id(id_)

    @property
    def file_id(self) -> str:
        """`<datastore>:snippets/<file_name>`, as a Terraform reference."""
        return self.file.id
