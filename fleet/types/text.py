"""Text values: versions kept as written, absolute paths, SSH public keys."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import (
    BeforeValidator,
    PlainValidator,
    WithJsonSchema,
)

from ..documents import kind_of
from ..hints import shown
from .constraints import Matches


def _number_as_text(value: object) -> object:
    return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


NumberAsText = BeforeValidator(_number_as_text)
"""YAML reads `version: 2.44` or `tag: 1` as numbers; keep them as the text written."""


Version = Annotated[
    str,
    NumberAsText,
    Matches(r"\d+\.\d+\.\d+", "version", "pin an exact version like 2.33.6 (never 'latest')"),
]


def _absolute_path(value: str) -> str:
    if not value.startswith("/"):
        raise ValueError(f"{shown(value)} must be an absolute path")
    if any(part == ".." for part in value.split("/")):
        raise ValueError(f"{shown(value)} must not contain '..'")
    return value.rstrip("/") or "/"


def _not_root(value: str) -> str:
    if value == "/":
        raise ValueError("'/' would hide the whole file system; mount into a directory")
    return value


AbsolutePath = Annotated[
    str,
    PlainValidator(lambda value: _absolute_path(_text(value))),
    WithJsonSchema({"type": "string", "pattern": "^/"}),
]

MountPath = Annotated[
    str,
    PlainValidator(lambda value: _not_root(_absolute_path(_text(value)))),
    WithJsonSchema({"type": "string", "pattern": "^/.+"}),
]
"""An absolute directory a mount appears at; never `/` itself."""


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"should be text (got {kind_of(value)})")
    return value.strip()


_SSH_KEY = re.compile(r"(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp\d+|sk-\S+) [A-Za-z0-9+/=]+( .*)?")


def _ssh_public_key(value: object) -> str:
    text = _text(value)
    if "PRIVATE KEY" in text:
        raise ValueError("this is a private key; list public keys only (the .pub file)")
    if not _SSH_KEY.fullmatch(text):
        raise ValueError(
            f"{shown(text)} is not an OpenSSH public key (expected 'ssh-ed25519 AAAA... comment')"
        )
    return text


SshPublicKey = Annotated[
    str,
    PlainValidator(_ssh_public_key),
    WithJsonSchema({"type": "string", "pattern": "^(ssh-|ecdsa-|sk-)"}),
]
