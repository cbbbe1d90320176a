import { describe, expect, it } from 'vitest';
import { fold } from '../../src/db/fold';

describe('fold (mirror of app/text.py)', () => {
  it('matches the server on its documented cases', () => {
    expect(fold('Đặng')).toBe('dang');
    expect(fold('Vị Thuỷ')).toBe('vi thuy');
    expect(fold('Vị Thủy')).toBe('vi thuy');
    expect(fold('Vị Thủy'.normalize('NFD'))).toBe('vi thuy');
  });

  it('lets a volunteer type without diacritics', () => {
    expect(fold('  Nguyễn   Văn\tA ')).toBe('nguyen van a');
    expect(fold('Nguyễn Văn A').includes(fold('nguyen van a'))).toBe(true);
    expect(fold('ĐƯỜNG 30/4, Ấp Vị Hoà')).toBe('duong 30/4, ap vi hoa');
  });
});
