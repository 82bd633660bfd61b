/**
 * Renders rows as a plain-text table: the first row is the header, followed by a ruler;
 * the first column is left-aligned, the others right-aligned; then numbered notes.
 */
export function textTable(table: string[][], notes: readonly string[] = []): string {
  const columns = Math.max(0, ...table.map((line) => line.length));
  const widths = Array.from({ length: columns }, (_, c) =>
    Math.max(...table.map((line) => (line[c] ?? '').length)),
  );
  const render = (line: string[]): string =>
    line
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
      .join('  ')
      .trimEnd();
  const [first = [], ...body] = table;
  return [
    render(first),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...body.map(render),
    ...notes.map((note, i) => `[${i + 1}] ${note}`),
  ].join('\n');
}
