// The rows chosen in the import preview, as commit's `rows` form field takes them.

/** ["1:2","1:3","1:4","2:7"] → "1:2-4,2:7" (and "2,3,4" → "2-4"): the selection stays small for big files. */
export function compactRows(keys: string[]): string {
  const bySheet = new Map<string, number[]>();
  for (const key of new Set(keys)) {
    const [sheet, row] = key.includes(':') ? key.split(':') : ['', key];
    const rows = bySheet.get(sheet) ?? [];
    rows.push(Number(row));
    bySheet.set(sheet, rows);
  }
  const parts: string[] = [];
  for (const [sheet, rows] of bySheet) {
    const sorted = rows.sort((x, y) => x - y);
    const prefix = sheet === '' ? '' : `${sheet}:`;
    for (let i = 0; i < sorted.length; ) {
      let j = i;
      while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
      parts.push(prefix + (i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`));
      i = j + 1;
    }
  }
  return parts.join(',');
}
