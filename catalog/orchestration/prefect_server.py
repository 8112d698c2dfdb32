"""A local Prefect server (`prefect server start`) as a subprocess on loopback.

Schedules never fire on Prefect's temporary (ephemeral) server, so `fitcat serve` needs a
real one: this starts it in its own process group with its own PREFECT_HOME (the server's
SQLite database lives there), waits for `/api/health` with a bounded deadline, and stops
the whole group on exit. It does not import Prefect, so callers can start a server before
Prefect reads its settings.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


class ServerStartError(RuntimeError):
    """The Prefect server exited or did not answer /api/health in time."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1.0)
        return s.connect_ex((host, port)) == 0


def prefect_executable() -> list[str]:
    """The `prefect` CLI of this interpreter's environment."""
    script = Path(sys.executable).with_name("prefect")
    return [str(script)] if script.exists() else [sys.executable, "-m", "prefect"]


def answers(api_url: str, timeout: float = 2.0) -> bool:
    """The Prefect API at `api_url` answers its health check."""
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=timeout) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class LocalServer:
    home: Path
    host: str
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}/api"

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def healthy(self, timeout: float = 2.0) -> bool:
        return answers(self.api_url, timeout)

    def wait_healthy(self, deadline_seconds: float) -> None:
        """Poll /api/health until it answers 200; fail early if the process exits."""
        deadline = time.monotonic() + deadline_seconds
        while True:
            if self.healthy():
                return
            if time.monotonic() >= deadline:
                raise ServerStartError(f"Prefect server on {self.api_url} not healthy after "
                                       f"{deadline_seconds:.0f} s; log {self.log_path}:\n{self.log_tail()}")
            with contextlib.suppress(subprocess.TimeoutExpired):
                # Doubles as the poll interval: returns at once if the server died.
                code = self.process.wait(timeout=0.25)
                raise ServerStartError(f"Prefect server exited with code {code}; "
                                       f"log {self.log_path}:\n{self.log_tail()}")

    def stop(self, grace_seconds: float = 15.0) -> None:
        """SIGTERM the server's process group, SIGKILL it if it outlives the grace period."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=grace_seconds)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=grace_seconds)
        # Workers the server forked may outlive its main process: clear the group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


def start(home: Path, host: str = "127.0.0.1", port: int | None = None, ui: bool = True,
          deadline_seconds: float = 120.0, wait: bool = True) -> LocalServer:
    """Start `prefect server start` on host:port (port None: a free one) and wait until healthy
    (`wait` False: return at once; the caller waits with `wait_healthy` before its first call)."""
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    port = port or free_port(host)
    if port_in_use(host, port):
        raise ServerStartError(f"port {host}:{port} is already in use; pick another (--server-port) "
                               "or point PREFECT_API_URL at the server listening there")
    env = dict(os.environ)
    env.pop("PREFECT_API_URL", None)   # the server itself is not a client of another server
    env.update({
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "true" if ui else "false",
    })
    log_path = home / "server.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [*prefect_executable(), "server", "start", "--host", host, "--port", str(port)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
            start_new_session=True,   # its own process group, so stop() reaches its children
        )
    server = LocalServer(home=home, host=host, port=port, process=process, log_path=log_path)
    if not wait:
        return server
    try:
        server.wait_healthy(deadline_seconds)
    except BaseException:
        server.stop()
        raise
    return server


@contextlib.contextmanager
def running(home: Path, host: str = "127.0.0.1", port: int | None = None, ui: bool = True,
            deadline_seconds: float = 120.0) -> Iterator[LocalServer]:
    """`start`, yield the healthy server, and stop it (its whole process group) on exit."""
    server = start(home, host, port, ui, deadline_seconds)
    try:
        yield server
    finally:
        server.stop()
