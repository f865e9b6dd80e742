"""Phoenix constructs: typed, validated building blocks over the generated bpg/proxmox bindings.

Constructs never read files or the environment; stacks hand them everything as props.
"""

from .container import (
    BindMountProps,
    ContainerTemplateDownload,
    LxcFeatures,
    PhoenixContainer,
    PhoenixContainerProps,
)
from .guest_props import DnsProps, Ipv4Props, NicProps, StartupProps
from .template import CloudImageProps, PhoenixVmTemplate, PhoenixVmTemplateProps
from .validation import PropsError
from .vm import BootstrapChange, PhoenixVm, PhoenixVmProps

__all__ = [
    "BindMountProps",
    "BootstrapChange",
    "CloudImageProps",
    "ContainerTemplateDownload",
    "DnsProps",
    "Ipv4Props",
    "LxcFeatures",
    "NicProps",
    "PhoenixContainer",
    "PhoenixContainerProps",
    "PhoenixVm",
    "PhoenixVmProps",
    "PhoenixVmTemplate",
    "PhoenixVmTemplateProps",
    "PropsError",
    "StartupProps",
]
