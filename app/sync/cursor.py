"""The pull cursor (docs/sync-v1.md): how far each hamlet of the area has been sent, signed so a
phone can hold it but not forge it.

Within one version of a hamlet, rows go in type order (the ranks below), then by key. A position
(version, rank, key) says everything of the hamlet sorting at or before it has been sent.
"""

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from typing import Any

import orjson

from app.config import get_settings
from app.errors import AppError

# A departure comes before the household's own rows, so a household that left and came back in one
# transaction ends up present.
DEPARTURE, HOUSEHOLD, PERSON, STATUS, VISIT = range(5)
DONE = 9  # position rank: everything up to the version has been sent
_CURSOR_VERSION = 1


class InvalidCursor(AppError):
    status_code = 400
    code = "invalid_cursor"
    message_vi = "Mốc đồng bộ không hợp lệ. Tải lại dữ liệu địa bàn từ đầu."
    message_en = "Invalid sync cursor. Download the area again from the start."


@dataclass(frozen=True)
class Position:
    """Everything of the hamlet sorting at or before (version, rank, key) has been sent."""

    version: int = 0
    rank: int = 0
    key: str = ""

    def encode(self) -> list[Any]:
        return [self.version] if self.rank == DONE else [self.version, self.rank, self.key]


START = Position()


@dataclass
class Cursor:
    user_id: int
    marker: str
    positions: dict[int, Position]


def _sign(body: bytes) -> bytes:
    secret = get_settings().secret_key.encode()
    return hmac.new(secret, b"tungnha-sync-cursor:" + body, hashlib.sha256).digest()[:16]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_cursor(*, user_id: int, marker: str, positions: dict[int, Position]) -> str:
    payload = {
        "v": _CURSOR_VERSION,
        "u": user_id,
        "c": marker,
        "h": {str(h): p.encode() for h, p in sorted(positions.items()) if p != START},
    }
    body = orjson.dumps(payload)
    return f"{_b64(body)}.{_b64(_sign(body))}"


def decode_cursor(token: str) -> Cursor:
    """A cursor this server signed, or 400: never a 500 for a forged or truncated one."""
    try:
        body_text, sig_text = token.split(".")
        body = _unb64(body_text)
        if not hmac.compare_digest(_unb64(sig_text), _sign(body)):
            raise ValueError("bad signature")
        payload = orjson.loads(body)
        if payload["v"] != _CURSOR_VERSION:
            raise ValueError("cursor version")
        user_id, marker, raw = payload["u"], payload["c"], payload["h"]
        if not isinstance(user_id, int) or not isinstance(marker, str) or not isinstance(raw, dict):
            raise ValueError("shape")
        positions = {int(h): _position(p) for h, p in raw.items()}
    except (ValueError, KeyError, TypeError, AttributeError, orjson.JSONDecodeError) as exc:
        raise InvalidCursor() from exc
    return Cursor(user_id=user_id, marker=marker, positions=positions)


def _position(raw: Any) -> Position:
    if not isinstance(raw, list) or not all(isinstance(x, int) and x >= 0 for x in raw[:2]):
        raise ValueError("position")
    if len(raw) == 1:
        return Position(raw[0], DONE, "")
    version, rank, key = raw
    if rank > VISIT or not isinstance(key, str):
        raise ValueError("position")
    if key:
        key_value(rank, key)  # must parse
    return Position(version, rank, key)


def key_value(rank: int, key: str) -> Any:
    """The row key a position names: a UUID, or (household UUID, campaign id) for a status."""
    if rank == STATUS:
        household_id, _, campaign_id = key.partition(":")
        return uuid.UUID(household_id), int(campaign_id)
    return uuid.UUID(key)


def key_text(rank: int, k1: Any, k2: Any) -> str:
    """The position key of a row: its id, or `<household>:<campaign>` for a status (as its change id)."""
    return f"{k1}:{k2}" if rank == STATUS else str(k1)
