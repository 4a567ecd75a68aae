import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scan } from '../../src/detect/index.ts';
import { json } from './helpers.ts';

describe('the single-pass JSON walker', () => {
  it('reads every JSON document JSON.stringify writes, counting top-level records', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 6 }), fc.constantFrom(undefined, 0, 2, '\t'), async (value, indent) => {
        const result = await scan(JSON.stringify(value, null, indent), json);
        expect(result.parseError).toBeNull();
        expect(result.records).toBe(Array.isArray(value) ? value.length : 1);
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
