import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import ms from 'ms';
import { OPERATOR_ACTION_TYPES, parseOperatorRequest, readAcceptedOperatorRequest } from '../../src/domain/operator-actions.js';

describe('readAcceptedOperatorRequest: an accepted request read again (the update handler, also on replay)', () => {
  it('reads an extend whose duration the rules of its day accepted and today\'s refuse (more than 15 digits)', () => {
    const input = { by: 'olga', duration: '1234567890123456s' };
    expect(parseOperatorRequest('extend', input).ok).toBe(false);
    expect(readAcceptedOperatorRequest('extend', input)).toEqual({ ok: true, by: 'olga', action: { type: 'extend', durationMs: ms('1234567890123456s') } });
  });

  it('still refuses what no rule ever accepted, as today does', () => {
    for (const input of [{ by: 'olga', duration: 'soon' }, { by: '   ', duration: '1234567890123456s' }, { by: 'olga' }, null, 'extend']) {
      const today = parseOperatorRequest('extend', input);
      expect(today.ok).toBe(false);
      expect(readAcceptedOperatorRequest('extend', input)).toEqual(today);
    }
  });

  it('property: whatever today accepts reads the same', () => {
    const request = fc.record({ by: fc.string({ minLength: 1, maxLength: 20 }), duration: fc.oneof(fc.string(), fc.constantFrom('90s', '15m', '2h', '1.5 h', '0s', '3 days')), reason: fc.string() }, { requiredKeys: [] });
    fc.assert(
      fc.property(fc.constantFrom(...OPERATOR_ACTION_TYPES), request, (type, input) => {
        const today = parseOperatorRequest(type, input);
        if (today.ok) expect(readAcceptedOperatorRequest(type, input)).toEqual(today);
      }),
    );
  });
});
