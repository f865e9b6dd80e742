"""RemoteConfigFile: a generated config file delivered to a guest over SSH, then installed."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from constructs import Construct

from cdk import DataResource, FileProvisioner, RemoteExecProvisioner, SSHProvisionerConnection

from .container import PhoenixContainer
from .terraform_json import terraform_json_rules
from .validation import check
from .vm import PhoenixVm


@dataclass(frozen=True, kw_only=True)
class RemoteConfigFileProps:
    """Props of RemoteConfigFile."""

    guest: PhoenixVm | PhoenixContainer
    """The guest receiving the file; a new guest (new id) gets the file again."""
    host: str
    """Address Terraform's SSH connects to (the guest's static address)."""
    content: str
    """The file's exact text."""
    staged_path: str
    """Where the upload lands before `commands` install it."""
    commands: Sequence[str]
    """Shell lines run as one script after the upload (`remote-exec` inline); they should
    verify, install and reload, and fail loudly."""
    user: str = "root"
    """SSH login. Default: root."""
    port: int = 22
    """SSH port. Default: 22."""
    connect_timeout: str = "5m"
    """How long to wait for SSH (the guest may still be booting). Default: 5m."""


class RemoteConfigFile(Construct):
    """A `terraform_data` with `file` and `remote-exec` provisioners over SSH.

    Authentication uses the deploying user's ssh-agent: no key ever enters the plan. The step
    runs again when the content's SHA-256 or the guest changes.

    Terraform address: `terraform_data.<id>`.
    """

    def __init__(self, scope: Construct, id_: str, props: RemoteConfigFileProps) -> None:
        super().__init__(scope, id_)
        terraform_json_rules(scope)
        check(
            f"remote file {id_}",
            [
                (not props.staged_path.startswith("/"), "staged_path must be absolute"),
                (not props.commands, "commands must install the uploaded file"),
                (not props.host, "host is required"),
            ],
        )
        guest_id = (
            props.guest.vm.id if isinstance(props.guest, PhoenixVm) else props.guest.container.id
        )
        connection = SSHProvisionerConnection(
            type="ssh",
            host=props.host,
            user=props.user,
            port=props.port if props.port != 22 else None,
            agent="true",
            timeout=props.connect_timeout,
        )
        self.resource = DataResource(
            self,
            "resource",
            triggers_replace={
                "content_sha256": hashlib.sha256(props.content.encode("utf-8")).hexdigest(),
                "guest": guest_id,
            },
            connection=connection,
            provisioners=[
                FileProvisioner(type="file", content=props.content, destination=props.staged_path),
                RemoteExecProvisioner(type="remote-exec", inline=list(props.commands)),
            ],
        )
        self.resource.override_logical_id(id_)
