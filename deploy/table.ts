/**
 * Plain-text tables for terminal output (build sizes, the dev chain, the deploy summary): columns
 * padded to their widest cell, two spaces apart, trailing blanks trimmed so copied output stays
 * clean.
 */

/** Options of `formatTable`. */
export interface TableOptions {
  /** Column titles; when given they head the table, underlined with dashes. */
  header?: readonly string[];
  /** Prefix of every line, e.g. two spaces to indent the table under a heading. */
  indent?: string;
}

/** Formats `rows` (all of the same length) as aligned columns, one line per row. */
export function formatTable(rows: readonly (readonly string[])[], options: TableOptions = {}): string {
  const all = options.header ? [options.header, ...rows] : rows;
  if (all.length === 0) return "";
  const columns = Math.max(...all.map((row) => row.length));
  const widths = Array.from({ length: columns }, (_, column) => Math.max(...all.map((row) => (row[column] ?? "").length)));
  const line = (cells: readonly string[]) =>
    (options.indent ?? "") + widths.map((width, column) => (cells[column] ?? "").padEnd(width)).join("  ").trimEnd();
  const lines = rows.map(line);
  if (options.header) lines.unshift(line(options.header), line(widths.map((width) => "-".repeat(width))));
  return lines.join("\n");
}
