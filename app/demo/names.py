"""Name parts for generated demo people and hamlets, as they are common in the Mekong Delta.

Written for this project (no list of real people): family names by rough frequency, middle names by
sex, given names, and hamlet names of the kind Hậu Giang communes use.
"""

import random

# (family name, weight): Nguyễn alone is close to four in ten Vietnamese.
FAMILY_NAMES: tuple[tuple[str, int], ...] = (
    ("Nguyễn", 38),
    ("Trần", 11),
    ("Lê", 9),
    ("Phạm", 7),
    ("Huỳnh", 6),
    ("Võ", 5),
    ("Phan", 4),
    ("Trương", 3),
    ("Đặng", 2),
    ("Bùi", 2),
    ("Đỗ", 2),
    ("Hồ", 2),
    ("Ngô", 2),
    ("Dương", 1),
    ("Lý", 1),
    ("Đinh", 1),
    ("Lâm", 1),
    ("Châu", 1),
    ("Thái", 1),
    ("Tạ", 1),
    ("Quách", 1),
    ("Danh", 1),  # Khmer families of the delta
    ("Thạch", 1),
)

MIDDLE_NAMES = {
    "male": ("Văn", "Văn", "Văn", "Hữu", "Minh", "Thanh", "Quốc", "Công", "Đức", "Hoàng", "Tấn", "Chí"),
    "female": ("Thị", "Thị", "Thị", "Ngọc", "Thu", "Kim", "Thanh", "Mỹ", "Bích", "Hồng", "Diễm", "Tuyết"),
}

GIVEN_NAMES = {
    "male": (
        "An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hậu", "Hiếu", "Hòa", "Hùng", "Huy", "Khánh", "Khoa",
        "Lâm", "Lộc", "Long", "Luân", "Minh", "Nam", "Nghĩa", "Nhân", "Phát", "Phong", "Phúc", "Quang",
        "Sang", "Sơn", "Tài", "Tâm", "Tấn", "Thành", "Thắng", "Thiện", "Thông", "Tiến", "Toàn", "Trí",
        "Trung", "Tuấn", "Tùng", "Vinh", "Vũ",
    ),
    "female": (
        "Anh", "Châu", "Diễm", "Dung", "Duyên", "Giang", "Hà", "Hạnh", "Hằng", "Hoa", "Hồng", "Hương",
        "Huyền", "Kiều", "Lan", "Liên", "Linh", "Loan", "Mai", "My", "Ngân", "Ngọc", "Nhung", "Oanh",
        "Phượng", "Quyên", "Sương", "Tâm", "Thảo", "Thắm", "Thủy", "Thúy", "Trang", "Trinh", "Tuyết",
        "Uyên", "Vân", "Xuân", "Yến",
    ),
}  # fmt: skip

# Hamlet names (ấp …) of the kind found in Hậu Giang: auspicious words, paired.
HAMLET_NAMES = (
    "Thạnh Lợi", "Thạnh Hòa", "Thạnh Phú", "Thạnh Xuân", "Tân Long", "Tân Phú", "Tân Thuận", "Tân Hiệp",
    "Long Bình", "Long An", "Long Thạnh", "Long Hòa", "Mỹ Phú", "Mỹ Hiệp", "Mỹ Thuận", "Mỹ Lợi",
    "Hòa An", "Hòa Lợi", "Hòa Mỹ", "Phú Lợi", "Phú Hữu", "Phú Thạnh", "Phú An", "Vĩnh Thuận",
    "Vĩnh Hòa", "Vĩnh Lợi", "Nhơn Xuân", "Nhơn Lộc", "Đông Phước", "Đông Thạnh", "Bình Hòa", "Bình Thạnh",
    "Trường Khánh", "Trường Lạc", "Xẻo Cao", "Xẻo Vẹt", "Kênh Mới", "Cầu Đúc", "Rạch Gòi", "Cái Sơn",
    "Láng Sen", "Búng Tàu", "Ngã Tư", "Nàng Mau", "Vị Hưng", "Vị Bình", "Lái Hiếu", "Sậy Niêu",
)  # fmt: skip


def family_name(rng: random.Random) -> str:
    names, weights = zip(*FAMILY_NAMES, strict=True)
    return rng.choices(names, weights=weights)[0]


def full_name(rng: random.Random, sex: str, family: str | None = None) -> str:
    return f"{family or family_name(rng)} {rng.choice(MIDDLE_NAMES[sex])} {rng.choice(GIVEN_NAMES[sex])}"


def hamlet_names(rng: random.Random, *, commune_type: str, count: int) -> list[str]:
    """Wards number their khu vực; communes and towns name (sometimes number) their ấp."""
    if commune_type == "phường":
        return [f"Khu vực {n}" for n in range(1, count + 1)]
    if rng.random() < 0.3:
        return [f"Ấp {n}" for n in range(1, count + 1)]
    return [f"Ấp {name}" for name in rng.sample(HAMLET_NAMES, count)]
