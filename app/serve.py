"""`tungnha serve --workers N`: N uvicorn processes, each listening on a socket of its own on the same
port (SO_REUSEPORT), so the kernel spreads new connections evenly among them.

With uvicorn's own `--workers`, the workers share one listening socket and whichever worker's event
loop runs first accepts every connection waiting (uvloop accepts until none is left); a worker whose
loop is slow to run, its threads busy with pushes, gets fewer, and the phones keep their connections
alive. Here the kernel assigns each new connection to one of the sockets of the group by a hash of its
addresses, whatever each worker is doing.

The supervising process binds the port first (a clear error when it is taken, and a free port chosen
once when 0 is asked for) but never listens, so it receives no connection; it restarts a worker that
dies, stops every worker on SIGTERM or SIGINT, and gives up when a worker fails right after starting.
"""

import multiprocessing
import os
import signal
import socket
import sys
import time
from multiprocessing.process import BaseProcess
from typing import Any

import uvicorn

# A worker that exits sooner than this after starting is failing to start (a bad setting, the database
# unreachable at import): restarting it forever would only hide the error.
FAILING_START_SECONDS = 10.0


def run(options: dict[str, Any], workers: int) -> int:
    """Serve with uvicorn `options` (host, port and the rest of uvicorn.Config) in `workers`
    processes; returns the exit status."""
    # Linux balances a SO_REUSEPORT group; elsewhere (macOS) the last socket bound would take every connection.
    if workers <= 1 or not sys.platform.startswith("linux"):
        uvicorn.run(**options, workers=workers)
        return 0
    try:
        probe = _unshared_port(options["host"], options["port"])
    except OSError as exc:
        print(f"tungnha serve: cannot listen on {options['host']}:{options['port']}: {exc.strerror}", flush=True)
        return 1
    options = {**options, "port": probe.getsockname()[1]}
    # glibc gives each thread that allocates its own heap (up to 8 per core), and a worker runs dozens
    # of threads: two heaps hold a worker's memory as well, some megabytes lighter (read at a worker's start).
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    context = multiprocessing.get_context("spawn")
    children: dict[int, tuple[BaseProcess, float]] = {}

    def start(slot: int) -> None:
        child = context.Process(target=_worker, args=(options,), name=f"tungnha-worker-{slot}", daemon=False)
        child.start()
        children[slot] = (child, time.monotonic())

    stopping = False

    def stop(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for slot in range(workers):
        start(slot)
    status = 0
    while not stopping:
        time.sleep(0.2)
        for slot, (child, started) in list(children.items()):
            if child.is_alive() or stopping:
                continue
            if time.monotonic() - started < FAILING_START_SECONDS:
                print(f"tungnha serve: a worker exited at start (status {child.exitcode}); stopping", flush=True)
                stopping, status = True, 1
                break
            print(f"tungnha serve: a worker exited (status {child.exitcode}); starting another", flush=True)
            start(slot)
    for child, _ in children.values():
        if child.is_alive() and child.pid is not None:
            os.kill(child.pid, signal.SIGTERM)
    for child, _ in children.values():
        child.join()
    probe.close()
    return status


def _unshared_port(host: str, port: int) -> socket.socket:
    """The supervisor's socket on `port`, refused when anything already holds the port. A socket with
    SO_REUSEPORT joins any group of the same user's on the port: another `tungnha serve` still running
    (an old version not stopped) would silently take every other phone. So the port is first bound
    plainly, which fails if any socket has it, then joined to the group this server's workers form."""
    with _bound_socket(host, port, shared=False) as plain:
        port = plain.getsockname()[1]
    return _bound_socket(host, port)


def _bound_socket(host: str, port: int, *, shared: bool = True) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if shared:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _worker(options: dict[str, Any]) -> None:
    sock = _bound_socket(options["host"], options["port"])
    sock.listen(2048)
    server = uvicorn.Server(uvicorn.Config(**options))
    server.run(sockets=[sock])
