"""Every API route: a request's transaction begins, works and ends inside one worker thread.

FastAPI runs each sync dependency, the endpoint and the response serialisation as separate trips to the
thread pool. A transaction left open between two trips waits for a free thread while it holds row locks
(PostgreSQL) or the write lock (SQLite); under load every thread ends up waiting for a lock held by a
transaction that waits for a thread, and the server wedges for good. So:

- the dependencies that read (the current user, their scope) end their read transaction in their own
  trip (`end_read`);
- the endpoint's transaction commits, or rolls back, at the end of the endpoint's own trip (`OneHopRoute`),
  before serialisation; `get_session`'s exit only closes the session, on a limiter of its own.
"""

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute
from sqlmodel import Session


def end_read(session: Session) -> None:
    """End the transaction a dependency's reads began (its objects stay loaded: expire_on_commit=False)."""
    if session.in_transaction():
        session.commit()


def _commit_in_same_trip(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Any:
        sessions = [v for v in kwargs.values() if isinstance(v, Session)]
        try:
            result = endpoint(*args, **kwargs)
            for session in sessions:
                session.commit()
        except BaseException:
            for session in sessions:
                session.rollback()
            raise
        return result

    return run


class OneHopRoute(APIRoute):
    """The route class of every API router (a test checks that none is left out)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _commit_in_same_trip(endpoint)
        super().__init__(path, endpoint, **kwargs)
