"""Recognising secrets in config text, so they are refused and never echoed.

Configs come from pull requests and their messages end up in terminals and CI logs: a value
that could be a credential is described by its kind and length, never shown. Two tests:

- `looks_secret`: a value that may be a credential whatever it is called — a known token
  format, a private key, or a long random-looking word (what generated passwords and API keys
  look like);
- `secret_name`: a variable or key named like one (`DB_PASS`, `QDRANT__SERVICE__API_KEY`).
"""

from __future__ import annotations

import math
import re
from collections import Counter

# Credentials in formats that announce themselves.
_TOKEN_FORMATS = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----"
    r"|PVEAPIToken="
    r"|[^\s@]{1,64}@(pam|pve)![^\s=]{1,64}=[0-9a-fA-F-]{36}"  # a Proxmox API token
    r"|\bptr_[A-Za-z0-9+/=]{16,}"  # a Portainer API key
    r"|\b(ghp|gho|ghu|ghs|ghr|github_pat|glpat|xox[abpors])[-_][A-Za-z0-9_-]{16,}"
    r"|\bAKIA[0-9A-Z]{16}\b"  # an AWS access key id
    r"|\bsk-[A-Za-z0-9_-]{20,}"  # OpenAI-style keys
    r"|\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.",  # a JWT
    re.ASCII,
)
_WORD = re.compile(r"\S{16,}")
_HEX = re.compile(r"([a-z0-9]+:)?[0-9a-f]+|[0-9A-F]+", re.ASCII)  # digests, MACs, ids

# Name parts that mean the value is a credential; `*_FILE` names a file holding one instead.
_SECRET_PARTS = {
    "PASS",
    "PASSWD",
    "PASSWORD",
    "PASSPHRASE",
    "PWD",
    "SECRET",
    "TOKEN",
    "CREDENTIAL",
    "CREDENTIALS",
    "APIKEY",
    "PRIVATEKEY",
    "AUTHKEY",
    "ACCESSKEY",
}
_KEY_QUALIFIERS = {"API", "PRIVATE", "ACCESS", "AUTH", "SECRET", "ENCRYPTION", "SIGNING", "LICENSE"}
_NOT_SECRET_SUFFIXES = ("FILE", "PATH", "DIR", "URL", "HOST", "PORT", "USER", "USERNAME", "ID")


def looks_secret(value: object) -> bool:
    """True for text that may be a credential: a known token format, or a long word of
    random-looking mixed-case letters and digits."""
    if not isinstance(value, str):
        return False
    if _TOKEN_FORMATS.search(value):
        return True
    return any(_random_word(word) for word in _WORD.findall(value))


def _random_word(word: str) -> bool:
    """Generated passwords and keys mix upper case, lower case and digits at random; file
    names, host names, digests and versions do not."""
    if _HEX.fullmatch(word) or word.startswith(("ssh-", "/", "http://", "https://")):
        return False
    mixed = all(re.search(pattern, word) for pattern in (r"[a-z]", r"[A-Z]", r"[0-9]"))
    return mixed and _entropy(word) >= 3.5


def _entropy(word: str) -> float:
    counts = Counter(word)
    return -sum(n / len(word) * math.log2(n / len(word)) for n in counts.values())


def secret_name(name: str) -> bool:
    """True for a variable or key named like a credential (`DB_PASS`, `API_KEY`,
    `adminPassword`), false for names of where one is kept (`PASSWORD_FILE`)."""
    parts = _name_parts(name)
    if not parts or parts[-1] in _NOT_SECRET_SUFFIXES:
        return False
    for index, part in enumerate(parts):
        if part in _SECRET_PARTS or part.endswith(("PASSWORD", "TOKEN", "SECRET")):
            return True
        if part == "KEY" and index > 0 and parts[index - 1] in _KEY_QUALIFIERS:
            return True
    return False


def _name_parts(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)  # camelCase
    return [part for part in re.split(r"[^A-Za-z0-9]+", spaced.upper()) if part]


def described(value: str) -> str:
    """How a message mentions a value it must not show."""
    return f"a value of {len(value)} characters (not shown: it looks like a secret)"


def without_userinfo(text: str) -> str:
    """`text` with any `user:password@` of a URL masked."""
    return re.sub(r"(?<=://)[^/@\s]+@", "***@", text)
