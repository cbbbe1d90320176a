"""tungnha: serve | migrate | seed-demo | import-units | import-households | import-outbox | create-user |
retention apply | coverage."""

from pathlib import Path

import typer

app = typer.Typer(help="Từng Nhà — công cụ của Tổ Công nghệ số cộng đồng.", no_args_is_help=True)


def run_migrations(url: str | None = None) -> None:
    from alembic import command
    from alembic.config import Config

    root = Path(__file__).resolve().parent.parent
    cfg = Config(str(root / "alembic.ini"))
    cfg.set_main_option("script_location", str(root / "migrations"))
    cfg.attributes["configure_logger"] = False
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    before = _revision(url)
    command.upgrade(cfg, "head")
    if before is not None and _crosses(cfg, before, REBUILD_AFTER):
        _rebuild_derived(url)


# Upgrading across this revision recomputes every derived row once: the coverage rules changed there
# (a household's last outcome follows the visit's own time, not its arrival).
REBUILD_AFTER = "writepath_01"


def _revision(url: str | None) -> str | None:
    from alembic.runtime.migration import MigrationContext

    from app.db import make_engine

    engine = make_engine(url) if url else _default_engine()
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def _default_engine():  # type: ignore[no-untyped-def]
    from app.config import get_settings
    from app.db import make_engine

    return make_engine(get_settings().database_url)


def _crosses(cfg: object, before: str, revision: str) -> bool:
    """True when `revision` was applied by the upgrade that started at `before`."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(cfg)  # type: ignore[arg-type]
    return any(r.revision == revision for r in script.iterate_revisions("heads", before))


def _rebuild_derived(url: str | None) -> None:
    from sqlmodel import Session

    from app import coverage
    from app.db import make_engine

    engine = make_engine(url) if url else _default_engine()
    try:
        with Session(engine) as session:
            hamlets = coverage.hamlets_under(session, None)
            coverage.rebuild_hamlets(session, hamlets)
            session.commit()
    finally:
        engine.dispose()
    typer.echo(f"Đã tính lại số liệu tổng hợp của {len(hamlets)} thôn (derived rows rebuilt after the upgrade).")


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (Alembic)."""
    run_migrations()
    typer.echo("Cơ sở dữ liệu đã cập nhật (database schema is up to date).")


GRACEFUL_SHUTDOWN_SECONDS = 5
# Longer than clients keep an idle connection (httpx 5 s, browsers up to a few seconds more): otherwise the
# server closes a connection just as a client reuses it, and that request fails without an answer.
KEEP_ALIVE_SECONDS = 30


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    access_log: bool = typer.Option(True, help="one log line per request"),
    log_level: str = typer.Option("info", help="critical | error | warning | info | debug"),
) -> None:
    """Run the API and the PWA with uvicorn (refuses a missing or short SECRET_KEY outside development).
    Several workers each listen on a socket of their own, so connections are shared evenly (app/serve.py)."""
    from app import serve as server
    from app.config import get_settings, secret_key_problem

    problem = secret_key_problem(get_settings())
    if problem is not None:
        typer.echo(problem, err=True)
        raise typer.Exit(1)
    options = {
        "app": "app.asgi:app",
        "host": host,
        "port": port,
        "proxy_headers": True,
        # libuv's loop and the C parser: less of the event loop's time per request, so liveness and
        # admission stay quick while the worker threads are busy with pushes.
        "loop": "uvloop",
        "http": "httptools",
        # On SIGTERM, requests in flight get a few seconds to finish; then the process stops regardless.
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        "access_log": access_log,
        "log_level": log_level,
    }
    raise typer.Exit(server.run(options, workers))


@app.command("create-user")
def create_user(
    phone: str,
    full_name: str,
    role: str = typer.Option(..., help="volunteer | team_leader | commune_official | … | admin"),
    unit_code: str = typer.Option("", help="official code of the unit that scopes the user"),
    scheme: str = typer.Option("vn2004", help="vn2004 | vn2025"),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
) -> None:
    """Create a user (admins and the first officials)."""
    from sqlmodel import select

    from app.auth import service
    from app.db import session_scope
    from app.models import AdminUnit
    from app.models.users import ROLES

    if role not in ROLES:
        raise typer.BadParameter(f"role must be one of {', '.join(ROLES)}")
    with session_scope() as session:
        unit_id = None
        if unit_code:
            unit = session.exec(
                select(AdminUnit).where(AdminUnit.code == unit_code, AdminUnit.scheme == scheme)
            ).first()
            if unit is None:
                raise typer.BadParameter(f"no unit {unit_code} in {scheme}")
            unit_id = unit.id
        user = service.create_user(
            session, phone=phone, full_name=full_name, password=password, role=role, unit_id=unit_id
        )
        typer.echo(f"Đã tạo {user.full_name} ({user.phone}, {user.role}).")


