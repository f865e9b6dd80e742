"""proxmox_virtual_environment_file (SDKv2): proxmoxtf/resource/file.go `File()`."""

from __future__ import annotations

import copy

from ..planner import get_path
from ..rules import Objects, ProviderError, ResourceRules, State
from ..validators import Validator, custom, one_of

# validators/file.go FileMode: parsed as a *decimal* integer, 1..4294967295.
FILE_MODE: Validator = custom(
    lambda v: v.isdigit() and 1 <= int(v) <= 4294967295,
    'failed to parse file mode "{value}": a decimal number from 1 to 4294967295 is expected',
)

DEFAULTS = {
    "overwrite": True,
    "source_file.changed": False,
    "source_file.checksum": "",
    "source_file.file_name": "",
    "source_file.insecure": False,
    "source_file.min_tls": "",
    "source_raw.resize": 0,
    "timeout_upload": 1800,
    "upload_mode": "stream",
}

# Every source field, the target and the computed file facts are ForceNew; Update is a no-op.
FORCE_NEW = frozenset(
    {
        "content_type",
        "datastore_id",
        "file_mode",
        "file_modification_date",
        "file_size",
        "file_tag",
        "node_name",
        "source_file",
        "source_file.changed",
        "source_file.checksum",
        "source_file.file_name",
        "source_file.insecure",
        "source_file.min_tls",
        "source_file.path",
        "source_raw",
        "source_raw.data",
        "source_raw.file_name",
        "source_raw.resize",
    }
)


def _file_name(state: State) -> str | None:
    name = get_path(state, "source_raw.file_name") or get_path(state, "source_file.file_name")
    if not name:
        path = get_path(state, "source_file.path")
        name = path.rstrip("/").rsplit("/", 1)[-1] if isinstance(path, str) else None
    return name if isinstance(name, str) and name else None


def volume_id(state: State) -> str | None:
    """`<datastore>:<content_type>/<file_name>`, the file's id."""
    name = _file_name(state)
    datastore, content = state.get("datastore_id"), state.get("content_type")
    if not (name and isinstance(datastore, str) and isinstance(content, str)):
        return None
    return f"{datastore}:{content}/{name}"


def world_key(state: State) -> str | None:
    volume = state.get("id") if state.get("id") else volume_id(state)
    node = state.get("node_name")
    return f"file/{node}/{volume}" if volume and node else None


def check_config(config: State) -> list[ProviderError]:
    """fileCreate: exactly one source."""
    raw, source = config.get("source_raw"), config.get("source_file")
    if raw and source:
        return [ProviderError('please specify "source_file.path" or "source_raw" - not both')]
    return []


def on_create(planned: State, objects: Objects) -> None:
    """fileCreate: an existing volume is only replaced with `overwrite`."""
    if not planned.get("source_raw") and not planned.get("source_file"):
        raise ProviderError('missing argument "source_file.path" or "source_raw"')
    key = world_key(planned)
    if key in objects and planned.get("overwrite") is False:
        raise ProviderError(f'file "{volume_id(planned)}" already exists')


def fill_computed(planned: State) -> State:
    state = copy.deepcopy(planned)
    if not state.get("content_type"):
        state["content_type"] = "snippets"  # what a .yaml source is inferred as
    state["file_name"] = _file_name(state) or ""
    state["id"] = volume_id(state) or ""
    # Read computes size, date and tag from a source_file only: source_raw leaves them null.
    return state


def parse_import_id(import_id: str) -> State:
    """fileParseImportID: `<node>/<datastore_id>:<content_type>/<file_name>`."""
    node, _, volume = import_id.partition("/")
    datastore, _, rest = volume.partition(":")
    content, _, name = rest.partition("/")
    if not (node and datastore and content and name):
        raise ProviderError(
            f"unexpected format of ID ({import_id}), expected "
            "node/datastore_id:content_type/file_name"
        )
    return {"id": volume, "node_name": node, "datastore_id": datastore, "content_type": content}


RULES = ResourceRules(
    type_name="proxmox_virtual_environment_file",
    source="proxmoxtf/resource/file.go",
    defaults=DEFAULTS,
    force_new=FORCE_NEW,
    validators={
        "content_type": (one_of("backup", "iso", "snippets", "vztmpl", "import"),),
        "upload_mode": (one_of("sftp", "stream"),),
        "file_mode": (FILE_MODE,),
    },
    check_config=check_config,
    fill_computed=fill_computed,
    world_key=world_key,
    parse_import_id=parse_import_id,
    # fileRead never sets the source, so an imported file always plans a replacement.
    not_read_back=("source_file", "source_raw", "file_mode", "overwrite", "timeout_upload"),
    on_create=on_create,
)
