"""Hostile spreadsheets against a real server (issue 9, item 9). Not a test.

    .venv/bin/python bench/import_hostile.py [--keep]

Builds, in a temporary directory, the files an attacker would send to the household import: an xlsx
declaring a million-row dimension, one with 5 million blank rows, one with a 400 MB shared-strings
part, an XML entity bomb, a CSV of 150,000 rows, and, for comparison, the largest files the importer
accepts: a 20 MB shared-strings part of distinct strings, a CSV of 100,000 households (every row
previewed and sent back). Starts `uvicorn app.asgi:app` (one process, a
fresh SQLite database with one ward and its official), imports a small normal list first and prints
the server's RSS after it as the baseline, then posts each file to `POST /households/import/preview`
and prints the answer, the time it took and the server's peak RSS while it was handled (VmHWM,
reset before each file through /proc/<pid>/clear_refs). Target: peak < 300 MB while refusing the
hostile files (the accepted ones are printed beside them for comparison). Exit status 1 when a file
gets a 5xx or the target is missed.
"""

import argparse
import io
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SECRET_KEY", "bench-import-hostile-" + uuid.uuid4().hex)
os.environ.setdefault("ENVIRONMENT", "development")

import httpx  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.auth import service as auth  # noqa: E402
from app.cli import run_migrations  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.units.service import create_hamlet, create_unit  # noqa: E402
from tests import hostile_files  # noqa: E402

TARGET_MB = 300.0
PHONE, PASSWORD = "0911000001", "bench-import-hostile"


