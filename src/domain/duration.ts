/** Durations as operators write them: `90s`, `15m`, `2h`, `1d` (the `ms` library's format). */
import ms from 'ms';

export class DurationError extends Error {
  override name = 'DurationError';
}

/** Milliseconds in a duration like `90s`, `15m` or `2h`; throws a DurationError otherwise. */
export function parseDuration(text: string): number {
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
