"""`tungnha serve --workers 2` (app/serve.py): each worker listens on a socket of its own on the same port;
connections opened at once reach both, SIGTERM stops them all, a port already taken is refused plainly."""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.browser import free_port

ROOT = Path(__file__).resolve().parent.parent
TUNGNHA = str(Path(sys.executable).parent / "tungnha")
CONNECTIONS = 40


def _serve(tmp_path: Path, port: int) -> subprocess.Popen:  # type: ignore[type-arg]
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "FRONTEND_DIST": str(tmp_path / "no-dist"),
        "ENVIRONMENT": "test",
        "SECRET_KEY": "serve-test-" + uuid.uuid4().hex,
    }
    args = [TUNGNHA, "serve", "--port", str(port), "--workers", "2", "--no-access-log", "--log-level", "warning"]
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _children(pid: int) -> list[int]:
    """The workers: the supervisor's children other than multiprocessing's resource tracker."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if parent == pid and b"resource_tracker" not in cmdline:
            out.append(int(entry.name))
    return out


def _established(pid: int, port: int) -> int:
    """Connections to `port` that process `pid` holds open (its socket inodes in /proc/net/tcp)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        if local_port == port and fields[3] == "01" and fields[9] in inodes:  # 01: ESTABLISHED
            count += 1
    return count


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen, int]]:  # type: ignore[type-arg]
    port = free_port()
    process = _serve(tmp_path, port)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield process, port
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


def test_connections_opened_at_once_are_shared_between_the_workers(
    served: tuple[subprocess.Popen, int],  # type: ignore[type-arg]
) -> None:
    process, port = served
    workers = _children(process.pid)
    assert len(workers) == 2
    for pid in workers:  # fewer malloc heaps per worker (app/serve.py)
        assert b"MALLOC_ARENA_MAX=2" in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    clients = [httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) for _ in range(CONNECTIONS)]
    try:
        for client in clients:  # each keeps its one connection open
            assert client.get("/api/v1/health").status_code == 200
        held = [_established(pid, port) for pid in workers]
        assert sum(held) == CONNECTIONS
        # Spread by a hash of the addresses: fewer than 5 of 40 on one worker has odds under one in a million.
        assert min(held) >= 5, held
    finally:
        for client in clients:
            client.close()


def test_sigterm_stops_every_worker(served: tuple[subprocess.Popen, int]) -> None:  # type: ignore[type-arg]
    process, port = served
    workers = _children(process.pid)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
    with socket.socket() as s:  # the port is free again
        s.bind(("127.0.0.1", port))


def test_a_port_already_taken_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        process = _serve(tmp_path, taken.getsockname()[1])
        out, _ = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "cannot listen on 127.0.0.1" in out


def test_a_port_another_server_serves_is_refused(tmp_path: Path, served: tuple[subprocess.Popen, int]) -> None:  # type: ignore[type-arg]
    """Its sockets share the port (SO_REUSEPORT): a second server joining them would take half the phones."""
    _, port = served
    process = _serve(tmp_path, port)
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "cannot listen on 127.0.0.1" in out
