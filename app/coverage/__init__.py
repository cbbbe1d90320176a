"""Coverage: the one owner of every derived row.

Person skill levels and first proficient days, milestones, household status, daily counters and the
report aggregates are written here and nowhere else:

- `ingest(session, visits)`: the write path of every visit, set-based per batch (`ingest.py`);
- `rebuild(session, households)`: the exact path for rare events, from raw rows (`rebuild.py`);
- `households_added`, `people_added`, `set_population`: households and people without visits;
- `rebuild_hamlets`, `verify`: the repair and the check behind `tungnha coverage rebuild|verify` (`repair.py`);
- `rollup.rows`: reading the aggregates of any unit (only hamlet rows are stored).

Calls are explicit (no session events, nothing kept in `session.info`); this package imports only
`app.models`, and `sql.py` is the only module of the app that knows the database dialect.
"""

from app.coverage.ingest import Catalogue, NewVisit, ingest, lock
from app.coverage.rebuild import Rebuild, households_added, people_added, rebuild, resend_status
from app.coverage.repair import hamlets_under, rebuild_hamlets, set_population, verify
from app.coverage.sql import bump_area_version
from app.coverage.store import skill_ids

__all__ = [
    "Catalogue",
    "NewVisit",
    "Rebuild",
    "bump_area_version",
    "hamlets_under",
    "households_added",
    "ingest",
    "lock",
    "people_added",
    "rebuild",
    "rebuild_hamlets",
    "resend_status",
    "set_population",
    "skill_ids",
    "verify",
]
