// The team screen's own strings, Vietnamese first. They live in the team chunk, not in the volunteer
// bundle; the language is the app's.
import { fill } from '../i18n';

export const MESSAGES = {
  title: ['Tổ của tôi', 'My team'],
  campaign: ['Chiến dịch: {name} ({from}–{to})', 'Campaign: {name} ({from}–{to})'],
  all_time: ['Mọi chiến dịch', 'Every campaign'],
  target: ['Mục tiêu của tổ', "The team's target"],
  target_line: ['Mục tiêu: 100% hộ đạt (mỗi hộ ≥{k} người thành thạo đủ 5 kỹ năng)', 'Target: every household covered (≥{k} people proficient in all 5 skills)'],
  covered_of: ['{n} / {total} hộ đạt', '{n} / {total} households covered'],
  visited_of: ['Đã thăm {n} / {total} hộ ({pct})', 'Visited {n} / {total} households ({pct})'],
  of_target: ['của mục tiêu', 'of the target'],
  today_title: ['Hôm nay trên máy này', 'Today on this phone'],
  volunteers: ['Tổ viên ({n})', 'Volunteers ({n})'],
  volunteers_note: ['Số liệu ngày {day}, từ các lượt thăm đã đồng bộ.', 'Figures for {day}, from the synced visits.'],
  no_volunteers: ['Tổ chưa có tổ viên.', 'The team has no members yet.'],
  role_leader: ['Tổ trưởng', 'Team leader'],
  role_deputy: ['Tổ phó', 'Deputy'],
  role_member: ['Tổ viên', 'Volunteer'],
  role_none: ['Ngoài tổ', 'Not in the team'],
  call: ['Gọi', 'Call'],
  call_label: ['Gọi {name}', 'Call {name}'],
  visits_today: ['Hôm nay', 'Today'],
  visits: ['Lượt thăm', 'Visits'],
  households_met: ['Hộ gặp được', 'Households met'],
  people_proficient: ['Thành thạo đủ\u00a05', 'Proficient in all\u00a05'],
  days_active: ['Ngày hoạt động', 'Days active'],
  attention: ['Cần xử lý', 'Needs attention'],
  attention_detail: ['{rejected} bị từ chối khi đồng bộ, {flagged} lượt thăm chờ xác nhận', '{rejected} refused at sync, {flagged} visits awaiting review'],
  last_sync: ['Đồng bộ lần cuối: {time}', 'Last sync: {time}'],
  never_synced: ['Chưa đồng bộ lần nào', 'Never synced'],
  left: ['Hộ còn lại ({n})', 'Households left ({n})'],
  filter: ['Lọc theo lý do', 'Filter by reason'],
  all: ['Tất cả', 'All'],
  reason_not_visited: ['Chưa thăm', 'Never visited'],
  reason_not_home: ['Vắng nhà — cần thăm lại', 'Not home — revisit'],
  reason_declined: ['Từ chối', 'Declined'],
  reason_not_covered: ['Đã thăm, chưa đạt', 'Visited, not covered'],
  last_visit: ['Lần thăm cuối: {day}', 'Last visit: {day}'],
  none_left: ['Không còn hộ nào.', 'No household left.'],
  more: ['Xem thêm', 'Show more'],
  showing: ['Đang hiện {n} / {total} hộ', 'Showing {n} / {total} households'],
  loading: ['Đang tải số liệu của tổ…', "Loading the team's figures…"],
  offline: ['Không có mạng. Số liệu từng tổ viên và hộ còn lại cần kết nối; phần "Hôm nay" tính từ dữ liệu trên máy.', 'Offline. Each volunteer and the households left need a connection; "Today" comes from the data on this phone.'],
  forbidden: ['Bạn không có quyền xem số liệu của tổ.', "You are not allowed to see the team's figures."],
  error: ['Không tải được số liệu của tổ: {message}', "Could not load the team's figures: {message}"],
  retry: ['Thử lại', 'Retry'],
} as const;

export type TeamKey = keyof typeof MESSAGES;

export function tt(key: TeamKey, params: Record<string, string | number> = {}): string {
  return fill(MESSAGES[key], params);
}

export { num, pct } from '../i18n';