@app.command("import-units")
def import_units(
    file: Path | None = typer.Argument(None, help="CSV with the shipped files' columns; none: both shipped lists"),
    scheme: str = typer.Option("vn2004", help="vn2004 (province → district → commune) | vn2025 (province → commune)"),
) -> None:
    """Load the official lists of administrative units (idempotent: a rerun changes nothing)."""
    import time

    from app.db import session_scope
    from app.errors import AppError
    from app.units import importer

    started = time.perf_counter()
    try:
        with session_scope() as session:
            if file is None:
                results = importer.import_shipped(session, progress=typer.echo)
            else:
                results = [importer.import_file(session, path=file, scheme=scheme, progress=typer.echo)]
    except AppError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(1) from exc
    for r in results:
        typer.echo(
            f"{r.scheme}: thêm {r.inserted}, sửa {r.updated}, giữ nguyên {r.unchanged} "
            f"(inserted/updated/unchanged) trong {r.seconds:.2f} s"
        )
    typer.echo(f"Xong (done) trong {time.perf_counter() - started:.2f} s.")


@app.command("add-hamlet")
def add_hamlet(
    commune_code: str,
    name: str,
    scheme: str = typer.Option("vn2004", help="vn2004 | vn2025"),
    unit_type: str = typer.Option("", help="ấp | thôn | khu vực | tổ dân phố… (guessed from the name if empty)"),
) -> None:
    """Add a hamlet (thôn, ấp, khu vực, tổ dân phố) to a commune."""
    from app.db import session_scope
    from app.errors import AppError
    from app.units import service

    try:
        with session_scope() as session:
            commune = service.get_by_code(session, scheme=scheme, level="commune", code=commune_code)
            hamlet = service.create_hamlet(session, commune=commune, name=name, unit_type=unit_type)
            typer.echo(f"Đã thêm {hamlet.name} ({hamlet.code}, id {hamlet.id}) vào {commune.name}.")
    except AppError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(1) from exc


@app.command("seed-demo")
def seed_demo(scale: float = typer.Option(1.0, min=0.001, max=5.0, help="1.0: ~20,000 households")) -> None:
    """Seed the Hậu Giang demo (idempotent: a rerun changes nothing) and print the demo accounts."""
    import time

    from app.db import session_scope
    from app.demo import seed

    started = time.perf_counter()
    typer.echo("Dữ liệu mẫu Hậu Giang (demo data)…")
    with session_scope() as session:
        report = seed.seed_demo(session, scale=scale, progress=typer.echo)
    inserted = ", ".join(f"{k} {v}" for k, v in report.inserted.items() if v) or "không có gì mới (nothing new)"
    typer.echo(f"Đã thêm (inserted): {inserted}")
    typer.echo("Tổng (totals): " + ", ".join(f"{k} {v}" for k, v in report.totals.items()))
    typer.echo(f"Xong (done) trong {time.perf_counter() - started:.1f} s.")
    typer.echo(f"\nTài khoản demo (demo accounts), mật khẩu (password) {seed.PASSWORD}:")
    for phone, role, full_name, unit in report.accounts:
        typer.echo(f"  {phone}  {role:<18} {full_name:<16} {unit}")


@app.command("import-households")
def import_households(
    file: Path,
    commune: str = typer.Option(..., help="official code of the commune the households belong to"),
    scheme: str = typer.Option("vn2004", help="vn2004 | vn2025"),
    rows: str = typer.Option("new", help='rows to import: "new" (no problem found), "new,duplicate", "2,5-90"'),
    dry_run: bool = typer.Option(False, "--dry-run", help="only check the file and print its problems"),
) -> None:
    """Import households from Excel (.xlsx) or CSV (same columns as the template); reruns change nothing."""
    import time

    from app.db import session_scope
    from app.errors import AppError
    from app.households import importer
    from app.units import service as units

    started = time.perf_counter()
    try:
        with session_scope() as session:
            unit = units.get_by_code(session, scheme=scheme, level="commune", code=commune)
            result = importer.analyse(session, commune=unit, content=file.read_bytes(), filename=file.name)
            for r in result.rows:
                for problem in r.errors + r.warnings:
                    typer.echo(f"{r.sheet or ''} dòng {r.row}: {problem['message']}".lstrip(), err=True)
            counts = result.counts()
            typer.echo(
                f"{len(result.rows)} dòng: mới {counts['new']}, có thể trùng {counts['duplicate']}, "
                f"đã nhập {counts['already_imported']}, lỗi {counts['error']} "
                f"(new/duplicate/already imported/error) — kiểm tra trong {time.perf_counter() - started:.2f} s"
            )
            if dry_run:
                return
            done = importer.insert_rows(
                session, actor_id=None, commune=unit, rows=importer.parse_selection(rows, result.rows)
            )
    except AppError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(1) from exc
    typer.echo(
        f"Đã thêm {done.inserted} hộ, giữ nguyên {done.unchanged} (inserted/unchanged) "
        f"trong {time.perf_counter() - started:.2f} s."
    )


