"""Where guests come from in `guests.yaml`: cloud images for VM templates and OS templates
for containers, with their checksums."""

# Pydantic copies mutable defaults for every instance, so `= []` and `= {}` are safe here.

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    ValidationInfo,
    field_validator,
    model_validator,
)

from .base import ConfigModel
from .hints import shown
from .types import (
    Matches,
    WebUrl,
)

_DIGEST_LENGTH = {"md5": 32, "sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128}

_TEMPLATE_SUFFIXES = (".tar.gz", ".tar.xz", ".tar.zst")
"""Container templates Proxmox accepts (`vztmpl` content)."""


class ImageChecksum(ConfigModel):
    """Expected digest of a downloaded image."""

    algorithm: Literal["md5", "sha1", "sha224", "sha256", "sha384", "sha512"] = "sha256"
    """Digest algorithm. Default: sha256."""
    value: Annotated[
        str, Matches(r"[0-9a-fA-F]{32,128}", "checksum", "hexadecimal digits of the digest")
    ]
    """Hex digest, as published next to the image."""

    @field_validator("value")
    @classmethod
    def _length_fits(cls, value: str, info: ValidationInfo) -> str:
        algorithm = info.data.get("algorithm")
        expected = _DIGEST_LENGTH.get(str(algorithm))
        if expected is not None and len(value) != expected:
            raise ValueError(
                f"a {algorithm} digest has {expected} hex digits, this one has {len(value)}"
            )
        return value.lower()


class CloudImage(ConfigModel):
    """A cloud image Proxmox downloads itself (`proxmox_download_file`, content `import`)."""

    url: WebUrl
    """Where the node downloads the image from."""
    file_name: Annotated[
        str,
        Matches(
            r"[A-Za-z0-9._-]+\.(qcow2|raw)",
            "image file name",
            "letters, digits, '.', '_' and '-', ending in .qcow2 or .raw (Proxmox imports only "
            "those; an Ubuntu or Debian .img cloud image is qcow2: name it .qcow2)",
        ),
    ]
    """Name on the images datastore; `.qcow2` or `.raw` (Proxmox 8.4+ import content)."""
    checksum: ImageChecksum | None = None
    """Verify the download. Default: not verified (set it for reproducible templates)."""


class OsTemplate(ConfigModel):
    """The container's root file system image: an existing volume or a download."""

    file_id: (
        Annotated[
            str,
            Matches(
                r"[A-Za-z][A-Za-z0-9\-_.]*:vztmpl/.+",
                "template volume",
                "<storage>:vztmpl/<file>, like local:vztmpl/debian-12-standard_amd64.tar.zst",
            ),
        ]
        | None
    ) = None
    """Existing template volume, e.g. `local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst`.
    Default: none, then `url` is required."""
    url: WebUrl | None = None
    """Download the template onto the images datastore from this URL instead. Default: none,
    then `file_id` is required."""
    type: Literal[
        "alpine",
        "archlinux",
        "centos",
        "debian",
        "devuan",
        "fedora",
        "gentoo",
        "nixos",
        "opensuse",
        "ubuntu",
        "unmanaged",
    ] = "unmanaged"
    """Distribution, so Proxmox configures network and host name inside. Default: unmanaged,
    Proxmox leaves the inside alone."""

    @model_validator(mode="after")
    def _one_source(self) -> OsTemplate:
        if (self.file_id is None) == (self.url is None):
            raise ValueError("give exactly one of file_id or url")
        name = self.download_file_name
        if name is not None and not name.endswith(_TEMPLATE_SUFFIXES):
            shown_name = shown(name) if name else "nothing"
            raise ValueError(
                f"url: the file name at its end ({shown_name}) must end in "
                f"{', '.join(_TEMPLATE_SUFFIXES)}: Proxmox stores the download under that name"
            )
        return self

    @property
    def download_file_name(self) -> str | None:
        """File name of a downloaded template (the last URL segment)."""
        return None if self.url is None else (self.url.path or "").rsplit("/", 1)[-1]
