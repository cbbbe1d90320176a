"""A phone's exported outbox ("Xuất dữ liệu chưa đồng bộ") uploaded by an official: what it holds, then
applied exactly once through the push path (`import_outbox`), as the volunteer who wrote it.

Only an admin, or an official whose unit contains the volunteer's whole area, may do either: the
official vouches for the file, the volunteer's own scope decides what each mutation may touch.
"""

import uuid
from collections import Counter
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, select

from app.auth.phone import InvalidPhone, normalize_phone
from app.auth.scope import FIELD_ROLES, OFFICIAL_ROLES, Scope, scope_for
from app.errors import Forbidden, Invalid, NotFound, OutsideYourArea
from app.models import AdminUnit, Household, SyncClient, User
from app.privacy import service as privacy
from app.sync import service
from app.sync.schemas import MutationIn, MutationResult, OutboxExport, PushIn

MAX_OUTBOX_BYTES = 20_000_000
MAX_LISTED_HOUSEHOLDS = 500


class OutboxUnreadable(Invalid):
    code = "outbox_unreadable"
    message_vi = "Không đọc được tệp dữ liệu chưa đồng bộ. Hãy gửi đúng tệp .json xuất từ điện thoại."
    message_en = "The outbox file cannot be read. Send the .json file exported from the phone."


class OutboxTooLarge(Invalid):
    status_code = 413
    code = "file_too_large"
    message_vi = f"Tệp quá lớn (tối đa {MAX_OUTBOX_BYTES // 1_000_000} MB)."
    message_en = f"The file is too large ({MAX_OUTBOX_BYTES // 1_000_000} MB max)."


def read_export(content: bytes) -> OutboxExport:
    if len(content) > MAX_OUTBOX_BYTES:
        raise OutboxTooLarge()
    try:
        return OutboxExport.model_validate_json(content)
    except ValidationError as exc:
        details = [
            {"loc": [str(p) for p in e["loc"]][:6], "msg": e["msg"][:200], "type": e["type"]} for e in exc.errors()[:20]
        ]
        raise OutboxUnreadable(details=details) from None


class UserNotFound(NotFound):
    code = "user_not_found"
    message_vi = "Không tìm thấy tài khoản có số điện thoại này."
    message_en = "No account with this phone number."


def owner_of(session: Session, export: OutboxExport) -> User:
    try:
        phone = normalize_phone(export.user_phone)
    except InvalidPhone as exc:
        raise UserNotFound(details={"phone": export.user_phone}) from exc
    user = session.exec(select(User).where(User.phone == phone)).first()
    if user is None:
        raise UserNotFound(details={"phone": export.user_phone})
    return user


def require_official_over(session: Session, scope: Scope, user: User) -> None:
    """Admins, or officials whose unit holds every hamlet of the user's area (or the user's unit)."""
    if scope.is_admin:
        return
    if scope.user.role not in OFFICIAL_ROLES:
        raise Forbidden()
    paths: list[str] = []
    if user.role in FIELD_ROLES:
        paths = list(scope_for(session, user).hamlet_paths)
    if not paths and user.unit_id is not None:
        unit = session.get(AdminUnit, user.unit_id)
        paths = [unit.path] if unit is not None else []
    if not paths or not all(scope.contains_path(p) for p in paths):
        raise OutsideYourArea(details={"user_id": user.id})


def _client_last_seq(session: Session, export: OutboxExport, user: User) -> int:
    client = session.get(SyncClient, export.client_id)
    if client is None:
        return 0
    if client.user_id != user.id:
        raise service.ClientOwnedByOtherUser(details={"client_id": export.client_id})
    return client.last_seq


def _household_id(kind: str, data: dict[str, Any]) -> str | None:
    value = data.get("id") if kind in ("household.upsert", "household.consent") else data.get("household_id")
    try:
        return str(uuid.UUID(str(value))) if value is not None else None
    except ValueError:
        return None


