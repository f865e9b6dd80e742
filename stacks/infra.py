"""InfraStack: the Proxmox side of a fleet — provider, templates, VMs and containers — and the
outputs the post-apply step reads."""

from __future__ import annotations

import json

from constructs import Construct

from cdk import (
    DataResource,
    TerraformOutput,
    TerraformStack,
    TerraformVariable,
    Token,
)
from constructs_lib import (
    BindMountProps,
    BootstrapChange,
    CloudImageProps,
    CloudInitSnippet,
    CloudInitSnippetProps,
    ContainerTemplateDownload,
    DnsProps,
    FirewallRuleProps,
    GuestFirewall,
    GuestFirewallProps,
    Ipv4Props,
    LxcFeatures,
    NicProps,
    NodeChange,
    PciPassthroughProps,
    PhoenixContainer,
    PhoenixContainerProps,
    PhoenixVm,
    PhoenixVmProps,
    PhoenixVmTemplate,
    PhoenixVmTemplateProps,
    StartupProps,
)
from constructs_lib.bootstrap import (
    NfsMount,
    NvidiaSpec,
    PortainerAgentSpec,
    PortainerServerSpec,
    VmBootstrap,
    render_user_data,
)
from constructs_lib.gpu import nvidia_devices
from constructs_lib.portainer_reconcile import split_desired_state
from constructs_lib.terraform_json import terraform_json_rules
from fleet import Fleet
from fleet.firewall import GuestFirewall as GuestFirewallConfig
from fleet.guests import (
    Container,
    GuestBase,
    GuestNetwork,
    Vm,
    VmFeature,
)
from fleet.proxmox import Network

from .addresses import (
    container_id,
    firewall_id,
    renumbering_moves,
    snippet_id,
    template_id,
    vm_id,
)
from .gateway import gateway_site
from .gpu import gpu_mappings, gpu_setup
from .ha import high_availability
from .outputs import inventory, portainer_desired_state
from .provider import proxmox_provider
from .state import state_backend


