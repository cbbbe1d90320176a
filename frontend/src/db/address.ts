import { fold } from './fold';

/** "Tổ 3, số 12, …" → tổ 3, house 12 (the walk list's order); a missing part sorts last. */
export function addressKey(address: string): { group: number; house: number } {
  const f = fold(address);
  const group = /\bto(?: dan pho)?\s*(\d+)/.exec(f);
  const house = /\b(?:so|sn)\s*(\d+)/.exec(f) ?? /^(\d+)/.exec(f);
  return { group: group ? Number(group[1]) : Number.MAX_SAFE_INTEGER, house: house ? Number(house[1]) : Number.MAX_SAFE_INTEGER };
}
