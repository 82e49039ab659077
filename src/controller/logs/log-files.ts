/** File-name helpers of the log routes: safe names, content types, renamed downloads (docs/api.md §5). */

/** The last path component of a client-given file name (no directories, no traversal). */
export function lastPathComponent(name: string): string {
  const parts = name.split(/[/\\]/);
  return parts[parts.length - 1] ?? '';
}

const TYPES: [RegExp, string][] = [
  [/\.(log|txt|out|err)$/i, 'text/plain'],
  [/\.json$/i, 'application/json'],
  [/\.gz$/i, 'application/gzip'],
  [/\.zip$/i, 'application/zip'],
  [/\.bz2$/i, 'application/x-bzip2'],
  [/\.xz$/i, 'application/x-xz'],
  [/\.zst$/i, 'application/zstd'],
  [/\.html?$/i, 'text/html'],
  [/\.xml$/i, 'application/xml'],
  [/\.csv$/i, 'text/csv'],
];

/** Content-Type guessed from the file name, `text/plain` when unknown. */
export function contentTypeFor(fileName: string): string {
  for (const [pattern, type] of TYPES) if (pattern.test(fileName)) return type;
  return 'text/plain';
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `rename=true` name: `{owner}_{fileName}-{yyyy-MM-dd_HH-mm-ss}` (UTC), owner being `{app}_{instance}`. */
export function downloadName(owner: string, fileName: string, now: number): string {
  const d = new Date(now);
  const stamp = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}_${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}-${pad(d.getUTCSeconds())}`;
  return `${owner}_${fileName}-${stamp}`;
}