class InfraStack(TerraformStack):
    """Guests on Proxmox VE, built from a validated Fleet.

    Construct ids, and so Terraform addresses, derive from VMIDs (`vm_1002`, `ct_101`,
    `template_9000`): renaming a guest updates it in place, changing its VMID replaces it.
    """

    def __init__(self, scope: Construct, id_: str, fleet: Fleet) -> None:
        super().__init__(scope, id_)
        # Config text reaches Terraform as literal text, by construction (terraform_json.py).
        terraform_json_rules(self)
        self.fleet = fleet
        state_backend(self, fleet.state, id_)
        proxmox = fleet.proxmox
        proxmox_provider(self, proxmox)

        # The agent secret is a sensitive input, set with TF_VAR_portainer_agent_secret.
        self.agent_secret: str | None = None
        if fleet.portainer is not None and fleet.portainer.agent_secret:
            self.agent_secret = TerraformVariable(
                self,
                "portainer_agent_secret",
                type="string",
                sensitive=True,
                nullable=False,
                description="AGENT_SECRET shared by the Portainer server and its agents.",
            ).string_value

        self.templates: dict[int, PhoenixVmTemplate] = {}
        for vmid, template in sorted(fleet.guests.templates.items()):
            if not template.managed or template.image is None:
                continue
            node = fleet.node(template)
            self.templates[vmid] = PhoenixVmTemplate(
                self,
                template_id(vmid),
                PhoenixVmTemplateProps(
                    node_name=fleet.node_name(template),
                    vm_id=vmid,
                    name=template.name,
                    image=CloudImageProps(
                        url=str(template.image.url),
                        file_name=template.image.file_name,
                        datastore_id=node.datastores.images,
                        checksum=template.image.checksum.value if template.image.checksum else None,
                        checksum_algorithm=template.image.checksum.algorithm
                        if template.image.checksum
                        else "sha256",
                    ),
                    datastore_id=template.datastore or node.datastores.disks,
                    disk_gib=template.disk_gib,
                    cores=template.cores,
                    memory_mib=template.memory_mib,
                    bridge=template.bridge,
                    tags=template.tags,
                    description=template.description,
                ),
            )

        self.gpu_mappings = gpu_mappings(self, fleet)
        self.vms: dict[int, PhoenixVm] = {
            vmid: self._vm(vmid, vm) for vmid, vm in sorted(fleet.guests.vms.items())
        }
        self.containers: dict[int, PhoenixContainer] = {
            ctid: self._container(ctid, ct) for ctid, ct in sorted(fleet.guests.containers.items())
        }
        gateway_site(self, fleet, self.containers)
        for ctid, ct in sorted(fleet.guests.containers.items()):
            gpu_setup(self, fleet, ctid, ct, self.containers[ctid])
        self.ha = high_availability(self, fleet, self.vms, self.containers)
        for vmid, vm in sorted(fleet.guests.vms.items()):
            self._firewall(vmid, vm.firewall, self.vms[vmid])
        for ctid, ct in sorted(fleet.guests.containers.items()):
            self._firewall(ctid, ct.firewall, self.containers[ctid])
        self._renumbered()

        TerraformOutput(
            self,
            "inventory",
            value=inventory(fleet),
            description="Every guest Phoenix manages: vmid, name, kind, node, address, roles.",
            static_id=True,
        )
        self.desired_state_parts: list[str] | None = None
        """The desired state's JSON text in parts (`split_desired_state`), as a list token."""
        self.desired_state_part_count = 0
        desired = portainer_desired_state(fleet)
        if desired is not None:
            TerraformOutput(
                self,
                "portainer",
                value=desired,
                description="Desired Portainer state (docs/outputs.md, schema_version 1).",
                static_id=True,
            )
            # The same state as JSON text in a terraform_data, so the post-apply stack can
            # reference it across stacks and trigger on its hash; in parts no bigger than one
            # process may receive in its environment (constructs_lib/portainer_reconcile.py).
            text = json.dumps(desired, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
            parts = split_desired_state(text)
            state = DataResource(self, "portainer_desired_state", input={"json_parts": parts})
            self.desired_state_parts = Token.as_list(state.output.lookup("json_parts"))
            self.desired_state_part_count = len(parts)

    def _vm(self, vmid: int, vm: Vm) -> PhoenixVm:
        fleet = self.fleet
        node = fleet.node(vm)
        template = self.templates.get(vm.template, vm.template)
        template_config = fleet.guests.templates[vm.template]
        template_node = fleet.node_name(template_config)
        snippet = CloudInitSnippet(
            self,
            snippet_id(vmid),
            CloudInitSnippetProps(
                node_name=fleet.node_name(vm),
                datastore_id=node.datastores.snippets,
                file_name=f"phoenix-vm-{vmid}-user-data.yaml",
                user_data=render_user_data(self._bootstrap(vm)),
            ),
        )
        return PhoenixVm(
            self,
            vm_id(vmid),
            PhoenixVmProps(
                node_name=fleet.node_name(vm),
                vm_id=vmid,
                name=vm.name,
                template=template,
                template_node_name=template_node if template_node != fleet.node_name(vm) else None,
                datastore_id=vm.datastore or node.datastores.disks,
                disk_gib=vm.disk_gib,
                cores=vm.cores,
                cpu_type=vm.cpu_type,
                memory_mib=vm.memory_mib,
                nic=self._nic(vm),
                ipv4=self._ipv4(vm.network, fleet.network(vm)),
                dns=self._dns(fleet.network(vm)),
                user_data_file_id=snippet.file_id,
                on_bootstrap_change=BootstrapChange(vm.on_bootstrap_change),
                on_node_change=NodeChange(vm.on_node_change),
                agent_timeout_seconds=vm.agent_timeout_seconds,
                on_boot=vm.on_boot,
                startup=self._startup(vm),
                tags=vm.tags,
                description=vm.description,
                adopt=vm.adopt,
                machine=vm.machine,
                pci_devices=[
                    PciPassthroughProps(mapping=self.gpu_mappings[name].name_reference)
                    for name in vm.gpus
                ],
            ),
        )

    def _renumbered(self) -> None:
        """`moved` blocks for renumbered guests (see addresses.renumbering_moves)."""
        moves = renumbering_moves(self.fleet)
        if moves:
            self.add_override("moved", moves)

    def _bootstrap(self, vm: Vm) -> VmBootstrap:
        fleet = self.fleet
        portainer = fleet.portainer
        nfs = fleet.proxmox.nfs
        return VmBootstrap(
            hostname=vm.name,
            domain=fleet.network(vm).dns_domain,
            username=vm.user.name,
            ssh_keys=vm.user.ssh_keys,
            docker=VmFeature.DOCKER in vm.features,
            nfs_mounts=[
                NfsMount(
                    server=str(nfs.address),
                    export=volume.export,
                    mount_point=volume.mount_point,
                    options=nfs.mount_options,
                    read_only=volume.read_only,
                )
                for volume in vm.volumes
            ]
            if nfs is not None
            else [],
            portainer_server=PortainerServerSpec(
                version=portainer.version,
                https_port=portainer.https_port,
                agent_secret=self.agent_secret,
            )
            if portainer is not None and VmFeature.PORTAINER_SERVER in vm.features
            else None,
            portainer_agent=PortainerAgentSpec(
                version=portainer.version, port=portainer.agent_port, agent_secret=self.agent_secret
            )
            if portainer is not None and VmFeature.PORTAINER_AGENT in vm.features
            else None,
            nvidia=NvidiaSpec(driver_branch=vm.nvidia_driver) if vm.gpus else None,
        )

    def _firewall(
        self, vmid: int, config: GuestFirewallConfig | None, guest: PhoenixVm | PhoenixContainer
    ) -> None:
        if config is None:
            return
        GuestFirewall(
            self,
            firewall_id(vmid),
            GuestFirewallProps(
                guest=guest,
                enabled=config.enabled,
                input_policy=config.input_policy.value,
                output_policy=config.output_policy.value,
                rules=[
                    FirewallRuleProps(
                        direction=rule.direction,
                        action=rule.action.value,
                        macro=rule.macro,
                        proto=rule.proto,
                        dport=rule.dport,
                        sport=rule.sport,
                        source=rule.source,
                        dest=rule.dest,
                        comment=rule.comment,
                        log=rule.log,
                        enabled=rule.enabled,
                    )
                    for rule in config.rules
                ],
            ),
        )

    def _container(self, ctid: int, container: Container) -> PhoenixContainer:
        fleet = self.fleet
        node = fleet.node(container)
        os_template = container.os_template
        source: ContainerTemplateDownload | str
        if os_template.url is not None:
            source = ContainerTemplateDownload(
                url=str(os_template.url),
                file_name=os_template.download_file_name or "",
                datastore_id=node.datastores.images,
            )
        elif os_template.file_id is not None:
            source = os_template.file_id
        else:
            raise ValueError(f"container {ctid}: os_template needs a url or a file_id")
        features = container.features
        return PhoenixContainer(
            self,
            container_id(ctid),
            PhoenixContainerProps(
                node_name=fleet.node_name(container),
                vm_id=ctid,
                hostname=container.name,
                os_template=source,
                os_type=os_template.type,
                unprivileged=container.unprivileged,
                features=LxcFeatures(
                    nesting=features.nesting,
                    keyctl=features.keyctl,
                    fuse=features.fuse,
                    mount=features.mount,
                ),
                cores=container.cores,
                memory_mib=container.memory_mib,
                swap_mib=container.swap_mib,
                datastore_id=container.rootfs.datastore or node.datastores.disks,
                disk_gib=container.rootfs.size_gib,
                nic=self._nic(container),
                ipv4=self._ipv4(container.network, fleet.network(container)),
                dns=self._dns(fleet.network(container)),
                ssh_keys=container.ssh_keys,
                bind_mounts=[
                    BindMountProps(host_path=m.host_path, path=m.path, read_only=m.read_only)
                    for m in container.bind_mounts
                ],
                start_on_boot=container.on_boot,
                startup=self._startup(container),
                tags=container.tags,
                description=container.description,
                on_bootstrap_change=BootstrapChange(container.on_bootstrap_change),
                adopt=container.adopt,
                devices=nvidia_devices(
                    [node.gpus[name].minor for name in container.gpus],
                    gid=container.gpu_group_id,
                )
                if container.gpus
                else (),
            ),
        )

    def _nic(self, guest: Vm | Container) -> NicProps:
        network = self.fleet.network(guest)
        nic = guest.network
        return NicProps(
            bridge=nic.bridge or network.bridge,
            vlan_id=nic.vlan if nic.vlan is not None else network.vlan,
            mac_address=nic.mac,
            firewall=guest.firewall is not None and guest.firewall.enabled,
        )

    @staticmethod
    def _ipv4(nic: GuestNetwork, network: Network) -> Ipv4Props:
        if nic.ip == "dhcp":
            return Ipv4Props(address="dhcp")
        gateway = nic.gateway or network.gateway
        return Ipv4Props(address=str(nic.ip), gateway=str(gateway) if gateway else None)

    @staticmethod
    def _dns(network: Network) -> DnsProps:
        return DnsProps(servers=[str(s) for s in network.dns_servers], domain=network.dns_domain)

    @staticmethod
    def _startup(guest: GuestBase) -> StartupProps | None:
        if guest.startup is None:
            return None
        return StartupProps(
            order=guest.startup.order,
            up_delay_seconds=guest.startup.up_delay_seconds,
            down_delay_seconds=guest.startup.down_delay_seconds,
        )
