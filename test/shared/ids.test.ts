import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/shared/errors.ts';
import { ID_PREFIXES, newId, parseId } from '../../src/shared/ids.ts';

describe('resource ids', () => {
  it('are <prefix>_<26 Crockford characters> and parse back', () => {
    const id = newId(ID_PREFIXES.batch);
    expect(id).toMatch(/^bat_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(parseId(id, 'bat', 'id')).toBe(id);
  });

  it('sort by creation time (keyset pagination relies on it)', () => {
    const earlier = newId('bat', 1_700_000_000_000);
    const later = newId('bat', 1_700_000_000_001);
    expect(earlier < later).toBe(true);
  });

  it('made in one millisecond still sort in the order they were made (monotonic)', () => {
    const now = Date.now() + 60_000;
    const ids = Array.from({ length: 1000 }, () => newId('bat', now));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(1000);
  });

  it('do not repeat', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newId('sig')));
    expect(ids.size).toBe(1000);
  });

  it.each([
    ['another resource type', newId('stl')],
    ['a NUL byte (PostgreSQL would raise an error on it)', `bat_${'0'.repeat(25)}\u0000`],
    ['lower case', newId('bat').toLowerCase()],
    ['a letter Crockford excludes (U)', `bat_${'U'.repeat(26)}`],
    ['a non-string', 42],
  ])('refuse %s with a 400 naming the field', (_, value) => {
    expect(() => parseId(value, 'bat', 'path.id')).toThrow(InvalidInputError);
    expect(() => parseId(value, 'bat', 'path.id')).toThrow(/path\.id/);
  });
});
