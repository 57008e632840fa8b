/**
 * The contract's rules that no JSON Schema keyword can say, each written once as a plain predicate.
 * The zod schemas check them with `.refine` (registered under a format name in CONTRACT_FORMAT_NAMES),
 * and the compiled checks the workflow uses (contract-checks.ts) call the same function by that name.
 */
import { parseDuration } from './duration.js';

/** `scheme://` and then no whitespace or control characters, which the URL parser would silently drop or move. */
const IMAGES_URL_SHAPE = /^(?:https|s3):\/\/[^\s\u0000-\u001f\u007f]+$/i;

/** An absolute https:// or s3:// URL with a host, as written (no whitespace, nothing the parser would rewrite). */
export function isImagesUrl(value: string): boolean {
  if (!IMAGES_URL_SHAPE.test(value)) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (url.protocol === 'https:' || url.protocol === 's3:') && url.hostname !== '';
}

/** A duration as operators write it (`30m`, `2h`). */
export function isDuration(value: string): boolean {
  try {
    parseDuration(value);
    return true;
  } catch {
    return false;
  }
}

/** A string's length in code points: what the contract's limits count (as Postgres counts characters). */
export function codePointLength(value: string): number {
  let length = 0;
  for (const _ of value) length++;
  return length;
}

/** The predicates, with what a value that fails one is told, by the format name the compiled checks know them by. */
export const CONTRACT_FORMATS = {
  'images-url': { type: 'string', validate: isImagesUrl, message: 'must be an absolute https:// or s3:// URL' },
  duration: { type: 'string', validate: isDuration, message: 'must be a duration like 90s, 15m or 2h' },
} as const satisfies Record<string, { type: 'string'; validate: (value: string) => boolean; message: string }>;

export type ContractFormat = keyof typeof CONTRACT_FORMATS;
