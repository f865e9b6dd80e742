"""The pins file: where it lives, what it holds, how it survives mistakes."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from portainer.pins import Pin, PinsFileError, PinStore, default_pins_path, server_key

PIN = Pin(sha256="ab" * 32, pinned_at="2026-01-01T00:00:00Z", source="test")


def test_pins_live_in_the_users_config_dir_unless_told_otherwise() -> None:
    assert default_pins_path({"HOME": "/home/ann"}) == Path(
        "/home/ann/.config/phoenix/portainer-pins.json"
    )
    assert default_pins_path({"HOME": "/home/ann", "XDG_CONFIG_HOME": "/cfg"}) == Path(
        "/cfg/phoenix/portainer-pins.json"
    )
    assert default_pins_path(
        {"XDG_CONFIG_HOME": "/cfg", "PORTAINER_PINS_FILE": "/srv/pins.json"}
    ) == Path("/srv/pins.json")


def test_a_server_is_one_key_however_its_url_is_written() -> None:
    assert server_key("https://Portainer.LAN:9443/") == "https://portainer.lan:9443"
    assert server_key("https://10.0.0.101") == "https://10.0.0.101:443"
    assert server_key("https://[fd00::1]:9443") == "https://[fd00::1]:9443"


def test_pin_round_trip_in_a_private_file(tmp_path: Path) -> None:
    # GIVEN no pins file yet
    store = PinStore(tmp_path / "phoenix" / "pins.json")
    assert store.get("https://10.0.0.101:9443") is None
    # WHEN pinning THEN the pin is read back under any spelling of the URL
    store.put("https://10.0.0.101:9443", PIN)
    assert store.get("https://10.0.0.101:9443/") == PIN
    # AND only its owner can read the file and its directory
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    # WHEN forgetting it THEN it is gone, and forgetting again is harmless
    assert store.remove("https://10.0.0.101:9443") == PIN
    assert store.get("https://10.0.0.101:9443") is None
    assert store.remove("https://10.0.0.101:9443") is None


def test_other_servers_pins_are_kept(tmp_path: Path) -> None:
    store = PinStore(tmp_path / "pins.json")
    store.put("https://10.0.0.101:9443", PIN)
    store.put("https://10.9.0.101:9443", PIN)
    store.remove("https://10.0.0.101:9443")
    document = json.loads(store.path.read_text(encoding="utf-8"))
    assert list(document["servers"]) == ["https://10.9.0.101:9443"]


@pytest.mark.parametrize(
    "content",
    ["not json", '{"servers": {"https://x:1": {"sha256": "nothex"}}}', '{"version": 1}'],
)
def test_fails_when_the_pins_file_is_damaged(tmp_path: Path, content: str) -> None:
    path = tmp_path / "pins.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PinsFileError, match=f"{path} is damaged"):
        PinStore(path).get("https://x:1")
