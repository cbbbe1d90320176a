"""Sync v1 push (DESIGN §5, docs/sync-v1.md): idempotent per (client_id, seq).

Each installation numbers its mutations (`client_id`, `seq`) and the server keeps the last seq it
processed, in the same transaction as the effects: a resent mutation is `duplicate` and applies
nothing; a gap stops processing (`retry`); each mutation runs in its own savepoint, so a bad one is
`rejected` and counted as processed without blocking the ones behind it.
"""

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError
from sqlmodel import Session, col, select

from app.auth.scope import Scope
from app.coverage import sql
from app.errors import AppError, Forbidden, Invalid, is_temporary_db_error
from app.households import service as households
from app.households.schemas import HouseholdIn, PersonIn
from app.models import (
    SyncClient,
    SyncRejection,
    User,
)
from app.models.base import table_of, utcnow
from app.privacy import service as privacy
from app.privacy.schemas import HouseholdConsentIn
from app.sync.schemas import SCHEMA_VERSION, MutationIn, MutationResult, PushIn, PushOut
from app.visits import service as visits
from app.visits.schemas import VisitIn

MAX_MUTATIONS = 100
KINDS: dict[str, type[BaseModel]] = {
    "household.upsert": HouseholdIn,
    "person.upsert": PersonIn,
    "visit.create": VisitIn,
    "household.consent": HouseholdConsentIn,
}


class ClientTooOld(AppError):
    status_code = 426
    code = "client_too_old"
    message_vi = "Ứng dụng đã cũ. Tải lại trang để cập nhật; dữ liệu chưa đồng bộ vẫn được giữ trên máy."
    message_en = "This version of the app is too old. Reload the page to update; unsynced data stays on the phone."


class ClientTooNew(AppError):
    status_code = 400
    code = "client_too_new"
    message_vi = "Máy chủ chưa hỗ trợ phiên bản ứng dụng này. Dữ liệu vẫn được giữ; thử lại sau."
    message_en = "The server does not support this version of the app yet. Data is kept; try again later."


class ClientOwnedByOtherUser(Forbidden):
    code = "client_owned_by_other_user"
    message_vi = "Dữ liệu trên máy này thuộc một tài khoản khác. Đăng nhập bằng tài khoản đó để đồng bộ."
    message_en = "The data on this device belongs to another account. Log in with that account to sync it."


class UnknownKind(Invalid):
    code = "unknown_kind"
    message_vi = "Loại thao tác không được hỗ trợ."
    message_en = "Unknown kind of change."


class RefusedByDatabase(Invalid):
    code = "refused_by_database"
    message_vi = "Máy chủ không lưu được dữ liệu này. Kiểm tra lại nội dung rồi sửa hoặc xóa thao tác."
    message_en = "The server could not store this data. Check it, then correct or delete the change."


# --- push -----------------------------------------------------------------------------------------


def check_schema_version(version: int) -> None:
    if version < SCHEMA_VERSION:
        raise ClientTooOld(details={"schema_version": version, "server_schema_version": SCHEMA_VERSION})
    if version > SCHEMA_VERSION:
        raise ClientTooNew(details={"schema_version": version, "server_schema_version": SCHEMA_VERSION})


def push(session: Session, *, actor: User, scope: Scope, data: PushIn, guarded: bool = False) -> PushOut:
    """Apply a batch in seq order. Effects, derived rows and the client's new last_seq land in the
    caller's one transaction; nothing here commits. Visits go to `app.coverage.ingest` a run at a
    time (a single visit is a run of one); only hamlet rows are written, so pushes to different
    hamlets never wait on one another.

    The usual push, visits only, runs without a savepoint (two round trips fewer). Should the database
    refuse one of its rows, the whole transaction is rolled back and the push done again with a
    savepoint per run, which finds the refused mutation and rejects it alone. So the caller's
    transaction must hold nothing else (the sync route's does not); a caller whose transaction holds
    more (`outbox.import_outbox` pushes several chunks in one) passes `guarded` and keeps the savepoints."""
    if guarded:
        return _push(session, actor=actor, scope=scope, data=data, guarded=True)
    try:
        return _push(session, actor=actor, scope=scope, data=data, guarded=False)
    except _RefusedUnguarded:
        session.rollback()
        return _push(session, actor=actor, scope=scope, data=data, guarded=True)


