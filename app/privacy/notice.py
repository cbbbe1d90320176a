"""The privacy notice the volunteer reads out at the door: one text per version, kept here only.

Phones receive the current one with the catalogue of their pull (app/sync/pull.py) and show it on the
visit form; a visit records the version it was read from, and a household's consent names it. A version
is never edited once used: a new wording is a new version, so every consent points at what was said.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Notice:
    version: str
    text_vi: str
    text_en: str


NOTICES = {
    "2024-09": Notice(
        "2024-09",
        "Tổ CNSCĐ ghi lại tên, năm sinh và kỹ năng số đã hướng dẫn để theo dõi kết quả chiến dịch. Không thu số "
        "CCCD, mật khẩu hay thông tin ngân hàng. Người dân có thể từ chối; khi đó lượt thăm vẫn được ghi nhưng "
        "không lưu tên.",
        "The team records names, birth years and the skills taught to follow the campaign. No ID numbers, "
        "passwords or bank details are collected. People may refuse; the visit is then logged without names.",
    ),
    "2026-01": Notice(
        "2026-01",
        "UBND xã/phường và Tổ CNSCĐ ghi lại tên chủ hộ, địa chỉ, số điện thoại, tên và năm sinh của người được "
        "hướng dẫn cùng các kỹ năng số đã học, chỉ để theo dõi kết quả chiến dịch chuyển đổi số. Không thu số "
        "CCCD, mật khẩu, mã VNeID hay thông tin ngân hàng. Chỉ tổ của thôn/ấp và cán bộ phụ trách được xem tên; "
        "báo cáo gửi cấp trên chỉ có số liệu. Người dân có thể từ chối, rút lại đồng ý, xin xem hoặc xin xóa "
        "dữ liệu của hộ bất cứ lúc nào tại UBND xã/phường (Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15).",
        "The commune People's Committee and the team record the head of household's name, the address, phone, "
        "the names and birth years of the people taught and the digital skills learned, only to follow the "
        "campaign. No ID numbers, passwords, VNeID codes or bank details are collected. Only the hamlet's team "
        "and the officials in charge see names; reports sent upward hold figures only. People may refuse, "
        "withdraw consent, ask to see or to erase the household's data at any time at the commune office "
        "(Law on Personal Data Protection 91/2025/QH15).",
    ),
}
CURRENT_VERSION = "2026-01"


def current() -> Notice:
    return NOTICES[CURRENT_VERSION]
