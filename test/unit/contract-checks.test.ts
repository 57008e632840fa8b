/**
 * The workflow's compiled checks (src/domain/contract-checks.ts) against the zod schemas they are
 * compiled from: the committed file is what the schemas compile to today, both accept exactly the
 * same values and give back the same value, and nothing in the workflow bundle pulls zod back in.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { GENERATED_PATH, generateContractChecks, toJsonSchema } from '../../scripts/contract-checks.js';
import { checkOperatorRequest, checkRegistration, checkVideoEvent } from '../../src/domain/contract-checks.js';
import { registrationSchema, videoEventSchema, withFormat } from '../../src/domain/event-schemas.js';
import { EVENT_TYPES, LIMITS } from '../../src/domain/events.js';
import { OPERATOR_ACTION_TYPES } from '../../src/domain/operator-actions.js';
import { operatorRequestSchemas } from '../../src/domain/operator-requests.js';
import { ev } from '../support/events.js';

const root = new URL('../../', import.meta.url);

/** Strings near every rule's edges: lengths, NUL, whitespace, URLs, durations, times, ids. */
const strings = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ maxLength: 12 }).map((v) => `${v}\u0000`),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.constantFrom('', ' ', '\u0000', 'a\u0000b', '\uD800', '  x ', 'ops', 'vid-1', '.', '..', 'a b', 'é'),
  fc.constantFrom(LIMITS.eventId, LIMITS.userId, LIMITS.videoId, LIMITS.errorCode).chain((n) => fc.constantFrom('a'.repeat(n), 'a'.repeat(n + 1), 'é'.repeat(n + 1), '😀'.repeat(n / 2 + 1))),
  fc.constantFrom(LIMITS.source, LIMITS.fileName, LIMITS.errorMessage).chain((n) => fc.constantFrom('b'.repeat(n), 'b'.repeat(n + 1))),
  fc.constantFrom(
    'https://cdn.example.com/a.zip',
    's3://bucket/key.zip',
    'S3://bucket/key.zip',
    'HTTPS://cdn.example.com/x',
    'http://cdn.example.com/a.zip',
    ' https://cdn.example.com/a.zip',
    'https://cdn.example.com/a b.zip',
    'https:cdn.example.com',
    'https://',
    's3://',
    'https://[::1]/x',
    'https://[::1/x',
    'ftp://x/y',
    'not a url',
  ),
  fc.webUrl(),
  fc.constantFrom('90s', '15m', '2h', '1d', '0s', '-5m', 'soon', '1.5h', ' 2h ', '10 minutes', '1e3s', '30'),
  fc.constantFrom('2026-11-29T10:00:00Z', '2026-11-29T10:00:00.123+02:00', '2026-02-29T10:00:00Z', '2024-02-29T10:00:00Z', '2026-11-29 10:00:00Z', '2026-11-29T10:00:00', 'yesterday'),
  fc.constantFrom(...Object.values(EVENT_TYPES), 'vidproc.video.exploded', '1.0', '0.3'),
);
const numbers = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(-1, 0, 100, 100.5, 2_147_483_647, 2_147_483_648, 12.5));
const leaves = fc.oneof(
  { arbitrary: strings, weight: 8 },
  { arbitrary: numbers, weight: 3 },
  { arbitrary: fc.constantFrom(true, null, {}, []), weight: 1 },
);
const values = fc.oneof({ arbitrary: leaves, weight: 5 }, { arbitrary: fc.dictionary(fc.constantFrom('code', 'message', 'x'), leaves, { maxKeys: 3 }), weight: 1 });

/** A valid value, then a few keys (at any depth) removed, replaced or added. */
function mutated(valid: fc.Arbitrary<Record<string, unknown>>, keys: string[]) {
  const edit = fc.record({ path: fc.constantFrom(...keys), op: fc.constantFrom('delete', 'set', 'add'), value: values, extra: fc.string({ maxLength: 6 }) });
  return fc.tuple(valid, fc.array(edit, { maxLength: 3 })).map(([base, edits]) => {
    const value = structuredClone(base);
    for (const { path, op, value: v, extra } of edits) {
      const parts = path.split('.');
      let target: Record<string, unknown> = value;
      for (const part of parts.slice(0, -1)) {
        if (typeof target[part] !== 'object' || target[part] === null) target[part] = {};
        target = target[part] as Record<string, unknown>;
      }
      const last = parts.at(-1)!;
      if (op === 'delete') delete target[last];
      else if (op === 'set') target[last] = structuredClone(v);
      else target[`${last}${extra}`] = structuredClone(v);
    }
    return value;
  });
}

