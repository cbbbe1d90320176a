import { db, type CatalogItem } from '../db';
import { DEFAULT_SKILLS } from '../db/writes';

// Used before the first pull brings the province's own labels.
const FALLBACK: Record<string, [string, string]> = {
  public_services: ['Sử dụng dịch vụ công trực tuyến', 'Online public services'],
  online_shopping: ['Mua sắm trực tuyến', 'Online shopping'],
  online_payment: ['Thanh toán trực tuyến', 'Online payment'],
  online_safety: ['Tự bảo vệ mình trên không gian mạng', 'Staying safe online'],
  digital_platforms: ['Sử dụng nền tảng số', 'Digital platforms'],
};

export async function loadSkills(): Promise<CatalogItem[]> {
  const skills = await db.skills.toCollection().sortBy('position');
  if (skills.length) return skills;
  return DEFAULT_SKILLS.map((id, i) => ({ id, position: i + 1, label_vi: FALLBACK[id][0], label_en: FALLBACK[id][1] }));
}

export async function loadMilestones(): Promise<CatalogItem[]> {
  return db.milestones.toCollection().sortBy('position');
}
