"""The hand-made scenario every definition test counts on (see `scenario` for the expected figures)."""

from dataclasses import dataclass
from datetime import date

import pytest
from sqlmodel import Session

from app.models import Campaign
from tests.factories import Tree, make_campaign, make_tree, make_user
from tests.reports.build import ALL_PROFICIENT, ALL_TAUGHT, SKILLS, Field

DAY = {n: date(2024, 10, n) for n in range(1, 11)}


@dataclass
class Scenario:
    tree: Tree
    campaign: Campaign
    homes: dict[str, object]


@pytest.fixture
def scenario(session: Session) -> Scenario:
    """Campaign 01–10/10/2024, threshold 1, over province 93.

    Khu vực 1 (hamlet, Phường I, Vị Thanh): h1 p1 p2 (p9 deleted), h2 p3, h8 deleted.
    Khu vực 2 (other_hamlet, Phường I):      h3 p4, h4 p5 (never visited).
    Khu vực 3 (Phường III, Vị Thanh):        h5 p6, h9 (moved away).
    Ấp Vị Hoà (Xã Vị Thuỷ, Huyện Vị Thuỷ):   h6 p7 (visited before the campaign), h7 p8 (no campaign).

    Campaign figures: households 8, people 8, visited 3 (h1 h3 h5), covered_1 2 (h1 on day 1, h5 on
    day 6), covered_2 1 (h1 on day 3), last outcome not_home 1 (h3), declined 1 (h2), moved 1 (h9),
    visits 10, people taught 4 (p1 p2 p4 p6), proficient in all five 3 (p1 day 1, p2 day 3, p6 day 6).
    """
    tree = make_tree(session)
    admin = make_user(session, "admin")
    campaign = make_campaign(session, unit=tree.province, threshold=1)
    f = Field(session, admin)
    h1 = f.household(tree.hamlet, head="Trần Văn Một", address="Số 1")
    p1, p2, p9 = f.person(h1), f.person(h1), f.person(h1)
    h2 = f.household(tree.hamlet, head="Lê Thị Hai", address="Số 2")
    f.person(h2)
    h8 = f.household(tree.hamlet, head="Hộ đã xoá", address="Số 8")
    p10 = f.person(h8)
    h3 = f.household(tree.other_hamlet, head="Phạm Văn Ba", address="Số 3")
    p4 = f.person(h3)
    h4 = f.household(tree.other_hamlet, head="Võ Thị Bốn", address="Số 4")
    f.person(h4)
    h5 = f.household(tree.hamlet_of_other_commune, head="Đặng Văn Năm", address="Số 5")
    p6 = f.person(h5)
    h9 = f.household(tree.hamlet_of_other_commune, head="Hộ chuyển đi", address="Số 9")
    h6 = f.household(tree.far_hamlet, head="Huỳnh Văn Sáu", address="Số 6")
    p7 = f.person(h6)
    h7 = f.household(tree.far_hamlet, head="Ngô Thị Bảy", address="Số 7")
    p8 = f.person(h7)

    c = campaign
    # Day 1: h1 met, p1 proficient in all five (covered_1), p2 partly; p9 taught then deleted below.
    f.visit(
        h1,
        DAY[1],
        campaign=c,
        skills={
            p1: ALL_PROFICIENT,
            p2: {"public_services": "taught", "online_payment": "proficient"},
            p9: ALL_TAUGHT,
        },
        milestones={p1: ["vneid_level2"]},
    )
    f.visit(h8, DAY[1], campaign=c, skills={p10: ALL_PROFICIENT})
    # Day 2: h2 not home; h3 met, p4 taught two skills; h5 met, p6 proficient in four, taught the fifth.
    f.visit(h2, DAY[2], "not_home", campaign=c)
    f.visit(h3, DAY[2], campaign=c, skills={p4: {"public_services": "taught", "online_shopping": "taught"}})
    f.visit(
        h5,
        DAY[2],
        campaign=c,
        skills={p6: {**dict.fromkeys(SKILLS[:4], "proficient"), "digital_platforms": "taught"}},
        milestones={p6: ["payment_app"]},
    )
    # Day 3: h1 again, p2 proficient in all five (covered_2).
    f.visit(h1, DAY[3], campaign=c, skills={p2: ALL_PROFICIENT})
    f.visit(h2, DAY[4], "declined", campaign=c)
    f.visit(h3, DAY[5], "not_home", campaign=c)
    # Day 6: p6 proficient in the fifth skill (covered_1); a taught level later never lowers it.
    f.visit(h5, DAY[6], campaign=c, skills={p6: {"digital_platforms": "proficient"}})
    f.visit(h5, DAY[6], campaign=c, skills={p6: {"digital_platforms": "taught"}}, hour=15)
    f.visit(h9, DAY[7], "moved", campaign=c)
    # Outside the campaign: before its window (with its id), and with no campaign at all.
    f.visit(h6, date(2024, 9, 20), campaign=c, skills={p7: ALL_PROFICIENT})
    f.visit(h7, DAY[3], skills={p8: ALL_PROFICIENT})
    # Deleting takes them out of every figure.
    f.delete_person(h1, p9)
    f.update_household(h8, deleted=True)
    session.commit()
    homes = {"h1": h1, "h2": h2, "h3": h3, "h4": h4, "h5": h5, "h6": h6, "h7": h7, "h8": h8, "h9": h9}
    return Scenario(tree=tree, campaign=campaign, homes=homes)
