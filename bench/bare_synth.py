"""The bare-cdktf baseline: synthesize a given number of raw resources with no Phoenix code.

    python -m bench.bare_synth --outdir DIR --counts '{"proxmox_virtual_environment_vm": 9, ...}'

It is what a cdktf user would write by hand to get the same Terraform resources as Phoenix: one
`App`, one stack, the provider, and a loop creating each resource type from the generated
bindings in `imports/` with the same attributes Phoenix sets (nested blocks, a ~1.5 KB cloud-init
text per snippet, references from VMs to their snippet and from firewalls to their guest).
It has no config loading, validation, construct wrappers, rendering or outputs: that is the
overhead the benchmark charges to Phoenix. Run as its own process, like `python main.py`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from constructs import Construct

from cdk import App, DataResource, LocalBackend, TerraformResourceLifecycle, TerraformStack, Token
from imports.proxmox.download_file import DownloadFile
from imports.proxmox.provider import ProxmoxProvider, ProxmoxProviderSsh, ProxmoxProviderSshNode
from imports.proxmox.virtual_environment_cluster_firewall import VirtualEnvironmentClusterFirewall
from imports.proxmox.virtual_environment_container import (
    VirtualEnvironmentContainer,
    VirtualEnvironmentContainerCpu,
    VirtualEnvironmentContainerDisk,
    VirtualEnvironmentContainerFeatures,
    VirtualEnvironmentContainerInitialization,
    VirtualEnvironmentContainerInitializationDns,
    VirtualEnvironmentContainerInitializationIpConfig,
    VirtualEnvironmentContainerInitializationIpConfigIpv4,
    VirtualEnvironmentContainerInitializationUserAccount,
    VirtualEnvironmentContainerMemory,
    VirtualEnvironmentContainerNetworkInterface,
    VirtualEnvironmentContainerOperatingSystem,
)
from imports.proxmox.virtual_environment_file import (
    VirtualEnvironmentFile,
    VirtualEnvironmentFileSourceRaw,
)
from imports.proxmox.virtual_environment_firewall_options import VirtualEnvironmentFirewallOptions
from imports.proxmox.virtual_environment_firewall_rules import (
    VirtualEnvironmentFirewallRules,
    VirtualEnvironmentFirewallRulesRule,
)
from imports.proxmox.virtual_environment_vm import (
    VirtualEnvironmentVm,
    VirtualEnvironmentVmAgent,
    VirtualEnvironmentVmAgentWaitForIp,
    VirtualEnvironmentVmClone,
    VirtualEnvironmentVmCpu,
    VirtualEnvironmentVmDisk,
    VirtualEnvironmentVmInitialization,
    VirtualEnvironmentVmInitializationDns,
    VirtualEnvironmentVmInitializationIpConfig,
    VirtualEnvironmentVmInitializationIpConfigIpv4,
    VirtualEnvironmentVmMemory,
    VirtualEnvironmentVmNetworkDevice,
    VirtualEnvironmentVmOperatingSystem,
    VirtualEnvironmentVmSerialDevice,
)

# A cloud-init document of the size Phoenix renders for an agent VM (~1.5 KB).
USER_DATA = (
    "#cloud-config\nhostname: {name}\nfqdn: {name}.phoenix.local\nmanage_etc_hosts: true\n"
    "users:\n- name: phoenix\n  shell: /bin/bash\n  groups:\n  - sudo\n"
    "  sudo: ALL=(ALL) NOPASSWD:ALL\n  lock_passwd: true\n  ssh_authorized_keys:\n"
    "  - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBareBareBareBareBareBareBareBareBare bare@cdktf\n"
    "ssh_pwauth: false\npackage_update: true\nmounts:\n"
    "- - 10.10.0.3:/quickOS/vm-persistent-data/{vmid}\n  - /persistent-storage\n  - nfs\n"
    "  - rw,hard,noatime,_netdev\n  - '0'\n  - '0'\n"
    "packages:\n- qemu-guest-agent\n- nfs-common\n- docker.io\n- docker-compose-v2\n"
    "write_files:\n- path: /opt/agent/compose.yaml\n  owner: root:root\n  permissions: '0600'\n"
    "  content: |\n    services:\n      portainer_agent:\n        image: portainer/agent:2.44.0\n"
    "        restart: always\n        ports:\n        - 9001:9001\n        volumes:\n"
    "        - /var/run/docker.sock:/var/run/docker.sock\n"
    "        - /var/lib/docker/volumes:/var/lib/docker/volumes\n"
    "runcmd:\n- - systemctl\n  - enable\n  - --now\n  - qemu-guest-agent\n"
    "- - mount\n  - -a\n  - -t\n  - nfs\n- - systemctl\n  - enable\n  - --now\n  - docker\n"
    "- - docker\n  - compose\n  - -f\n  - /opt/agent/compose.yaml\n  - up\n  - -d\n"
)

# The VM network device's keys that neither Phoenix nor the baseline sets.
NIC_UNSET_KEYS = ("disconnected", "enabled", "mtu", "queues", "rate_limit", "trunks", "vlan_id")


class BareStack(TerraformStack):
    """One stack with `counts[type]` resources of each type."""

    def __init__(self, scope: Construct, id_: str, counts: dict[str, int]) -> None:
        super().__init__(scope, id_)
        LocalBackend(self, path=f"terraform.{id_}.tfstate")
        ProxmoxProvider(
            self,
            "proxmox",
            endpoint="https://10.10.0.2:8006/",
            insecure=True,
            ssh=[
                ProxmoxProviderSsh(
                    username="root",
                    agent=True,
                    node_attribute=[ProxmoxProviderSshNode(name="pve", address="10.10.0.2")],
                )
            ],
        )
        self.vms: list[VirtualEnvironmentVm] = []
        self.files: list[VirtualEnvironmentFile] = []
        self.options: list[VirtualEnvironmentFirewallOptions] = []
        builders: dict[str, Callable[[int], Any]] = {
            "proxmox_virtual_environment_file": self.snippet,
            "proxmox_virtual_environment_vm": self.vm,
            "proxmox_virtual_environment_container": self.container,
            "proxmox_virtual_environment_firewall_options": self.firewall_options,
            "proxmox_virtual_environment_firewall_rules": self.firewall_rules,
            "proxmox_virtual_environment_cluster_firewall": self.cluster_firewall,
            "proxmox_download_file": self.download,
            "terraform_data": self.data,
        }
        unknown = sorted(set(counts) - set(builders))
        if unknown:
            raise SystemExit(f"bare_synth: no builder for {', '.join(unknown)}")
        # Snippets before VMs and VMs before firewalls, so references point backwards.
        for kind, build in builders.items():
            for index in range(counts.get(kind, 0)):
                build(index)

    def snippet(self, index: int) -> None:
        vmid = 10_000 + index
        self.files.append(
            VirtualEnvironmentFile(
                self,
                f"user_data_{vmid}",
                node_name="pve",
                datastore_id="local",
                content_type="snippets",
                source_raw=VirtualEnvironmentFileSourceRaw(
                    data=USER_DATA.format(name=f"vm-{index:04d}", vmid=vmid),
                    file_name=f"vm-{vmid}-user-data.yaml",
                ),
            )
        )

    def vm(self, index: int) -> None:
        vmid = 10_000 + index
        snippet = self.files[index].id if index < len(self.files) else None
        vm = VirtualEnvironmentVm(
            self,
            f"vm_{vmid}",
            node_name="pve",
            vm_id=vmid,
            name=f"vm-{index:04d}",
            description=f"bare VM {index}",
            tags=["bare", "bench"],
            clone=VirtualEnvironmentVmClone(vm_id=9000, full=True),
            cpu=VirtualEnvironmentVmCpu(cores=2, type="x86-64-v2-AES"),
            memory=VirtualEnvironmentVmMemory(dedicated=2048),
            disk=[
                VirtualEnvironmentVmDisk(
                    interface="scsi0",
                    datastore_id="local-lvm",
                    size=32,
                    discard="on",
                    iothread=True,
                )
            ],
            network_device=[
                VirtualEnvironmentVmNetworkDevice(
                    bridge="vmbr0",
                    model="virtio",
                    mac_address=f"BC:24:11:00:{index >> 8 & 0xFF:02X}:{index & 0xFF:02X}",
                    firewall=True,
                )
            ],
            initialization=VirtualEnvironmentVmInitialization(
                datastore_id="local-lvm",
                ip_config=[
                    VirtualEnvironmentVmInitializationIpConfig(
                        ipv4=VirtualEnvironmentVmInitializationIpConfigIpv4(
                            address=f"10.10.{index >> 8}.{index & 0xFF}/16",
                            gateway="10.10.0.1",
                        )
                    )
                ],
                dns=VirtualEnvironmentVmInitializationDns(
                    servers=["10.10.0.1"], domain="phoenix.local"
                ),
                user_data_file_id=snippet,
            ),
            agent=VirtualEnvironmentVmAgent(
                enabled=True,
                timeout="300s",
                wait_for_ip=VirtualEnvironmentVmAgentWaitForIp(ipv4=True),
            ),
            serial_device=[VirtualEnvironmentVmSerialDevice(device="socket")],
            operating_system=VirtualEnvironmentVmOperatingSystem(type="l26"),
            on_boot=True,
            started=True,
            stop_on_destroy=True,
            migrate=True,
            lifecycle=TerraformResourceLifecycle(
                ignore_changes=["clone", "initialization[0].user_data_file_id"]
            ),
        )
        # `network_device` is an attribute of type list(object): in JSON each object names
        # every key of its type, or Terraform rejects the plan.
        null = Token.null_value()
        vm.add_override("network_device.0", dict.fromkeys(NIC_UNSET_KEYS, null))
        self.vms.append(vm)

    def container(self, index: int) -> None:
        ctid = 100 + index
        VirtualEnvironmentContainer(
            self,
            f"ct_{ctid}",
            node_name="pve",
            vm_id=ctid,
            description=f"bare container {index}",
            tags=["bare", "bench"],
            unprivileged=True,
            features=VirtualEnvironmentContainerFeatures(nesting=True),
            operating_system=VirtualEnvironmentContainerOperatingSystem(
                template_file_id="local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
                type="debian",
            ),
            cpu=VirtualEnvironmentContainerCpu(cores=1),
            memory=VirtualEnvironmentContainerMemory(dedicated=512, swap=512),
            disk=VirtualEnvironmentContainerDisk(datastore_id="local-lvm", size=8),
            network_interface=[
                VirtualEnvironmentContainerNetworkInterface(
                    name="eth0",
                    bridge="vmbr0",
                    vlan_id=20,
                    mac_address=f"BC:24:12:00:{index >> 8 & 0xFF:02X}:{index & 0xFF:02X}",
                    firewall=True,
                )
            ],
            initialization=VirtualEnvironmentContainerInitialization(
                hostname=f"ct-{index:04d}",
                ip_config=[
                    VirtualEnvironmentContainerInitializationIpConfig(
                        ipv4=VirtualEnvironmentContainerInitializationIpConfigIpv4(
                            address=f"10.20.{index >> 8}.{index & 0xFF}/16",
                            gateway="10.20.0.1",
                        )
                    )
                ],
                dns=VirtualEnvironmentContainerInitializationDns(servers=["10.10.0.1"]),
                user_account=VirtualEnvironmentContainerInitializationUserAccount(
                    keys=["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBareBareBareBare bare@cdktf"]
                ),
            ),
            started=True,
            start_on_boot=True,
            lifecycle=TerraformResourceLifecycle(ignore_changes=["initialization[0].user_account"]),
        )

    def _guest_vm_id(self, index: int) -> Any:
        # Firewalls reference their VM's vm_id when there is one, as Phoenix's do.
        return self.vms[index].vm_id if index < len(self.vms) else 100 + index

    def firewall_options(self, index: int) -> None:
        self.options.append(
            VirtualEnvironmentFirewallOptions(
                self,
                f"firewall_{index}",
                node_name="pve",
                vm_id=self._guest_vm_id(index),
                enabled=True,
                input_policy="DROP",
                output_policy="ACCEPT",
            )
        )

    def firewall_rules(self, index: int) -> None:
        VirtualEnvironmentFirewallRules(
            self,
            f"firewall_rules_{index}",
            node_name="pve",
            vm_id=self._guest_vm_id(index),
            depends_on=self.options[index : index + 1],
            rule=[
                VirtualEnvironmentFirewallRulesRule(
                    type="in",
                    action="ACCEPT",
                    macro="SSH",
                    source="10.10.0.0/16",
                    comment="administration",
                    log="nolog",
                    enabled=True,
                ),
                VirtualEnvironmentFirewallRulesRule(
                    type="in",
                    action="ACCEPT",
                    proto="tcp",
                    dport="9001",
                    source="10.20.0.10",
                    comment="gateway",
                    log="nolog",
                    enabled=True,
                ),
            ],
        )

    def cluster_firewall(self, index: int) -> None:
        VirtualEnvironmentClusterFirewall(
            self,
            f"cluster_firewall_{index}",
            enabled=True,
            input_policy="DROP",
            output_policy="ACCEPT",
            forward_policy="ACCEPT",
            ebtables=True,
        )

    def download(self, index: int) -> None:
        DownloadFile(
            self,
            f"image_{index}",
            node_name="pve",
            datastore_id="local",
            content_type="import",
            url="https://cloud-images.ubuntu.com/releases/24.04/release/"
            "ubuntu-24.04-server-cloudimg-amd64.img",
            file_name=f"image-{index}.qcow2",
            overwrite=False,
        )

    def data(self, index: int) -> None:
        DataResource(self, f"data_{index}", input={"json": f'{{"index": {index}}}'})


def main(argv: list[str] | None = None) -> int:
    """Build and synthesize the bare app; prints the resource total."""
    parser = argparse.ArgumentParser(prog="python -m bench.bare_synth", description=__doc__)
    parser.add_argument("--outdir", required=True, help="where cdk.tf.json is written")
    parser.add_argument("--counts", required=True, help="JSON object: resource type -> count")
    args = parser.parse_args(argv)
    counts: dict[str, int] = json.loads(args.counts)
    app = App(outdir=args.outdir)
    BareStack(app, "bare", counts)
    app.synth()
    print(f"bare_synth: {sum(counts.values())} resources into {args.outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