/** Both accept exactly the same values, and give back the same value. */
function expectSameVerdict(schema: z.ZodType, check: (v: unknown) => { ok: boolean }, value: unknown, checkedValue: (r: never) => unknown) {
  const byZod = schema.safeParse(structuredClone(value));
  const compiled = check(structuredClone(value));
  expect({ value, accepted: compiled.ok }).toEqual({ value, accepted: byZod.success });
  if (byZod.success) expect(checkedValue(compiled as never)).toEqual(byZod.data);
}

const validEvents = fc.oneof(
  fc.constant(ev.uploaded('vid-1', 'user-1', 'a.mp4')),
  fc.constant(ev.uploaded('vid-1', 'user-1')),
  fc.constant(ev.started('vid-1')),
  fc.constant((({ data: _data, ...e }) => e)(ev.started('vid-1'))),
  fc.constant(ev.progress('vid-1', 42.5)),
  fc.constant(ev.completed('vid-1', 'https://cdn.example.com/a.zip', 10)),
  fc.constant(ev.completed('vid-1')),
  fc.constant(ev.failed('vid-1')),
) as fc.Arbitrary<Record<string, unknown>>;
const eventKeys = ['specversion', 'id', 'source', 'subject', 'time', 'type', 'datacontenttype', 'data', 'data.userId', 'data.fileName', 'data.percent', 'data.imagesUrl', 'data.frameCount', 'data.error', 'data.error.code', 'data.error.message'];

describe('the compiled checks the workflow runs', () => {
  it('are what the zod schemas compile to today (run `npm run generate:checks` after changing a schema)', () => {
    expect(generateContractChecks()).toBe(readFileSync(new URL(GENERATED_PATH, root), 'utf8'));
  });

  it('accept exactly the events the zod schema accepts, and give the same event back', () => {
    fc.assert(
      fc.property(fc.oneof(mutated(validEvents, eventKeys), values), (value) =>
        expectSameVerdict(videoEventSchema, checkVideoEvent, value, (r: { event: unknown }) => r.event),
      ),
      { numRuns: 5000 },
    );
  });

  it('accept exactly the registrations the zod schema accepts', () => {
    const valid = fc.constantFrom({ userId: 'user-1' }, { userId: 'user-1', fileName: 'a.mp4' }) as fc.Arbitrary<Record<string, unknown>>;
    fc.assert(
      fc.property(fc.oneof(mutated(valid, ['userId', 'fileName']), values), (value) =>
        expectSameVerdict(registrationSchema, checkRegistration, value, (r: { value: unknown }) => r.value),
      ),
      { numRuns: 1000 },
    );
  });

  it.each(OPERATOR_ACTION_TYPES)('accept exactly the %s requests the zod schema accepts', (type) => {
    const valid = fc.constantFrom({ by: 'ops' }, { by: 'ops', reason: 'corrupt' }, { by: 'ops', duration: '2h' }) as fc.Arbitrary<Record<string, unknown>>;
    fc.assert(
      fc.property(fc.oneof(mutated(valid, ['by', 'reason', 'duration']), values), (value) =>
        expectSameVerdict(operatorRequestSchemas[type], (v) => checkOperatorRequest(type, v), value, (r: { request: unknown }) => r.request),
      ),
      { numRuns: 1000 },
    );
  });

  it('say what is wrong, and where', () => {
    const check = checkVideoEvent({ ...ev.completed('vid-1'), data: { imagesUrl: 'ftp://x/y' } });
    expect(check).toEqual({ ok: false, reason: expect.stringMatching(/^data\.imagesUrl: .*https:\/\/ or s3:\/\//) });
    expect(checkVideoEvent([])).toEqual({ ok: false, reason: expect.stringMatching(/^\(root\): /) });
  });

  it('cannot be compiled from a rule they could not run', () => {
    expect(() => toJsonSchema(z.object({ name: z.string().refine((v) => v !== 'x') }))).toThrow(/refinement/);
    expect(() => toJsonSchema(z.object({ at: z.string().transform((v) => v.length) }))).toThrow(/transform/);
    expect(toJsonSchema(z.object({ url: withFormat('images-url') }))).toMatchObject({ properties: { url: { format: 'images-url' } } });
  });

  it('keep zod out of the workflow bundle (each workflow instantiates every module it imports)', () => {
    const bundle = readFileSync(process.env.VIDPROC_TEST_WORKFLOW_BUNDLE!, 'utf8');
    expect(bundle).toContain('contract-checks.generated');
    expect(bundle).not.toMatch(/node_modules\/zod\//);
  });
});
