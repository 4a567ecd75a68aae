/**
 * The counters' hashes must not change with the implementation: the fast HMAC is byte for byte
 * node:crypto's HMAC-SHA256 for every key length and identifier, short, long, ASCII or not.
 */
import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { subjectHmac } from '../../src/audit/subject-hmac.ts';

const reference = (key: Buffer, identifier: string) => createHmac('sha256', key).update(identifier).digest('hex');

describe('subject HMAC', () => {
  it('equals createHmac for every identifier length around the one-block limit', () => {
    const key = randomBytes(32);
    const hmac = subjectHmac(key);
    for (let length = 0; length <= 130; length++) {
      const identifier = Array.from({ length }, (_, i) => String.fromCharCode(0x20 + ((i * 7 + length) % 95))).join('');
      expect(hmac(identifier), `length ${length}`).toBe(reference(key, identifier));
    }
  });

  it('equals createHmac for random keys (16 to 100 bytes) and random identifiers', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 100 }), fc.array(fc.oneof(fc.string({ maxLength: 70 }), fc.string({ unit: 'grapheme', maxLength: 20 })), { maxLength: 8 }), (bytes, identifiers) => {
        const key = Buffer.from(bytes);
        const hmac = subjectHmac(key);
        for (const identifier of identifiers) expect(hmac(identifier)).toBe(reference(key, identifier));
      }),
      { numRuns: 300 },
    );
  });

  it('hashes the identifiers detect produces as createHmac does', () => {
    const key = randomBytes(32);
    const hmac = subjectHmac(key);
    for (const identifier of ['110105194912310021', '11010519491231002X', '13812345678', '+85291234567', 'a@example.com', 'A123456(7)', '陈晓明@例子.中国']) {
      expect(hmac(identifier)).toBe(reference(key, identifier));
    }
  });
});