def log(msg: str) -> None:
    print(msg, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def reset_peak(pid: int) -> bool:
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


# --- the files ------------------------------------------------------------------------------------


def five_million_blank_rows() -> bytes:
    """Streamed into the zip so the bench itself does not hold 200 MB of XML."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", hostile_files.CONTENT_TYPES)
        book.writestr("xl/workbook.xml", hostile_files.WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", hostile_files.RELS)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(hostile_files.SHEET_HEAD.encode() + b"<sheetData>" + hostile_files.HEADER_ROW.encode())
            chunk = b"".join(b'<row r="%d"><c r="A%d"/></row>' % (n, n) for n in range(2, 100_002))
            for start in range(0, 5_000_000, 100_000):
                if start == 0:
                    part.write(chunk)
                else:
                    part.write(
                        b"".join(b'<row r="%d"><c r="A%d"/></row>' % (n, n) for n in range(start + 2, start + 100_002))
                    )
            part.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


def big_shared_strings(size: int, distinct: bool) -> bytes:
    buffer = io.BytesIO()
    head = (
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    )
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", hostile_files.CONTENT_TYPES)
        book.writestr("xl/workbook.xml", hostile_files.WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", hostile_files.RELS)
        book.writestr("xl/worksheets/sheet1.xml", hostile_files.sheet_xml([hostile_files.HEADER_ROW]))
        with book.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(head)
            written, n = len(head), 0
            while written < size:
                if distinct:
                    block = b"".join(
                        f"<si><t>Nguyễn Văn {(n + i) * 7919 % 1000003:07d} {n + i:x}</t></si>".encode()
                        for i in range(10_000)
                    )
                else:
                    block = b"<si><t>Nguyen Van A</t></si>" * 10_000
                part.write(block)
                written += len(block)
                n += 10_000
            part.write(b"</sst>")
    return buffer.getvalue()


def many_rows_csv(rows: int) -> bytes:
    return ("Thôn/ấp,Họ tên chủ hộ,Địa chỉ\n" + "".join(f"Khu vực 1,Hộ {i},Số {i}\n" for i in range(rows))).encode()


def normal_csv(rows: int) -> bytes:
    lines = [f"Khu vực 1,Số {i},Nguyễn Văn {i},09{i:08d},{1 + i % 5}" for i in range(rows)]
    return ("Thôn/ấp,Địa chỉ,Họ tên chủ hộ,Số điện thoại,Số nhân khẩu\n" + "\n".join(lines) + "\n").encode()


FILES: list[tuple[str, str, Callable[[], bytes]]] = [
    ("million-row dimension", "dimension.xlsx", hostile_files.million_row_dimension),
    ("5,000,000 blank rows", "blank.xlsx", five_million_blank_rows),
    ("400 MB shared strings", "strings-400.xlsx", lambda: big_shared_strings(400_000_000, distinct=False)),
    ("XML entity bomb", "bomb.xlsx", hostile_files.entity_bomb),
    ("150,000-row CSV", "many.csv", lambda: many_rows_csv(150_000)),
    ("19 MB shared strings (accepted)", "strings-19.xlsx", lambda: big_shared_strings(19_000_000, distinct=True)),
    ("100,000-row CSV (accepted)", "limit.csv", lambda: many_rows_csv(100_000)),
]


# --- the server -----------------------------------------------------------------------------------


def seed(url: str) -> None:
    run_migrations(url)
    engine = make_engine(url)
    with Session(engine) as session:
        province = create_unit(
            session, scheme="vn2004", level="province", code="93", name="Tỉnh Hậu Giang", parent=None
        )
        district = create_unit(
            session, scheme="vn2004", level="district", code="930", name="Thành phố Vị Thanh", parent=province
        )
        commune = create_unit(session, scheme="vn2004", level="commune", code="31318", name="Phường I", parent=district)
        create_hamlet(session, commune=commune, name="Khu vực 1")
        auth.create_user(
            session,
            phone=PHONE,
            full_name="Cán bộ phường",
            password=PASSWORD,
            role="commune_official",
            unit_id=commune.id,
        )
        session.commit()
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tungnha-hostile-"))
    url = f"sqlite:///{tmp}/bench.db"
    log(f"database {url}")
    seed(url)
    log("building the files…")
    paths: list[tuple[str, Path]] = []
    for label, name, build in FILES:
        started = time.perf_counter()
        path = tmp / name
        path.write_bytes(build())
        log(f"  {label:<34} {path.stat().st_size / 1e6:8.2f} MB on disk ({time.perf_counter() - started:.1f} s)")
        paths.append((label, path))

    port = free_port()
    env = {**os.environ, "DATABASE_URL": url}
    cmd = [sys.executable, "-m", "uvicorn", "app.asgi:app", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen([*cmd, "--no-access-log", "--log-level", "warning"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}/api/v1"
    failed = False
    try:
        with httpx.Client(base_url=base, timeout=600) as http:
            for _ in range(300):
                try:
                    if http.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
            token = http.post("/auth/login", json={"phone": PHONE, "password": PASSWORD}).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            content = normal_csv(300)
            files = {"file": ("ds.csv", content, "text/csv")}
            r = http.post("/households/import/preview", files=files, headers=headers)
            r2 = http.post("/households/import/commit", files=files, data={"rows": "new"}, headers=headers)
            assert r.status_code == 200 and r2.status_code == 200, (r.text, r2.text)
            baseline = proc_kb(server.pid, "VmRSS") / 1024
            log(
                f"\nbaseline: a normal 300-row import ({r2.json()['inserted']} inserted): "
                f"server RSS {baseline:.0f} MB, peak so far {proc_kb(server.pid, 'VmHWM') / 1024:.0f} MB"
            )
            can_reset = reset_peak(server.pid)
            log(f"peak RSS per file: {'VmHWM reset before each' if can_reset else 'VmHWM since start (no reset)'}\n")
            log(f"{'file':<34} {'answer':<32} {'time':>7} {'peak RSS':>9} {'RSS after':>10}")
            worst = 0.0
            for label, path in paths:
                reset_peak(server.pid)
                started = time.perf_counter()
                with path.open("rb") as f:
                    r = http.post("/households/import/preview", files={"file": (path.name, f)}, headers=headers)
                elapsed = time.perf_counter() - started
                body = r.json()
                answer = f"{r.status_code} {body['error']['code']}" if "error" in body else f"{r.status_code} ok"
                if "error" not in body:
                    answer += f" ({body['total_rows']} rows)"
                peak = proc_kb(server.pid, "VmHWM") / 1024
                after = proc_kb(server.pid, "VmRSS") / 1024
                if "accepted" not in label:
                    worst = max(worst, peak)
                failed = failed or r.status_code >= 500
                log(f"{label:<34} {answer:<32} {elapsed:6.2f}s {peak:7.0f} MB {after:8.0f} MB")
            log(f"\nworst peak while refusing {worst:.0f} MB (target < {TARGET_MB:.0f} MB), baseline {baseline:.0f} MB")
            failed = failed or worst >= TARGET_MB
    finally:
        server.terminate()
        server.wait(timeout=30)
        if not args.keep:
            for p in tmp.iterdir():
                p.unlink()
            tmp.rmdir()
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