def summary(session: Session, *, scope: Scope, content: bytes) -> dict[str, Any]:
    export = read_export(content)
    service.check_schema_version(export.schema_version)
    user = owner_of(session, export)
    require_official_over(session, scope, user)
    last_seq = _client_last_seq(session, export, user)
    mutations = sorted(export.mutations, key=lambda m: m.seq)
    kinds = Counter(m.kind for m in mutations)
    already = sum(1 for m in mutations if m.seq <= last_seq)
    # The households the file names: from its own household.upsert, else as stored.
    named: dict[str, dict[str, Any]] = {}
    for m in mutations:
        hid = _household_id(m.kind, m.data)
        if hid is None:
            continue
        entry = named.setdefault(
            hid, {"household_id": hid, "head_name": None, "address": None, "in_file": False, "mutations": 0}
        )
        entry["mutations"] += 1
        if m.kind == "household.upsert":
            entry.update(
                head_name=str(m.data.get("head_name") or "")[:120],
                address=str(m.data.get("address") or "")[:300],
                in_file=True,
            )
    unknown = [uuid.UUID(h) for h, e in named.items() if not e["in_file"]]
    hidden: dict[str, str] = {}
    for start in range(0, len(unknown), 500):
        stored = session.exec(select(Household).where(col(Household.id).in_(unknown[start : start + 500]))).all()
        for h in stored:
            named[str(h.id)].update(head_name=h.head_name, address=h.address)
            label = privacy.hidden(h)
            if label is not None:
                hidden[str(h.id)] = label
    # A household that withdrew consent (on the server, or in this very file) or was erased is not named.
    for m in mutations:
        if m.kind == "household.consent" and m.data.get("state") == "withdrawn":
            hid = _household_id(m.kind, m.data)
            if hid is not None:
                hidden.setdefault(hid, privacy.WITHDRAWN_LABEL)
    for hid, label in hidden.items():
        named[hid].update(head_name=label, address="")
    households = list(named.values())
    return {
        "client_id": export.client_id,
        "exported_at": export.exported_at,
        "schema_version": export.schema_version,
        "volunteer": {"id": user.id, "full_name": user.full_name, "phone": user.phone, "role": user.role},
        "total": len(mutations),
        "counts": dict(sorted(kinds.items())),
        "already_applied": already,
        "to_apply": len(mutations) - already,
        "last_seq": last_seq,
        "first_seq": mutations[0].seq if mutations else None,
        "final_seq": mutations[-1].seq if mutations else None,
        "household_count": len(households),
        "households": households[:MAX_LISTED_HOUSEHOLDS],
    }


def apply(session: Session, *, scope: Scope, content: bytes) -> dict[str, Any]:
    export = read_export(content)
    user = owner_of(session, export)
    require_official_over(session, scope, user)
    last_seq, results = import_outbox(session, export=export)
    counts = status_counts(results)
    return {
        "client_id": export.client_id,
        "volunteer": {"id": user.id, "full_name": user.full_name, "phone": user.phone, "role": user.role},
        "last_seq": last_seq,
        "counts": {s: counts.get(s, 0) for s in ("applied", "duplicate", "rejected", "retry")},
        "results": [r.model_dump(mode="json") for r in results],
    }


def import_outbox(session: Session, *, export: OutboxExport) -> tuple[int, list[MutationResult]]:
    """Apply a phone's exported outbox through the push path, 100 mutations at a time, as its user."""
    service.check_schema_version(export.schema_version)
    user = owner_of(session, export)
    scope = scope_for(session, user)
    ordered = sorted(export.mutations, key=lambda m: m.seq)
    results: list[MutationResult] = []
    last_seq = 0
    for start in range(0, max(len(ordered), 1), service.MAX_MUTATIONS):
        chunk = [
            MutationIn(seq=m.seq, id=m.id, kind=m.kind, data=m.data)
            for m in ordered[start : start + service.MAX_MUTATIONS]
        ]
        out = service.push(  # with savepoints: a rollback would undo the chunks before this one
            session,
            actor=user,
            scope=scope,
            data=PushIn(client_id=export.client_id, schema_version=export.schema_version, mutations=chunk),
            guarded=True,
        )
        results.extend(out.results)
        last_seq = out.last_seq
    return last_seq, results


def status_counts(results: Iterable[MutationResult]) -> Counter[str]:
    return Counter(r.status for r in results)
