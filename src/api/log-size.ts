/**
 * Log sizes as Docker's json-file takes them (`10m`, `1g`, `512k`, plain bytes): checked by the
 * controller when a spec is submitted and compiled by the executor's log rotation, so a size the
 * controller accepts is one the executor can use.
 */
const SIZE = /^(\d+)\s*([kmg]?)b?$/i;
const UNIT: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Parses `10m`-style sizes; returns an error message instead of throwing. */
export function parseLogSize(text: string): number | { error: string } {
  const match = SIZE.exec(text.trim());
  if (!match) return { error: `"${text}" is not a size (use a number with an optional k, m or g unit, e.g. "10m")` };
  const bytes = Number(match[1]) * UNIT[match[2].toLowerCase()];
  if (bytes < 1) return { error: `"${text}" must be greater than zero` };
  return bytes;
}
