"""PWA budgets of issue 4, measured in Debian's Chromium on the built app served by uvicorn.

    .venv/bin/python bench/pwa_budget.py [--households 2000]

Prints each figure beside its budget:
- JavaScript loaded by the volunteer routes (login, walk list, household, visit form), gzip: ≤ 120 KB
- the entry JavaScript (index.html's module and the chunks it preloads), gzip: ≤ 60 KB (issue 14)
- first load on emulated slow 3G (400 kbps down/up, 400 ms RTT) with 4× CPU slowdown, until the
  login form is interactive: ≤ 5 s
- reload offline (service worker + IndexedDB) until the walk list of N households shows: ≤ 1 s
- search-as-you-type at N households, per keystroke until the next paint: ≤ 50 ms
The last two are measured at the machine's speed (their budgets name no slowdown) and again with
4× CPU slowdown, printed for reference.
Exit status 1 when a budget is missed.
"""

import argparse
import gzip
import re
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.auth.scope import scope_for  # noqa: E402
from app.cli import run_migrations  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.households import service as households  # noqa: E402
from app.households.schemas import HouseholdIn  # noqa: E402
from app.models import User  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS, FRONTEND, PHONE_VIEWPORT, build_frontend, seed, start_server  # noqa: E402
from tests.e2e.pwa import login  # noqa: E402

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
MIDDLE = ["Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh", "Quốc", "Kim"]
GIVEN = ["An", "Bình", "Cường", "Dung", "Em", "Phương", "Giang", "Hà", "Khánh", "Lan", "Mai", "Nam", "Oanh", "Phúc"]

# One keystroke at a time into the search box, timed until the next frame has been painted.
TYPE_SCRIPT = """async (text) => {
  const input = document.querySelector('input[type=search]');
  const out = [];
  for (let i = 0; i <= text.length; i++) {
    const t0 = performance.now();
    input.value = text.slice(0, i);
    input.dispatchEvent(new Event('input', { bubbles: true }));
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    if (i > 0) out.push(performance.now() - t0);
  }
  return out;
}"""

SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8}


def add_households(engine, user_id: int, hamlet_id: int, n: int) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        user = session.get(User, user_id)
        scope = scope_for(session, user)  # type: ignore[arg-type]
        for i in range(n):
            name = f"{SURNAMES[i % 14]} {MIDDLE[(i // 14) % 8]} {GIVEN[(i // 112) % 14]}"
            households.upsert_household(
                session,
                actor=user,  # type: ignore[arg-type]
                scope=scope,
                data=HouseholdIn(
                    id=uuid.uuid4(), hamlet_id=hamlet_id, address=f"Số {i + 10}, tổ {i % 30 + 1}", head_name=name
                ),
            )
        session.commit()


def js_size(dist: Path, urls: list[str]) -> tuple[int, int, list[str]]:
    raw = gz = 0
    names = []
    for url in sorted(set(urls)):
        path = dist / url.split("/", 3)[3].split("?")[0]
        data = path.read_bytes()
        raw += len(data)
        gz += len(gzip.compress(data, 9))
        names.append(path.name)
    return raw, gz, names