class _RefusedUnguarded(Exception):
    """The database refused a run of visits written without a savepoint."""


def _push(session: Session, *, actor: User, scope: Scope, data: PushIn, guarded: bool) -> PushOut:
    plan = _plan(session, actor=actor, data=data)
    results = plan.results
    taken = _take_hamlets(session, scope, [record for _, _, record in plan.parsed])
    runs = _runs(plan.parsed)
    guarded = guarded or len(runs) > 1
    for run in runs:
        visits_only = isinstance(run[0][2], VisitIn)
        if visits_only and _apply_visits(
            session, actor=actor, scope=scope, run=run, results=results, taken=taken, guarded=guarded
        ):
            continue
        for i, m, record in run:
            try:
                with households.savepoint(session):
                    status = _apply(session, actor=actor, scope=scope, record=record)
            except AppError as exc:
                results[i] = _rejected(m, exc)
            except (DataError, IntegrityError) as exc:
                # Content the database refused (a value out of a column's range, a character it cannot
                # store): this mutation is rejected, the rest of the batch goes on. Anything else (a
                # lost connection, a deadlock) fails the batch, and the phone retries it whole.
                results[i] = _rejected(m, RefusedByDatabase(details={"error": type(exc.orig).__name__}))
            else:
                results[i] = _result(m, status)
    (out,) = _finish(session, [plan])
    return out


def push_together(session: Session, pushes: list[tuple[User, Scope, PushIn]]) -> list[PushOut]:
    """Several phones' pushes of visits in one transaction, their visits stored by one `coverage.ingest`
    (app/sync/groups.py): the same answers and effects as each pushed alone, at a fraction of the
    statements. No two may share a user (a volunteer's visits are judged together for plausibility),
    and every mutation must be a `visit.create` (`together`).

    Raises instead of answering whenever one of them alone could answer otherwise than with this
    transaction's results: an error of its own (its client taken by another user, a version too old),
    a row the database refuses, two of them storing one visit. The caller then rolls back and pushes
    each alone, which finds the culprit."""
    order = sorted(range(len(pushes)), key=lambda k: pushes[k][2].client_id)  # client rows locked in id order
    plans = {k: _plan(session, actor=pushes[k][0], data=pushes[k][2]) for k in order}
    items = {k: [r for _, _, r in plans[k].parsed if isinstance(r, VisitIn)] for k in order}
    if any(len(items[k]) != len(plans[k].parsed) for k in order):
        raise NotTogether()  # not visits only
    household_ids = {r.household_id for k in order for r in items[k]}
    scopes = [pushes[k][1] for k in order]
    takens = visits.take_hamlets_for(session, scopes, hamlet_ids=set(), household_ids=household_ids)
    checked = []
    for k, taken in zip(order, takens, strict=True):
        actor, scope, _ = pushes[k]
        plan = plans[k]
        batch = visits.check_visits(session, actor=actor, scope=scope, items=items[k], taken=taken)
        for (i, m, _), outcome in zip(plan.parsed, batch.results, strict=True):
            plan.results[i] = _visit_result(m, outcome)
        checked.append(batch)
    stored = [v.row["id"] for batch in checked for v in batch.accepted]
    if len(stored) != len(set(stored)):
        raise NotTogether()
    visits.store_visits(session, checked)
    outs = dict(zip(order, _finish(session, [plans[k] for k in order]), strict=True))
    return [outs[k] for k in range(len(pushes))]


def together(data: PushIn) -> bool:
    """Whether a push may be written together with others (`push_together`): visits only."""
    return all(m.kind == "visit.create" for m in data.mutations)


class NotTogether(Exception):
    """Pushes that cannot be written together: each must be pushed alone."""


@dataclass
class _Plan:
    """A push's mutations sorted out under its client's lock: the answers known before anything is
    written (duplicates, gaps, unparsable ones) and the mutations to apply."""

    client: SyncClient
    results: dict[int, MutationResult]
    todo: list[tuple[int, MutationIn]]
    parsed: list[tuple[int, MutationIn, BaseModel]]
    last_seq: int
    count: int


