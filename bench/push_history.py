"""What one sync push costs as the households it touches accumulate visits (issue 9, "Memory"). Not a test.

    .venv/bin/python bench/push_history.py [--households 10] [--blocks 6] [--pushes 40]

Seeds, as bench/memory.py does but smaller (4 hamlets × --households households, 2 people each), a SQLite
file, then pushes 5-visit batches in-process (TestClient, one phone) to the same households and prints,
per block of --pushes pushes, the mean Python peak allocation of one push (tracemalloc, from the
request's start) and its CPU time, beside the first block's figures as the baseline. DESIGN §9 wants a
push computed from the batch and the current state rows, never a household's raw history: then both
figures stay flat. If they grow with the visits per household, a long mixed load (bench/memory.py)
grows the server's RSS with its data, however steady the load.
"""

import argparse
import gc
import os
import random
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import memory  # noqa: E402  (the same seed and the same push as the memory bench)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=10, help="households per hamlet (4 hamlets)")
    parser.add_argument("--blocks", type=int, default=6)
    parser.add_argument("--pushes", type=int, default=40, help="pushes of 5 visits per block")
    args = parser.parse_args()
    memory.HOUSEHOLDS_PER_HAMLET = args.households
    url = f"sqlite:///{tempfile.mkdtemp(prefix='tungnha-push-history-')}/bench.db"
    memory.run_migrations(url)
    area = memory.seed(url)
    os.environ["DATABASE_URL"] = url
    os.environ["ACCESS_TOKEN_MINUTES"] = "600"
    from fastapi.testclient import TestClient

    from app.asgi import app

    class InProcessPhone(memory.Phone):
        def __init__(self) -> None:
            self.area = area
            self.phone, self.hamlet, self.households = area.volunteers[0]
            self.rng = random.Random(0)
            self.http = TestClient(app, base_url="http://testserver/api/v1")  # type: ignore[assignment]
            self.volunteer = self._login(self.phone)
            self.official = self._login(area.official_phone)
            self.client_id, self.seq, self.cursor, self.pulls = "push-history-bench", 0, None, 0
            self.sent, self.seconds, self.failures = Counter(), Counter(), []

    phone = InProcessPhone()
    tracemalloc.start()
    baseline: tuple[float, float] | None = None
    print(f"{'visits per household':>22} {'push peak (KiB)':>16} {'push CPU (ms)':>14}")
    for block in range(1, args.blocks + 1):
        peak = cpu = 0.0
        for _ in range(args.pushes):
            gc.collect()
            tracemalloc.reset_peak()
            start = tracemalloc.get_traced_memory()[0]
            began = time.process_time()
            phone.push()
            cpu += time.process_time() - began
            peak += tracemalloc.get_traced_memory()[1] - start
        peak, cpu = peak / args.pushes / 1024, cpu / args.pushes * 1000
        baseline = baseline or (peak, cpu)
        per_household = block * args.pushes * memory.VISITS_PER_PUSH / args.households
        ratios = f"(×{peak / baseline[0]:.1f}, ×{cpu / baseline[1]:.1f})"
        print(f"{per_household:>22.0f} {peak:>16.0f} {cpu:>14.0f}   {ratios}")
    if phone.failures:
        print(f"{len(phone.failures)} failed pushes, first: {phone.failures[0]}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
