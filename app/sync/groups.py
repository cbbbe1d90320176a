"""Pushes written together: the pushes waiting in one process go to the database a group at a time.

Fifty phones pushing one visit each cost fifty transactions of a dozen statements, most of them the same
for one visit as for a hundred. Here the pushes admitted (app/sync/admission.py) queue, and each of a
few writers takes every push waiting, up to `max_mutations`, and writes them in one transaction with one
`coverage.ingest` (`service.push_together`): under load a push costs a share of a group's statements;
alone, it is written at once, as before.

- Each push keeps its own answer, and is answered only after the commit that holds its effects.
- Only pushes of visits are grouped, never two of one user; any other push is written alone.
- A group that cannot be written together (one push's own error, a row the database refuses) is rolled
  back and each of its pushes written alone, which answers each as if it had come by itself. A lock or
  statement timeout answers the whole group 503: the phones resend, nothing is lost.
"""

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool

log = logging.getLogger(__name__)

# Writes a group's items in a worker thread: one answer or exception per item, in order.
Write = Callable[[list[Any]], list[bytes | BaseException]]


@dataclass
class _Waiting:
    item: Any
    user: Hashable
    size: int
    together: bool
    future: asyncio.Future[bytes | BaseException] = field(repr=False)


class PushGroups:
    def __init__(self, write: Write, *, writers: int, max_mutations: int = 200) -> None:
        self.write = write
        self.writers = writers
        self.max_mutations = max_mutations
        self._queue: deque[_Waiting] = deque()
        self._active: set[asyncio.Task[None]] = set()

    async def push(self, item: Any, *, user: Hashable, size: int, together: bool) -> bytes:
        """Write one push, with others waiting if it may be (`together`); its answer, or its error raised."""
        waiting = _Waiting(item, user, size, together, asyncio.get_running_loop().create_future())
        self._queue.append(waiting)
        while len(self._active) < self.writers and self._queue:
            task = asyncio.get_running_loop().create_task(self._writer())
            self._active.add(task)
            task.add_done_callback(self._active.discard)
        answer = await waiting.future
        if isinstance(answer, BaseException):
            raise answer
        return answer

    async def _writer(self) -> None:
        while self._queue:
            group = self._take()
            if not group:
                continue
            try:
                answers = await run_in_threadpool(self.write, [w.item for w in group])
            except Exception as exc:  # a defect in `write`: every push of the group fails, none hangs
                answers = [exc] * len(group)
            for w, answer in zip(group, answers, strict=True):
                if not w.future.done():  # its phone may have gone away
                    w.future.set_result(answer)

    def _take(self) -> list[_Waiting]:
        """The oldest push waiting and, if it may be written together, every later one that may join it.
        A push whose phone has gone away while it waited is dropped: nothing of it was written, and the
        phone sends it again."""
        first = self._queue.popleft()
        if first.future.done():
            return []
        group = [first]
        if not first.together:
            return group
        users, size, left = {first.user}, first.size, deque[_Waiting]()
        while self._queue:
            w = self._queue.popleft()
            if w.future.done():
                continue
            if w.together and w.user not in users and size + w.size <= self.max_mutations:
                group.append(w)
                users.add(w.user)
                size += w.size
            else:
                left.append(w)
        self._queue = left
        return group
