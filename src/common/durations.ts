/**
 * Dropwizard duration grammar (docs/api.md §1.8.2): `^(\d+)\s*(\S+)$`, case-sensitive units.
 * A parsed Duration keeps the unit the client used so it can be echoed back in long form
 * ("5m" → "5 minutes") without normalisation.
 */

export type DurationUnit = 'nanoseconds' | 'microseconds' | 'milliseconds' | 'seconds' | 'minutes' | 'hours' | 'days';

export interface Duration {
  readonly count: number;
  readonly unit: DurationUnit;
}

const UNIT_SPELLINGS: Record<string, DurationUnit> = {
  ns: 'nanoseconds', nanosecond: 'nanoseconds', nanoseconds: 'nanoseconds',
  us: 'microseconds', microsecond: 'microseconds', microseconds: 'microseconds',
  ms: 'milliseconds', millisecond: 'milliseconds', milliseconds: 'milliseconds',
  s: 'seconds', second: 'seconds', seconds: 'seconds',
  m: 'minutes', min: 'minutes', mins: 'minutes', minute: 'minutes', minutes: 'minutes',
  h: 'hours', hour: 'hours', hours: 'hours',
  d: 'days', day: 'days', days: 'days',
};

const UNIT_MILLIS: Record<DurationUnit, number> = {
  nanoseconds: 1e-6, microseconds: 1e-3, milliseconds: 1, seconds: 1_000,
  minutes: 60_000, hours: 3_600_000, days: 86_400_000,
};

const DURATION_PATTERN = /^(\d+)\s*(\S+)$/;

/** Parses a duration string; returns an error message instead of throwing. */
export function parseDuration(text: unknown): Duration | { error: string } {
  if (typeof text !== 'string') return { error: `a duration must be a string such as "5 seconds", got ${JSON.stringify(text)}` };
  const match = DURATION_PATTERN.exec(text);
  if (!match) return { error: `Invalid duration: ${JSON.stringify(text)} (expected a whole number and a unit, e.g. "30 seconds" or "5m")` };
  const unit = UNIT_SPELLINGS[match[2]];
  if (!unit) return { error: `Invalid duration unit in ${JSON.stringify(text)}: ${match[2]} (use ns, us, ms, s, m, h, d or their long forms)` };
  const count = Number(match[1]);
  if (!Number.isSafeInteger(count)) return { error: `Invalid duration: ${JSON.stringify(text)} is too large` };
  return { count, unit };
}

/** Parses or throws a plain Error carrying the message. */
export function duration(text: string): Duration {
  const parsed = parseDuration(text);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed;
}

export function isDuration(value: unknown): value is Duration {
  return typeof value === 'object' && value !== null && 'count' in value && 'unit' in value;
}

export function durationMillis(d: Duration): number {
  return d.count * UNIT_MILLIS[d.unit];
}

/** Output form: `<count> <unit>`, long lower-case unit, singular when count is exactly 1. */
export function formatDuration(d: Duration): string {
  const unit = d.count === 1 ? d.unit.slice(0, -1) : d.unit;
  return `${d.count} ${unit}`;
}

/** Builds a Duration from milliseconds, in seconds when whole, else milliseconds. */
export function durationFromMillis(ms: number): Duration {
  return ms % 1000 === 0 ? { count: ms / 1000, unit: 'seconds' } : { count: Math.round(ms), unit: 'milliseconds' };
}
