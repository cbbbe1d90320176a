import { TungNhaDB } from '../../src/db/schema';

let counter = 0;
export function freshDb(): TungNhaDB {
  counter += 1;
  return new TungNhaDB(`test-${Date.now()}-${counter}`);
}

export const HAMLET = 7;

export function householdData(id: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    hamlet_id: HAMLET,
    address: 'Số 12, Khu vực 1',
    head_name: 'Nguyễn Văn A',
    phone: null,
    member_count: 1,
    latitude: null,
    longitude: null,
    deleted: false,
    ...extra,
  };
}