@app.command("import-outbox")
def import_outbox(file: Path) -> None:
    """Apply a phone's exported outbox ("Xuất dữ liệu chưa đồng bộ") through the sync push path."""
    from pydantic import ValidationError

    from app.db import session_scope
    from app.errors import AppError
    from app.sync import outbox
    from app.sync.schemas import OutboxExport

    try:
        export = OutboxExport.model_validate_json(file.read_bytes())
    except (OSError, ValidationError) as exc:
        typer.echo(f"Tệp không đọc được (cannot read the file): {exc}", err=True)
        raise typer.Exit(1) from exc
    try:
        with session_scope() as session:
            last_seq, results = outbox.import_outbox(session, export=export)
    except AppError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(1) from exc
    counts = outbox.status_counts(results)
    typer.echo(f"{export.client_id} ({export.user_phone}): {len(results)} thao tác (mutations), last_seq {last_seq}")
    for status in ("applied", "duplicate", "rejected", "retry"):
        typer.echo(f"  {status}: {counts.get(status, 0)}")
    for r in results:
        if r.status in ("rejected", "retry"):
            typer.echo(f"  seq {r.seq} {r.id}: {r.status} {r.code or ''} {r.message_en or ''}".rstrip())


retention = typer.Typer(help="Thời hạn lưu trữ dữ liệu cá nhân (personal data retention).", no_args_is_help=True)
app.add_typer(retention, name="retention")


@retention.command("apply")
def retention_apply(
    dry_run: bool = typer.Option(False, "--dry-run", help="only count what would be anonymised"),
    months: int = typer.Option(0, min=0, help="override RETENTION_MONTHS (0: the setting)"),
) -> None:
    """Anonymise the households whose data is past retention (the erasure machinery; counts stay)."""
    from datetime import datetime

    from app.campaigns.service import VIETNAM
    from app.config import get_settings
    from app.db import session_scope
    from app.privacy import retention as service

    months = months or get_settings().retention_months
    today = datetime.now(VIETNAM).date()
    with session_scope() as session:
        if dry_run:
            found = service.plan(session, months=months, today=today)
        else:
            found = service.apply(session, months=months, today=today)
    verb = "Sẽ ẩn danh (would anonymise)" if dry_run else "Đã ẩn danh (anonymised)"
    typer.echo(f"Mốc (cut-off): {found.cutoff:%d/%m/%Y} — {months} tháng sau khi chiến dịch kết thúc")
    typer.echo(
        f"{verb}: {len(found.household_ids)} hộ (households), {found.people} người (people), "
        f"{found.visits} lượt thăm giữ số liệu (visits kept as counts)"
    )
    for commune, n in sorted(found.by_commune.items()):
        typer.echo(f"  {commune}: {n}")


coverage_app = typer.Typer(help="Số liệu tổng hợp (derived coverage rows): rebuild | verify.", no_args_is_help=True)
app.add_typer(coverage_app, name="coverage")


@coverage_app.command("rebuild")
def coverage_rebuild(
    unit: int | None = typer.Option(None, "--unit", help="only the hamlets inside this unit (id)"),
) -> None:
    """Recompute every derived row (levels, statuses, aggregates) from the raw rows."""
    from app import coverage
    from app.db import session_scope

    with session_scope() as session:
        hamlets = coverage.hamlets_under(session, unit)
        wrong = coverage.rebuild_hamlets(session, hamlets)
    typer.echo(f"Đã tính lại {len(hamlets)} thôn; {wrong} thôn có số liệu sai đã được sửa (hamlets rebuilt/fixed).")


@coverage_app.command("verify")
def coverage_verify(
    unit: int | None = typer.Option(None, "--unit", help="only the hamlets inside this unit (id)"),
) -> None:
    """Recompute from the raw rows and print every difference; exit status 1 when there is one."""
    from app import coverage
    from app.db import session_scope

    with session_scope() as session:
        hamlets = coverage.hamlets_under(session, unit)
        differences = coverage.verify(session, hamlets)
        session.rollback()
    for line in differences:
        typer.echo(line)
    typer.echo(f"{len(hamlets)} thôn, {len(differences)} chỗ khác (hamlets checked, differences).")
    if differences:
        raise typer.Exit(1)


def main() -> None:
    app()
