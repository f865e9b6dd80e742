"""The real yaml-language-server (npm, pinned in package.json), driven over LSP on stdio.

Editors from VS Code to Helix run this server on Phoenix's configs; the tests ask it what an
editor would show instead of guessing from the schema. It talks to nothing but its pipes: the
schema store download is turned off, and the configs name their schema by a relative path.
"""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import threading
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from tests.conftest import ROOT

SERVER = ROOT / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"

SETTINGS: dict[str, Any] = {
    "validate": True,
    "hover": True,
    "completion": True,
    "schemaStore": {"enable": False},  # the catalog lives on the internet
}
"""The `yaml` section of the editor settings, as VS Code would send it."""

TIMEOUT_SECONDS = 30.0


class LanguageServerError(RuntimeError):
    """The server answered a request with an error, or not at all."""


class YamlLanguageServer:
    """One server process: `with YamlLanguageServer() as server: server.hover(path, 3, 2)`."""

    def __init__(self, root: Path = ROOT) -> None:
        node = shutil.which("node")
        if node is None or not SERVER.is_file():
            raise FileNotFoundError(f"needs node and {SERVER.relative_to(ROOT)}: run `make setup`")
        self._process = subprocess.Popen(
            [node, str(SERVER), "--stdio"],
            cwd=root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        assert self._process.stdout is not None
        threading.Thread(target=self._read, args=(self._process.stdout,), daemon=True).start()
        self._next_id = 0
        self._opened: set[str] = set()
        self._diagnostics: dict[str, list[dict[str, Any]]] = {}
        self.server_info: dict[str, Any] = self.request(
            "initialize",
            {
                "processId": None,
                "rootUri": root.as_uri(),
                "capabilities": {
                    "workspace": {"configuration": True},
                    "textDocument": {"hover": {"contentFormat": ["markdown", "plaintext"]}},
                },
            },
        ).get("serverInfo", {})
        self.notify("initialized", {})

    def __enter__(self) -> YamlLanguageServer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Shut the server down the LSP way; kill it if it does not go."""
        try:
            if self._process.poll() is None:
                self.request("shutdown", None)
                self.notify("exit", None)
                self._process.wait(timeout=5)
        except (LanguageServerError, OSError, subprocess.TimeoutExpired):
            self._process.kill()
            self._process.wait()

    def hover(self, path: Path, line: int, character: int) -> str:
        """What an editor shows when the pointer rests at (0-based) `line`, `character` of
        `path`: the markdown text, or "" when the server has nothing to say."""
        uri = self._open(path)
        position = {"line": line, "character": character}
        result = self.request(
            "textDocument/hover", {"textDocument": {"uri": uri}, "position": position}
        )
        contents = (result or {}).get("contents", "")
        return str(contents.get("value", "") if isinstance(contents, dict) else contents)

    def diagnostics(self, path: Path) -> list[dict[str, Any]]:
        """The problems the server reports in `path` (LSP `Diagnostic`s), as an editor
        underlines them once the file is open."""
        uri = self._open(path)
        while uri not in self._diagnostics:
            self._handle(self._next_message("diagnostics"))
        return self._diagnostics[uri]

    def _open(self, path: Path) -> str:
        uri = path.resolve().as_uri()
        if uri not in self._opened:
            text = path.read_text(encoding="utf-8")
            document = {"uri": uri, "languageId": "yaml", "version": 1, "text": text}
            self.notify("textDocument/didOpen", {"textDocument": document})
            self._opened.add(uri)
        return uri

    def request(self, method: str, params: Any) -> Any:
        """Send a request and wait for its answer, serving the server's own requests meanwhile."""
        self._next_id += 1
        ident = self._next_id
        self._send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        while True:
            message = self._next_message(method)
            if "method" in message:
                self._handle(message)
            elif message.get("id") == ident:
                if "error" in message:
                    raise LanguageServerError(f"{method}: {message['error']}")
                return message.get("result")

    def notify(self, method: str, params: Any) -> None:
        """Send a notification (no answer)."""
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def _next_message(self, waiting_for: str) -> dict[str, Any]:
        try:
            message = self._messages.get(timeout=TIMEOUT_SECONDS)
        except queue.Empty:
            silent = f"nothing from the server in {TIMEOUT_SECONDS:.0f} s ({waiting_for})"
            raise LanguageServerError(silent) from None
        if message is None:
            raise LanguageServerError(f"the server exited ({waiting_for})")
        return message

    def _handle(self, message: dict[str, Any]) -> None:
        """Keep what the server publishes; answer what it asks."""
        if message.get("method") == "textDocument/publishDiagnostics":
            self._diagnostics[message["params"]["uri"]] = message["params"]["diagnostics"]
        elif "id" in message and "method" in message:
            self._answer(message)

    def _answer(self, message: dict[str, Any]) -> None:
        result: Any = None
        if message["method"] == "workspace/configuration":
            sections = [item.get("section") for item in message["params"]["items"]]
            result = [SETTINGS if section == "yaml" else {} for section in sections]
        self._send({"jsonrpc": "2.0", "id": message["id"], "result": result})

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        stdin = self._process.stdin
        assert stdin is not None
        stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        stdin.flush()

    def _read(self, stdout: IO[bytes]) -> None:
        while True:
            length = None
            while line := stdout.readline():
                if not line.strip():
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if length is None:
                self._messages.put(None)
                return
            self._messages.put(json.loads(stdout.read(length)))
