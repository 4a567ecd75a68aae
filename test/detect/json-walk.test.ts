import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scan } from '../../src/detect/index.ts';
import { json } from './helpers.ts';

/** A top-level array's elements; under a top-level object, the objects of its shallowest list of objects, else 1. */
function expectedRecords(value: unknown): number {
  if (Array.isArray(value)) return value.length;
  let depth = Number.POSITIVE_INFINITY;
  let count = 0;
  const visit = (node: unknown, level: number, inList: boolean): void => {
    if (node === null || typeof node !== 'object') return;
    const isObject = !Array.isArray(node);
    if (isObject && inList && level <= depth) {
      if (level < depth) [depth, count] = [level, 0];
      count++;
    }
    for (const child of Object.values(node)) visit(child, level + 1, !isObject);
  };
  visit(value, 0, false);
  return count > 1 ? count : 1;
}

describe('the single-pass JSON walker', () => {
  it('reads every JSON document JSON.stringify writes, counting its records', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue({ maxDepth: 6 }), fc.dictionary(fc.string(), fc.array(fc.jsonValue({ maxDepth: 3 })))), fc.constantFrom(undefined, 0, 2, '\t'), async (value, indent) => {
        const result = await scan(JSON.stringify(value, null, indent), json);
        expect(result.parseError).toBeNull();
        expect(result.records).toBe(expectedRecords(value));
      }),
      { numRuns: 300 },
    );
  });

  it('says parseError for text that JSON.parse rejects', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: fc.constantFrom('{', '}', '[', ']', '"', ':', ',', '1', 'a', ' ', 'n', 'u', 'l') }), async (text) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        const result = await scan(text, json);
        expect(result.parseError === null).toBe(valid);
      }),
      { numRuns: 500 },
    );
  });
});
