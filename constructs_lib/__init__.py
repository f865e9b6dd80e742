"""Phoenix constructs: typed, validated building blocks over the generated bpg/proxmox bindings.

Constructs never read files or the environment; stacks hand them everything as props.
"""

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
