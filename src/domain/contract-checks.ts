/**
 * The checks the workflow runs on what it is signalled and asked: compiled from the contract's zod
 * schemas (contract-checks.generated.ts, `npm run generate:checks`), so the workflow does not carry
 * zod; they accept exactly what the schemas accept and give the same value back (test/unit/
 * contract-checks.test.ts). Like zod, a check returns the value with unknown keys dropped and
 * defaults filled in; unlike zod, it does so in place.
 */
import { CONTRACT_FORMATS, type ContractFormat } from './contract-formats.js';
import * as compiled from './contract-checks.generated.js';
import type { ParseResult, VideoEvent } from './event-schemas.js';
import type { OperatorActionType } from './operator-action-types.js';
import type { CheckedOperatorRequest } from './operator-requests.js';

interface CompiledCheck {
  (value: unknown): boolean;
  errors?: Array<{ instancePath: string; keyword: string; params: { format?: string }; message?: string }> | null;
}

/** Ajv's words, or the contract's own for its predicates (as zod says them). */
function messageOf({ keyword, params, message }: NonNullable<CompiledCheck['errors']>[number]): string {
  const format = keyword === 'format' ? CONTRACT_FORMATS[params.format as ContractFormat] : undefined;
  return format?.message ?? message ?? 'invalid';
}

type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

function run<T>(check: CompiledCheck, value: unknown): Checked<T> {
  if (check(value)) return { ok: true, value: value as T };
  const reason = (check.errors ?? [])
    .map((error) => `${error.instancePath ? error.instancePath.slice(1).replaceAll('/', '.') : '(root)'}: ${messageOf(error)}`)
    .join('; ');
  return { ok: false, reason };
}

export function checkVideoEvent(value: unknown): ParseResult {
  const checked = run<VideoEvent>(compiled.videoEvent as CompiledCheck, value);
  return checked.ok ? { ok: true, event: checked.value } : checked;
}

export interface Registration {
  userId: string;
  fileName?: string | undefined;
}

export function checkRegistration(value: unknown): Checked<Registration> {
  return run<Registration>(compiled.registration as CompiledCheck, value);
}

const REQUEST_CHECKS: Record<OperatorActionType, CompiledCheck> = {
  retry: compiled.retryRequest as CompiledCheck,
  fail: compiled.failRequest as CompiledCheck,
  extend: compiled.extendRequest as CompiledCheck,
};

export function checkOperatorRequest<T extends OperatorActionType>(
  type: T,
  input: unknown,
): { ok: true; request: CheckedOperatorRequest<T> } | { ok: false; reason: string } {
  const checked = run<CheckedOperatorRequest<T>>(REQUEST_CHECKS[type], input);
  return checked.ok ? { ok: true, request: checked.value } : checked;
}
