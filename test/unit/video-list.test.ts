import { describe, expect, it } from '@jest/globals';
import { listOwner } from '../../src/domain/video-list.js';

describe('whose videos a listing shows', () => {
  const alice = { userId: 'alice', operator: false };
  const ops = { userId: 'ops', operator: true };

  it("a user's own, whether they name themselves or not", () => {
    expect(listOwner(alice, undefined)).toEqual({ owner: 'alice' });
    expect(listOwner(alice, 'alice')).toEqual({ owner: 'alice' });
  });

  it("never another user's for a user: refused, not widened nor swapped", () => {
    expect(listOwner(alice, 'bob')).toEqual({ refused: expect.stringMatching(/operator/) });
  });

  it("an operator's: everyone's, or the one user named", () => {
    expect(listOwner(ops, undefined)).toEqual({ owner: null });
    expect(listOwner(ops, 'bob')).toEqual({ owner: 'bob' });
  });
});
