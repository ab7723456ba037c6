/**
 * RFC 4180 CSV: CRLF between records, and a field in double quotes when it holds a comma, a quote or a line break,
 * with its quotes doubled (section 2, rules 6 and 7).
 */
export function csvDocument(rows: readonly (readonly (string | number)[])[]): string {
  return rows.map((row) => `${row.map(csvField).join(',')}\r\n`).join('');
}

export function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
