"""lesson cards for the five skills: national cards on each skill, a province's own in skill_lessons

Revision ID: volunteer_01
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "volunteer_01"
down_revision: str | None = "harden_auth_02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def card(title: str, steps: list[str], note: str) -> dict[str, object]:
    return {"title": title, "steps": steps, "note": note}


LESSONS: dict[str, list[dict[str, object]]] = {
    "public_services": [
        card(
            "Kích hoạt tài khoản định danh điện tử VNeID mức 2",
            [
                "Mang căn cước công dân gắn chip đến công an xã, phường để đăng ký tài khoản định danh điện tử mức 2.",
                "Tải ứng dụng VNeID từ CH Play hoặc App Store (nhà phát triển: Bộ Công an).",
                "Khi nhận tin nhắn báo mã kích hoạt, mở VNeID, chọn “Kích hoạt tài khoản định danh điện tử”.",
                "Nhập số định danh cá nhân (12 số trên thẻ căn cước) và số điện thoại đã đăng ký.",
                "Nhập mã kích hoạt trong tin nhắn, đặt mật khẩu và mã PIN gồm 6 số.",
            ],
            "Mật khẩu, mã PIN và mã OTP chỉ người dân tự nhập; không đọc cho ai, kể cả tổ viên.",
        ),
        card(
            "Nộp hồ sơ trên Cổng Dịch vụ công quốc gia",
            [
                "Mở trang dichvucong.gov.vn trên điện thoại.",
                "Bấm “Đăng nhập” và chọn đăng nhập bằng tài khoản định danh điện tử VNeID.",
                "Gõ tên thủ tục cần làm vào ô tìm kiếm, ví dụ “đăng ký khai sinh”.",
                "Điền tờ khai, chụp ảnh giấy tờ theo yêu cầu rồi bấm “Nộp hồ sơ”.",
                "Ghi lại mã hồ sơ để tra cứu kết quả; nộp lệ phí (nếu có) ngay trên cổng.",
            ],
            "Địa chỉ thật của cổng kết thúc bằng “.gov.vn”; không nộp hồ sơ qua đường link lạ gửi trong tin nhắn.",
        ),
    ],
    "online_shopping": [
        card(
            "Mua hàng an toàn trên sàn thương mại điện tử",
            [
                "Tải ứng dụng của sàn thương mại điện tử uy tín từ CH Play hoặc App Store.",
                "Tìm sản phẩm, xem đánh giá của người mua trước và số lượng đã bán của cửa hàng.",
                "Ưu tiên cửa hàng chính hãng, có dấu xác thực của sàn.",
                "Kiểm tra địa chỉ nhận hàng, số điện thoại và tổng tiền trước khi bấm “Đặt hàng”.",
                "Chọn trả tiền khi nhận hàng hoặc thanh toán ngay trong ứng dụng của sàn.",
            ],
            "Không chuyển khoản riêng cho người bán ngoài ứng dụng: khi đó sàn không bảo vệ được người mua.",
        ),
        card(
            "Nhận hàng, đổi trả và khiếu nại",
            [
                "Quay video lúc mở gói hàng.",
                "Hàng sai hoặc hỏng: vào “Đơn mua”, chọn đơn hàng, bấm “Trả hàng/Hoàn tiền”.",
                "Chụp ảnh, ghi rõ lỗi rồi gửi yêu cầu trong thời hạn sàn cho phép.",
                "Chỉ bấm “Đã nhận hàng” sau khi đã kiểm tra hàng.",
            ],
            "Sàn không bao giờ gọi điện xin mã OTP để “hoàn tiền”; gặp trường hợp này là lừa đảo.",
        ),
    ],
    "online_payment": [
        card(
            "Trả tiền bằng mã QR trên ứng dụng ngân hàng",
            [
                "Mở ứng dụng ngân hàng và đăng nhập.",
                "Chọn “Quét QR”, đưa camera vào mã QR của cửa hàng.",
                "Xem tên người nhận hiện trên màn hình có đúng là cửa hàng không.",
                "Nhập số tiền (nếu chưa có), bấm xác nhận, xác thực bằng vân tay, khuôn mặt hoặc mã OTP.",
                "Chờ thông báo “Giao dịch thành công” rồi đưa người bán xem.",
            ],
            "Mã OTP chỉ để tự mình nhập vào ứng dụng; không đọc cho ai qua điện thoại.",
        ),
        card(
            "Cài ứng dụng ngân hàng lần đầu",
            [
                "Tải ứng dụng chính thức của ngân hàng đang có tài khoản, từ CH Play hoặc App Store.",
                "Đăng ký bằng số điện thoại đã đăng ký với ngân hàng.",
                "Xác thực bằng thẻ căn cước gắn chip và khuôn mặt theo hướng dẫn trong ứng dụng.",
                "Đặt mật khẩu riêng, không dùng ngày sinh hay số điện thoại.",
            ],
            "Ngân hàng không gửi đường link đòi đăng nhập hay “cập nhật thông tin” qua tin nhắn.",
        ),
    ],
    "online_safety": [
        card(
            "Nhận biết cuộc gọi giả danh công an",
            [
                "Công an không làm việc qua điện thoại và không bắt chuyển tiền vào “tài khoản tạm giữ”.",
                "Người gọi dọa “liên quan vụ án”, bắt giữ bí mật, đòi cài ứng dụng hay bấm đường link: đó là lừa đảo.",
                "Cúp máy; không nói số căn cước, mã OTP hay mật khẩu.",
                "Gọi cho người thân hoặc đến công an xã để hỏi lại.",
            ],
            "Lỡ chuyển tiền: gọi ngay tổng đài ngân hàng để khóa tài khoản và báo công an nơi gần nhất.",
        ),
        card(
            "Tin nhắn và đường link lạ",
            [
                "Không bấm đường link trong tin nhắn báo trúng thưởng, khóa tài khoản hay giao hàng lạ.",
                "Chỉ cài ứng dụng từ CH Play hoặc App Store.",
                "Đặt mật khẩu khác nhau cho Zalo, ngân hàng và thư điện tử.",
                "Nghi ngờ thì hỏi tổ viên hoặc người thân trước khi làm theo.",
            ],
            "Cơ quan nhà nước và ngân hàng không bao giờ xin mật khẩu hay mã OTP qua tin nhắn.",
        ),
    ],
    "digital_platforms": [
        card(
            "Gọi video và gửi ảnh cho người thân",
            [
                "Mở ứng dụng nhắn tin (ví dụ Zalo), tìm người thân theo số điện thoại.",
                "Bấm biểu tượng máy quay để gọi video, biểu tượng ống nghe để gọi thoại.",
                "Gửi ảnh: bấm biểu tượng hình ảnh, chọn ảnh rồi bấm gửi.",
            ],
            "Không gửi ảnh thẻ căn cước hay thẻ ngân hàng qua tin nhắn.",
        ),
        card(
            "Gửi phản ánh đến chính quyền địa phương",
            [
                "Tải ứng dụng do xã, tỉnh giới thiệu từ kho ứng dụng chính thức.",
                "Đăng nhập, nếu được thì bằng tài khoản VNeID.",
                "Chọn “Phản ánh”, ghi rõ sự việc và nơi xảy ra, chụp ảnh kèm theo.",
                "Theo dõi câu trả lời trong mục phản ánh của mình.",
            ],
            "Không đăng thông tin cá nhân của người khác trong phản ánh.",
        ),
    ],
}

skill = sa.table("skill", sa.column("id", sa.String), sa.column("lessons", sa.JSON))


def upgrade() -> None:
    with op.batch_alter_table("skill") as batch:
        batch.add_column(sa.Column("lessons", sa.JSON(), nullable=True))
    op.create_table(
        "skill_lessons",
        sa.Column("skill_id", sa.String(length=40), nullable=False),
        sa.Column("province_unit_id", sa.Integer(), nullable=False),
        sa.Column("lessons", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["province_unit_id"], ["admin_unit.id"]),
        sa.ForeignKeyConstraint(["skill_id"], ["skill.id"]),
        sa.PrimaryKeyConstraint("skill_id", "province_unit_id"),
    )
    for skill_id, cards in LESSONS.items():
        op.execute(skill.update().where(skill.c.id == skill_id).values(lessons=cards))


def downgrade() -> None:
    op.drop_table("skill_lessons")
    with op.batch_alter_table("skill") as batch:
        batch.drop_column("lessons")
