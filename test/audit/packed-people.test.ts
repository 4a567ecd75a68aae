/**
 * People cross to the SQLite writer thread packed into one string and two length arrays: what
 * the thread unpacks must be exactly the people sent, whatever their identifiers hold.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromWireOp, packPeople, toWireOp, unpackPeople } from '../../src/audit/packed-people.ts';

const person = fc.record({ identifiers: fc.array(fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 12 })), { maxLength: 4 }), sensitive: fc.boolean() });

describe('packed people', () => {
  it('unpacks to the identifiers and sensitivity of every person, in order', () => {
    fc.assert(
      fc.property(fc.array(person, { maxLength: 30 }), (people) => {
        expect(unpackPeople(packPeople(people))).toEqual(people);
      }),
      { numRuns: 300 },
    );
  });

  it('leaves what the thread reserves unchanged but for detect-only fields', () => {
    const people = [
      { identifiers: ['cn_mobile:13900000000', '陈晓明@例子.中国'], sensitive: true, categories: ['health'] },
      { identifiers: [], sensitive: false, categories: [] },
      { identifiers: [''], sensitive: false, categories: [] },
    ];
    const input = { enterprise: 'E1', year: 2026, decisionId: 'd', people };
    expect(fromWireOp(structuredClone(toWireOp({ op: 'reserve-people', input })))).toEqual({
      op: 'reserve-people',
      input: { ...input, people: people.map(({ identifiers, sensitive }) => ({ identifiers, sensitive })) },
    });
    expect(toWireOp({ op: 'release', decisionId: 'd' })).toEqual({ op: 'release', decisionId: 'd' });
  });
});
