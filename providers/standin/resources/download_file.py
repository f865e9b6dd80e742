"""proxmox_download_file (plugin framework): fwprovider/nodes/resource_download_file.go
`downloadFileResource`, served under its short name (resource_download_file_short.go)."""

from __future__ import annotations

import copy
import hashlib

from ..rules import Objects, ProviderError, ResourceRules, State
from ..validators import matches, one_of


def _volume(state: State) -> str:
    return f"{state.get('datastore_id')}:{state.get('content_type')}/{state.get('file_name')}"


def world_key(state: State) -> str | None:
    if not state.get("file_name") or not state.get("node_name"):
        return None
    return f"file/{state['node_name']}/{_volume(state)}"


def check_config(config: State) -> list[ProviderError]:
    """AlsoRequires: checksum and checksum_algorithm come together."""
    errors = []
    for present, missing in (
        ("checksum", "checksum_algorithm"),
        ("checksum_algorithm", "checksum"),
    ):
        if config.get(present) is not None and config.get(missing) is None:
            errors.append(
                ProviderError(
                    "Invalid Attribute Combination",
                    f'Attribute "{missing}" must be specified when "{present}" is specified',
                    (("attr", present),),
                )
            )
    return errors


def on_create(planned: State, objects: Objects) -> None:
    """A file already on the datastore is only replaced with `overwrite_unmanaged`."""
    key = world_key(planned)
    if key in objects and not planned.get("overwrite_unmanaged"):
        raise ProviderError(
            "File already exists in the datastore, it was created outside of Terraform or is "
            "managed by another resource.",
            f"File already exists in the datastore: '{planned.get('file_name')}', error: "
            f"refusing to override existing file '{_volume(planned)}'",
        )


def fill_computed(planned: State) -> State:
    state = copy.deepcopy(planned)
    if not state.get("file_name"):
        state["file_name"] = str(state.get("url", "")).rstrip("/").rsplit("/", 1)[-1]
    state["id"] = _volume(state)
    # A plausible, stable size: the real one comes from the datastore listing.
    digest = hashlib.sha256(str(state.get("url")).encode()).digest()
    state["size"] = 100_000_000 + int.from_bytes(digest[:3], "big")
    return state


def parse_import_id(import_id: str) -> State:
    """ImportState: `<node_name>/<datastore_id>:<content_type>/<file_name>`."""
    node, _, volume = import_id.partition("/")
    datastore, _, rest = volume.partition(":")
    content, _, name = rest.partition("/")
    if not (node and datastore and content and name):
        raise ProviderError(
            "Unexpected Import Identifier",
            "Expected import identifier with format: "
            f'node_name/datastore_id:content_type/file_name. Got: "{import_id}"',
        )
    return {
        "node_name": node,
        "datastore_id": datastore,
        "content_type": content,
        "file_name": name,
        "id": volume,
    }


RULES = ResourceRules(
    type_name="proxmox_download_file",
    source="fwprovider/nodes/resource_download_file.go",
    legacy_type_system=False,
    defaults={
        "overwrite": True,
        "overwrite_unmanaged": False,
        "upload_timeout": 600,
        "verify": True,
    },
    force_new=frozenset(
        {
            "checksum",
            "checksum_algorithm",
            "content_type",
            "datastore_id",
            "decompression_algorithm",
            "file_name",
            "node_name",
            "url",
        }
    ),
    validators={
        "url": (matches(r"https?://.*", "must match HTTP URL regex `https?://.*`"),),
        "content_type": (one_of("iso", "vztmpl", "import"),),
        "decompression_algorithm": (one_of("gz", "lzo", "zst", "bz2"),),
        "checksum_algorithm": (one_of("md5", "sha1", "sha224", "sha256", "sha384", "sha512"),),
    },
    check_config=check_config,
    fill_computed=fill_computed,
    world_key=world_key,
    parse_import_id=parse_import_id,
    # Read sets only `size`: an imported download always plans a replacement (url is unknown).
    not_read_back=(
        "url",
        "checksum",
        "checksum_algorithm",
        "decompression_algorithm",
        "upload_timeout",
        "verify",
        "overwrite",
        "overwrite_unmanaged",
    ),
    on_create=on_create,
)