def _plan(session: Session, *, actor: User, data: PushIn) -> _Plan:
    check_schema_version(data.schema_version)
    client = _lock_client(session, client_id=data.client_id, actor=actor)
    mutations = data.mutations
    results: dict[int, MutationResult] = {}
    todo: list[tuple[int, MutationIn]] = []
    last_seq = client.last_seq
    gap = False
    for i in sorted(range(len(mutations)), key=lambda i: mutations[i].seq):
        m = mutations[i]
        if m.seq <= last_seq:
            results[i] = _result(m, "duplicate")
        elif gap or m.seq > last_seq + 1:
            gap = True
            results[i] = _result(m, "retry")
        else:
            last_seq = m.seq
            todo.append((i, m))

    parsed: list[tuple[int, MutationIn, BaseModel]] = []
    for i, m in todo:
        try:
            parsed.append((i, m, _parse(m)))
        except AppError as exc:
            results[i] = _rejected(m, exc)
    return _Plan(client, results, todo, parsed, last_seq, len(mutations))


def _finish(session: Session, plans: list[_Plan]) -> list[PushOut]:
    """Record the rejections and each client's new last_seq; the answers."""
    for plan in plans:
        for i, _ in plan.todo:
            if plan.results[i].status == "rejected":
                session.add(_rejection(plan.client.client_id, plan.results[i]))
    session.flush()
    for plan in plans:
        _repeat_rejections(session, plan.client.client_id, plan.results)
    now = utcnow()
    sql.Writes().add(
        table_of(SyncClient),
        [{"client_id": p.client.client_id, "last_seq": p.last_seq, "last_push_at": now} for p in plans],
        ["client_id"],
        "update",
    ).run(session)
    return [PushOut(last_seq=p.last_seq, results=[p.results[i] for i in range(p.count)]) for p in plans]


def _lock_client(session: Session, *, client_id: str, actor: User) -> SyncClient:
    """The client's row, created on first use and locked so two pushes of one installation (a retry
    racing the original) run one after the other: the second sees the first's last_seq."""
    client = SyncClient(
        **sql.insert_or_lock(
            session,
            table_of(SyncClient),
            ["client_id"],
            {"client_id": client_id, "user_id": actor.id, "last_seq": 0, "created_at": utcnow()},
        )
    )
    if client.user_id != actor.id:
        raise ClientOwnedByOtherUser(details={"client_id": client_id})
    return client


def _rejection(client_id: str, result: MutationResult) -> SyncRejection:
    return SyncRejection(
        client_id=client_id,
        seq=result.seq,
        record_id=result.id,
        code=result.code or "invalid",
        message_vi=(result.message or "")[:500],
        message_en=(result.message_en or "")[:500],
        details=result.details,
    )


def _repeat_rejections(session: Session, client_id: str, results: dict[int, MutationResult]) -> None:
    """A rejected mutation resent (its answer was lost) is answered `rejected` again, never
    `duplicate`: a phone deletes a duplicate as done, and the volunteer would never see the problem."""
    seqs = {r.seq for r in results.values() if r.status == "duplicate"}
    if not seqs:
        return
    stored = {
        r.seq: r
        for r in session.exec(
            select(SyncRejection).where(SyncRejection.client_id == client_id, col(SyncRejection.seq).in_(seqs))
        ).all()
    }
    for i, r in results.items():
        if r.status == "duplicate" and r.seq in stored:
            rejection = stored[r.seq]
            results[i] = MutationResult(
                seq=r.seq,
                id=r.id,
                status="rejected",
                code=rejection.code,
                message=rejection.message_vi,
                message_en=rejection.message_en,
                details=rejection.details,
            )


def _parse(m: MutationIn) -> BaseModel:
    model = KINDS.get(m.kind)
    if model is None:
        raise UnknownKind(details={"kind": m.kind, "kinds": sorted(KINDS)})
    try:
        record = model.model_validate(m.data)
    except ValidationError as exc:
        details = [
            {"loc": ["data", *(str(p) for p in e["loc"])], "msg": e["msg"], "type": e["type"]} for e in exc.errors()
        ]
        raise Invalid(details=details) from None
    if getattr(record, "id", None) != m.id:
        raise Invalid(details=[{"loc": ["data", "id"], "msg": "must equal the mutation's id", "type": "id_mismatch"}])
    return record


