"""Phoenix constructs: typed, validated building blocks over the generated bpg/proxmox bindings.

Constructs never read files or the environment; stacks hand them everything as props.
"""

# First, before any binding: on CDK Terrain, `cdk` makes `imports` the fork's bindings.
import cdk  # noqa: F401

from .cloud_init import CloudInitSnippet, CloudInitSnippetProps
from .container import (
    BindMountProps,
    ContainerTemplateDownload,
    LxcFeatures,
    PhoenixContainer,
    PhoenixContainerProps,
)
from .firewall import (
    ClusterFirewall,
    ClusterFirewallProps,
    FirewallRuleProps,
    GuestFirewall,
    GuestFirewallProps,
)
from .gpu import (
    DevicePassthroughProps,
    PciMapping,
    PciMappingEntry,
    PciMappingProps,
    PciPassthroughProps,
)
from .guest_props import BootstrapChange, DnsProps, Ipv4Props, NicProps, StartupProps
from .ha import HaGroup, HaGroupProps, HaResource, HaResourceProps
from .remote_file import RemoteConfigFile, RemoteConfigFileProps
from .template import CloudImageProps, PhoenixVmTemplate, PhoenixVmTemplateProps
from .validation import PropsError
from .vm import NodeChange, PhoenixVm, PhoenixVmProps

__all__ = [
    "BindMountProps",
    "BootstrapChange",
    "CloudImageProps",
    "CloudInitSnippet",
    "CloudInitSnippetProps",
    "ClusterFirewall",
    "ClusterFirewallProps",
    "ContainerTemplateDownload",
    "DevicePassthroughProps",
    "DnsProps",
    "FirewallRuleProps",
    "GuestFirewall",
    "GuestFirewallProps",
    "HaGroup",
    "HaGroupProps",
    "HaResource",
    "HaResourceProps",
    "Ipv4Props",
    "LxcFeatures",
    "NicProps",
    "NodeChange",
    "PciMapping",
    "PciMappingEntry",
    "PciMappingProps",
    "PciPassthroughProps",
    "PhoenixContainer",
    "PhoenixContainerProps",
    "PhoenixVm",
    "PhoenixVmProps",
    "PhoenixVmTemplate",
    "PhoenixVmTemplateProps",
    "PropsError",
    "RemoteConfigFile",
    "RemoteConfigFileProps",
    "StartupProps",
]
