"""Admission of pushes, decided on the event loop before a push takes a thread or a transaction.

- One push in flight per `client_id`: a phone's second push waits briefly for its first, then gets 429.
  One user's parallel pushes never hold more than one slot, so they cannot starve the others.
- At most `concurrency` pushes run at once in this process (a push is CPU- and lock-bound: more at once only
  share the GIL and the database's locks). The others wait here, holding nothing.
- A push that could not start within a few seconds — judged up front from the queue length and the recent
  service time, and enforced by a timeout — gets 503 with Retry-After at once, which the phone retries with
  backoff; the server never queues without end.
"""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from app.errors import AppError

RETRY_AFTER_SECONDS = 5


class ServerBusy(AppError):
    status_code = 503
    code = "server_busy"
    message_vi = "Máy chủ đang bận. Dữ liệu vẫn an toàn trên máy, ứng dụng sẽ tự gửi lại sau ít giây."
    message_en = "The server is busy. Your data is safe on the phone and will be sent again shortly."

    def __init__(self, retry_after: int = RETRY_AFTER_SECONDS) -> None:
        super().__init__()
        self.headers = {"Retry-After": str(retry_after)}


class PushInFlight(AppError):
    status_code = 429
    code = "push_in_flight"
    message_vi = "Thiết bị này đang gửi dữ liệu. Ứng dụng sẽ tự gửi lại sau ít giây."
    message_en = "This device is already sending data; it will send again shortly."

    def __init__(self, retry_after: int = RETRY_AFTER_SECONDS) -> None:
        super().__init__()
        self.headers = {"Retry-After": str(retry_after)}


class PushAdmission:
    def __init__(self, *, concurrency: int, max_wait_seconds: float = 5.0, client_wait_seconds: float = 2.0) -> None:
        self.concurrency = concurrency
        self.max_wait = max_wait_seconds
        self.client_wait = client_wait_seconds
        self.waiting = 0
        self.running = 0
        self.service_seconds = 0.2  # moving average of one push's time in its slot
        self._slots: asyncio.Semaphore | None = None
        self._in_flight: dict[str, asyncio.Event] = {}

    def _semaphore(self) -> asyncio.Semaphore:
        # Made on first use, inside the worker's event loop.
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.concurrency)
        return self._slots

    def expected_wait(self) -> float:
        return (self.waiting + 1) * self.service_seconds / self.concurrency if self.running >= self.concurrency else 0.0

    @asynccontextmanager
    async def slot(self, client_id: str | None) -> AsyncIterator[None]:
        await self._one_per_client(client_id)
        try:
            if self.expected_wait() > self.max_wait:
                raise ServerBusy()
            self.waiting += 1
            try:
                await asyncio.wait_for(self._semaphore().acquire(), timeout=self.max_wait)
            except TimeoutError:
                raise ServerBusy() from None
            finally:
                self.waiting -= 1
            self.running += 1
            started = time.monotonic()
            try:
                yield
            finally:
                self.running -= 1
                self._semaphore().release()
                self.service_seconds = 0.8 * self.service_seconds + 0.2 * (time.monotonic() - started)
        finally:
            if client_id is not None:
                self._in_flight.pop(client_id).set()

    async def _one_per_client(self, client_id: str | None) -> None:
        if client_id is None:
            return
        deadline = time.monotonic() + self.client_wait
        while (earlier := self._in_flight.get(client_id)) is not None:
            try:
                await asyncio.wait_for(earlier.wait(), timeout=max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                raise PushInFlight() from None
        self._in_flight[client_id] = asyncio.Event()