def entry_urls(dist: Path) -> list[str]:
    """index.html's module script and its modulepreload links, as URLs js_size reads."""
    html = (dist / "index.html").read_text(encoding="utf-8")
    paths = re.findall(r'<script type="module"[^>]* src="([^"]+)"', html)
    paths += re.findall(r'<link rel="modulepreload"[^>]* href="([^"]+)"', html)
    return [f"http://entry{path}" for path in paths]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=2000)
    parser.add_argument("--no-build", action="store_true", help="use frontend/dist as it is")
    args = parser.parse_args()

    dist = FRONTEND / "dist"
    if not args.no_build or not (dist / "index.html").exists():
        build_frontend()
    tmp = Path(tempfile.mkdtemp(prefix="tungnha-bench-"))
    db_url = f"sqlite:///{tmp}/bench.db"
    run_migrations(db_url)
    engine = make_engine(db_url)
    seeded = seed(engine)
    add_households(engine, seeded.user_id, seeded.hamlet_id, args.households - len(seeded.household_ids))
    total = args.households
    process = start_server(db_url, dist, tmp / "uvicorn.log")
    url = process.url  # type: ignore[attr-defined]
    results: list[tuple[str, float, float, str]] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)

            # 1. First load on slow 3G, 4× CPU, empty cache: until the login form can be used.
            context = browser.new_context(viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True)
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.emulateNetworkConditions", SLOW_3G)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
            page.goto(url + "/", wait_until="commit", timeout=60_000)
            page.get_by_role("button", name="Đăng nhập").wait_for(timeout=60_000)
            first_load = page.evaluate("performance.now()") / 1000
            results.append(("first load, slow 3G + 4× CPU (s)", first_load, 5.0, "≤"))
            context.close()

            # 2. JS of the volunteer routes, as the browser fetched it.
            context = browser.new_context(viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True)
            page = context.new_page()
            scripts: list[str] = []
            page.on(
                "request",
                lambda r: scripts.append(r.url) if r.resource_type == "script" or r.url.endswith(".js") else None,
            )
            login(page, url, seeded.phone, households=min(total, 30))
            page.get_by_role("link", name="Nguyễn Văn An").first.click()
            page.get_by_test_id("log-visit").click()
            page.get_by_role("button", name="Gặp được").wait_for()
            volunteer = [s for s in scripts if "/assets/" in s and "dashboard" not in s]
            raw, gz, names = js_size(dist, volunteer)
            results.append(("volunteer JS, gzip (KB)", gz / 1024, 120.0, "≤"))
            print(f"  scripts: {', '.join(names)} ({raw / 1024:.1f} KB raw)")
            raw, gz, names = js_size(dist, entry_urls(dist))
            results.append(("entry JS, gzip (KB)", gz / 1024, 60.0, "≤"))
            print(f"  entry: {', '.join(names)} ({raw / 1024:.1f} KB raw)")
            page.evaluate("navigator.serviceWorker.ready.then(() => true)")
            page.goto(url + "/#/")
            page.locator("[data-testid=household-list] li").first.wait_for()

            # 3 and 4, first at the machine's speed (the budget), then with 4× CPU slowdown (shown for reference).
            context.set_offline(True)
            cdp = context.new_cdp_session(page)
            for rate in (1, 4):
                cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
                label = "" if rate == 1 else ", 4× CPU"
                times = []
                for _ in range(3):
                    page.reload(wait_until="commit")
                    page.locator("[data-testid=household-list] li").first.wait_for(timeout=30_000)
                    times.append(page.evaluate("performance.now()") / 1000)
                offline_reload = statistics.median(times)
                results.append(
                    (
                        f"offline reload to walk list, {total} households{label} (s, median of 3)",
                        offline_reload,
                        1.0 if rate == 1 else float("nan"),
                        "≤",
                    )
                )
                page.wait_for_timeout(1000)
                per_key = []
                for text in ("nguyen van an", "so 1", "dang thi"):
                    per_key += page.evaluate(TYPE_SCRIPT, text)
                results.append(
                    (
                        f"search per keystroke, {total} households{label} (ms, max of {len(per_key)})",
                        max(per_key),
                        50.0 if rate == 1 else float("nan"),
                        "≤",
                    )
                )
                print(f"  keystrokes{label} (ms): median {statistics.median(per_key):.1f}, max {max(per_key):.1f}")
            context.close()
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=10)
        engine.dispose()

    failed = False
    print(f"\n{'figure':<76} {'measured':>9}   budget")
    for name, value, budget, op in results:
        if budget != budget:  # NaN: a reference figure without a budget of its own
            print(f"{name:<76} {value:>9.2f}   (reference)")
            continue
        ok = value <= budget
        failed |= not ok
        print(f"{name:<76} {value:>9.2f}   {op} {budget:g}  {'ok' if ok else 'OVER BUDGET'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