def _take_hamlets(session: Session, scope: Scope, records: Sequence[BaseModel]) -> dict[int, tuple[int, str]]:
    """Take the version of every hamlet the batch will write, in id order, before any household row
    is locked (`visits.take_hamlets`)."""
    hamlets = {r.hamlet_id for r in records if isinstance(r, HouseholdIn)}
    household_ids = {r.id for r in records if isinstance(r, HouseholdIn | HouseholdConsentIn)}
    household_ids |= {r.household_id for r in records if isinstance(r, PersonIn | VisitIn)}
    if not hamlets and not household_ids:
        return {}
    return visits.take_hamlets(session, scope, hamlet_ids=hamlets, household_ids=household_ids)


def _runs(parsed: list[tuple[int, MutationIn, BaseModel]]) -> list[list[tuple[int, MutationIn, BaseModel]]]:
    """Consecutive visits together (written in bulk), every other mutation on its own."""
    runs: list[list[tuple[int, MutationIn, BaseModel]]] = []
    for item in parsed:
        if runs and isinstance(item[2], VisitIn) and isinstance(runs[-1][-1][2], VisitIn):
            runs[-1].append(item)
        else:
            runs.append([item])
    return runs


def _apply_visits(
    session: Session,
    *,
    actor: User,
    scope: Scope,
    run: list[tuple[int, MutationIn, BaseModel]],
    results: dict[int, MutationResult],
    taken: dict[int, tuple[int, str]],
    guarded: bool,
) -> bool:
    """A run of visits in one savepoint (unless unguarded), with the same answers as one by one.
    False after a database error (rolled back): the caller then applies them one by one."""
    try:
        with households.savepoint(session) if guarded else nullcontext():
            outcomes = visits.record_visits(
                session,
                actor=actor,
                scope=scope,
                items=[r for _, _, r in run],  # type: ignore[misc]
                taken=taken,
            )
    except SQLAlchemyError as exc:
        if is_temporary_db_error(exc):
            raise  # a lock or statement timeout: the whole push answers 503 and the phone resends it
        if not guarded:
            raise _RefusedUnguarded() from exc
        return False
    for (i, m, _), outcome in zip(run, outcomes, strict=True):
        results[i] = _visit_result(m, outcome)
    return True


def _visit_result(m: MutationIn, outcome: bool | AppError) -> MutationResult:
    if isinstance(outcome, AppError):
        return _rejected(m, outcome)
    # Already stored with the same content (an imported outbox): success, not applied twice.
    return _result(m, "applied" if outcome else "duplicate")


def _apply(session: Session, *, actor: User, scope: Scope, record: BaseModel) -> str:
    if isinstance(record, HouseholdIn):
        households.upsert_household(session, actor=actor, scope=scope, data=record)
        return "applied"
    if isinstance(record, PersonIn):
        households.upsert_person(session, actor=actor, scope=scope, data=record)
        return "applied"
    if isinstance(record, HouseholdConsentIn):
        # The consent endpoint's own path: same checks, same audit row (app/privacy/service.py).
        privacy.set_consent(
            session,
            scope=scope,
            household_id=record.id,
            state=record.state,
            notice_version=record.notice_version,
            on=visits.local_day(record.at),
        )
        return "applied"
    assert isinstance(record, VisitIn)
    _, created = visits.record_visit(session, actor=actor, scope=scope, data=record)
    # The same visit already stored (an exported outbox imported, then the phone synced): success.
    return "applied" if created else "duplicate"


def _result(m: MutationIn, status: str) -> MutationResult:
    return MutationResult(seq=m.seq, id=m.id, status=status)  # type: ignore[arg-type]


def _rejected(m: MutationIn, exc: AppError) -> MutationResult:
    return MutationResult(
        seq=m.seq,
        id=m.id,
        status="rejected",
        code=exc.code,
        message=exc.message_vi,
        message_en=exc.message_en,
        details=exc.details,
    )
