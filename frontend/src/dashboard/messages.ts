// The dashboard's own strings, Vietnamese first. They live in the dashboard chunk, not in the volunteer
// bundle; the language is the app's (i18n/locale).
import { fill, locale } from '../i18n';

export const MESSAGES = {
  title: ['Báo cáo phổ cập kỹ năng số', 'Digital skills coverage'],
  loading: ['Đang tải báo cáo…', 'Loading the report…'],
  logout: ['Đăng xuất', 'Log out'],
  language: ['English', 'Tiếng Việt'],
  breadcrumb: ['Đơn vị', 'Unit'],
  campaign: ['Chiến dịch', 'Campaign'],
  all_time: ['Toàn thời gian (mọi chiến dịch)', 'All time (every campaign)'],
  state_running: ['đang diễn ra', 'running'],
  state_upcoming: ['sắp diễn ra', 'upcoming'],
  state_ended: ['đã kết thúc', 'ended'],
  offline_copy: ['Không có mạng — đang xem số liệu đã lưu lúc {time}.', 'Offline — showing figures saved at {time}.'],
  generated_at: ['Số liệu lúc {time}', 'Figures as of {time}'],
  no_unit: ['Tài khoản này chưa được gán đơn vị. Hãy liên hệ quản trị viên.', 'This account has no unit. Contact an administrator.'],
  error: ['Không tải được báo cáo: {message}', 'Could not load the report: {message}'],
  no_copy: ['Chưa có số liệu đã lưu cho đơn vị này. Hãy kết nối mạng.', 'No saved figures for this unit yet. Connect to the internet.'],
  retry: ['Thử lại', 'Retry'],
  forbidden: ['Bạn không có quyền xem đơn vị này.', 'You are not allowed to see this unit.'],
  back_home: ['Về đơn vị của tôi', 'Back to my unit'],
  offline_error: ['Không có kết nối mạng. Hãy kiểm tra mạng rồi thử lại.', 'No connection. Check the network and try again.'],
  auth_error: ['Phiên đăng nhập đã hết hạn. Hãy đăng xuất rồi đăng nhập lại.', 'Your session has expired. Log out and log in again.'],
  unknown_error: ['Có lỗi xảy ra.', 'Something went wrong.'],
  loading_campaigns: ['Đang tải danh sách chiến dịch…', 'Loading the campaigns…'],
  loading_progress: ['Đang tải tiến độ…', 'Loading the progress…'],
  loading_to_visit: ['Đang tải danh sách hộ…', 'Loading the households…'],
  // headline
  visited: ['Hộ đã được thăm', 'Households visited'],
  covered: ['Hộ đạt', 'Households covered'],
  covered_hint: ['≥{k} người thành thạo đủ 5 kỹ năng', '≥{k} people proficient in all 5 skills'],
  proficient_all: ['Người thành thạo đủ 5 kỹ năng', 'People proficient in all 5 skills'],
  of_target: ['{n} / {target} (mục tiêu)', '{n} / {target} (target)'],
  of_households: ['{n} / {total} hộ', '{n} / {total} households'],
  target_line: ['Mục tiêu: 100% hộ, mỗi hộ {k} người', 'Target: every household, {k} per household'],
  // ranking
  ranking: ['Xếp hạng theo {level}', 'Ranking by {level}'],
  rank: ['Hạng', 'Rank'],
  unit: ['Đơn vị', 'Unit'],
  households: ['Số hộ', 'Households'],
  visited_pct: ['Đã thăm', 'Visited'],
  covered_pct: ['Đạt', 'Covered'],
  people_proficient: ['Người thành thạo đủ 5', 'Proficient in all 5'],
  visits: ['Lượt thăm', 'Visits'],
  sort_hint: ['Bấm tiêu đề cột để sắp xếp.', 'Click a column heading to sort.'],
  sort_by: ['Sắp xếp theo', 'Sort by'],
  descending: ['Giảm dần', 'Descending'],
  ascending: ['Tăng dần', 'Ascending'],
  level_district: ['quận/huyện', 'district'],
  level_commune: ['xã/phường', 'commune'],
  level_hamlet: ['thôn/ấp', 'hamlet'],
  // skills and milestones
  skills: ['Theo kỹ năng (số người)', 'By skill (people)'],
  skills_base_people: ['Mỗi thanh so với {n} người của đơn vị.', 'Each bar against the {n} people of the unit.'],
  skills_base_households: ['Đơn vị chưa có danh sách nhân khẩu: mỗi thanh so với {n} hộ.', 'The unit lists no people yet: each bar against its {n} households.'],
  legend: ['Chú giải', 'Legend'],
  latest: ['đến {day}', 'to {day}'],
  taught: ['Đã hướng dẫn', 'Taught'],
  proficient: ['Thành thạo', 'Proficient'],
  milestones: ['Các mốc đạt được', 'Milestones reached'],
  people_count: ['{n} người', '{n} people'],
  // progress
  progress: ['Tiến độ theo ngày', 'Daily progress'],
  cumulative_visited: ['Lũy kế % hộ đã thăm', 'Cumulative % visited'],
  cumulative_covered: ['Lũy kế % hộ đạt', 'Cumulative % covered'],
  day: ['Ngày', 'Day'],
  per_day_table: ['Bảng số liệu theo ngày', 'Figures by day'],
  new_visited: ['Hộ thăm mới', 'Newly visited'],
  new_covered: ['Hộ đạt mới', 'Newly covered'],
  no_days: ['Chưa có lượt thăm nào.', 'No visits yet.'],
  // to visit
  to_visit: ['Hộ cần thăm / thăm lại', 'Households to visit or revisit'],
  reason_not_visited: ['Chưa thăm', 'Not visited'],
  reason_not_home: ['Vắng nhà', 'Not home'],
  reason_declined: ['Từ chối', 'Declined'],
  reason_not_covered: ['Đã thăm, chưa đạt', 'Visited, not covered'],
  more: ['Xem thêm', 'Show more'],
  // downloads
  downloads: ['Tải báo cáo', 'Download reports'],
  dl_coverage_xlsx: ['Báo cáo tổng hợp (.xlsx)', 'Coverage report (.xlsx)'],
  dl_coverage_csv: ['Tổng hợp (.csv)', 'Coverage (.csv)'],
  dl_progress_xlsx: ['Tiến độ theo ngày (.xlsx)', 'Daily progress (.xlsx)'],
  dl_to_visit_xlsx: ['Danh sách hộ cần thăm (.xlsx)', 'Households to visit (.xlsx)'],
  personal_data: ['Có thông tin cá nhân: mỗi lần tải đều được ghi lại.', 'Contains personal data: every download is logged.'],
  downloaded: ['Đã tải {name}', 'Downloaded {name}'],
  download_failed: ['Không tải được tệp: {message}', 'Download failed: {message}'],
} as const;

export type DashKey = keyof typeof MESSAGES;

export function d(key: DashKey, params: Record<string, string | number> = {}): string {
  return fill(MESSAGES[key], params);
}

export { num, pct } from '../i18n';

export function day(iso: string): string {
  const [y, m, dd] = iso.split('-');
  return `${dd}/${m}/${y}`;
}

export function dateTime(ms: number): string {
  return new Date(ms).toLocaleString(locale() === 'vi' ? 'vi-VN' : 'en-GB', { day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit' });
}
