/** Durations as operators write them: `90s`, `15m`, `2h`, `1d` (the `ms` library's format). */
import ms from 'ms';

export class DurationError extends Error {
  override name = 'DurationError';
}

/** The unit words the `ms` library reads, any case. */
const MS_UNITS = ['milliseconds', 'millisecond', 'msecs', 'msec', 'ms', 'seconds', 'second', 'secs', 'sec', 's', 'minutes', 'minute', 'mins', 'min', 'm', 'hours', 'hour', 'hrs', 'hr', 'h', 'days', 'day', 'd', 'weeks', 'week', 'w', 'years', 'year', 'yrs', 'yr', 'y'];
const anyCase = (word: string) => [...word].map((ch) => `[${ch}${ch.toUpperCase()}]`).join('');

/**
 * What a duration looks like, as a pattern without flags (it is part of the API's schema, which
 * a JSON Schema validator checks as it is): a number above 0 (at most 15 digits each side of the
 * point, so it stays finite), optional spaces, a unit.
 */
export const DURATION_PATTERN = new RegExp(`^(?=[0-9.]*[1-9])[0-9]{1,15}(\\.[0-9]{1,15})? *(${MS_UNITS.map(anyCase).join('|')})$`);

/** Milliseconds in a duration like `90s`, `15m` or `2h`; throws a DurationError otherwise. */
export function parseDuration(text: string): number {
  const value = DURATION_PATTERN.test(text) ? ms(text as ms.StringValue) : undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new DurationError(`"${text}" is not a duration like 90s, 15m or 2h`);
  }
  return value;
}

/**
 * Milliseconds in a duration that was accepted when it was given, under the rules of its day (an
 * operator's `extend` recorded in a workflow's history is read again on replay): any number and
 * unit the `ms` library reads, as parseDuration read them before DURATION_PATTERN bounded the digits.
 * A superset of parseDuration's; never for new input.
 */
export function parseRecordedDuration(text: string): number {
  const value = /^\s*\d+(\.\d+)?\s*[a-z]+\s*$/i.test(text) ? ms(text as ms.StringValue) : undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new DurationError(`"${text}" is not a duration like 90s, 15m or 2h`);
  }
  return value;
}

const UNITS: Array<[string, number]> = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
];

/** A duration in the largest unit that writes it exactly (`90s`, `15m`, `2h`), for messages. */
export function formatDuration(millis: number): string {
  const unit = UNITS.find(([, size]) => millis >= size && millis % size === 0);
  return unit ? `${millis / unit[1]}${unit[0]}` : `${millis}ms`;
}
