import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvCut } from '../../src/detect/stream.ts';
import { FingerprintSet, Person, SubjectTally, fingerprint } from '../../src/detect/subjects.ts';
import { Utf16Offsets } from '../../src/detect/utf8.ts';

describe('the fingerprint set of distinct identifiers', () => {
  it('tells 300,000 distinct identifiers apart and recognises each again', () => {
    const set = new FingerprintSet();
    let fresh = 0;
    for (let i = 0; i < 300_000; i++) if (!set.insert(fingerprint(`cn_mobile:1${String(3800000000 + i)}`))) fresh++;
    expect(fresh).toBe(300_000);
    for (let i = 0; i < 300_000; i += 997) expect(set.has(fingerprint(`cn_mobile:1${String(3800000000 + i)}`))).toBe(true);
    expect(set.has(fingerprint('cn_mobile:19999999999'))).toBe(false);
    // Small tables leave their old slots behind in slabs; still far below the ~100 bytes an
    // identifier costs in a Set of strings.
    expect(set.bytes).toBeLessThan(300_000 * 16);
  });

  it('sized for a body, keeps every fingerprint below and beyond the count it was sized for', () => {
    const set = new FingerprintSet();
    set.expect(2_000);
    let fresh = 0;
    for (let i = 0; i < 20_000; i++) if (!set.insert(fingerprint(`cn_mobile:1${String(3900000000 + i)}`))) fresh++;
    expect(fresh).toBe(20_000);
    for (let i = 0; i < 20_000; i += 7) expect(set.insert(fingerprint(`cn_mobile:1${String(3900000000 + i)}`))).toBe(true);
    expect(set.has(fingerprint('cn_mobile:19999999999'))).toBe(false);
  });

  it('keeps every fingerprint when its segments move to buffers grown in place (past 1.6 million)', () => {
    const set = new FingerprintSet();
    const fp = (i: number) => fingerprint(`cn_resident_id:1101051900${String(10_000_000 + i)}`);
    const n = 2_500_000;
    for (let i = 0; i < n; i++) set.insert(fp(i));
    expect(set.size).toBeGreaterThan(n - 50); // 38-bit fingerprints: a few merges at most
    for (let i = 0; i < n; i += 4999) expect(set.insert(fp(i))).toBe(true);
    expect(set.has(fingerprint('cn_resident_id:999999999999999999'))).toBe(false);
    // Grown in place by a quarter up to a load of 0.8: at most 4 / 0.64 bytes an identifier.
    expect(set.bytes).toBeLessThan(n * 6.25);
  });
});

describe('subjects of the evidence, found by fingerprint', () => {
  function personOf(...ids: [number, string][]): Person {
    const person = new Person();
    person.personal = true;
    for (const [fp, id] of ids) person.addId(fp, id, false);
    return person;
  }

  it('tells apart identifiers whose fingerprints share their low bits, or collide outright', () => {
    const tally = new SubjectTally(false, true);
    const shared = 0x1234567;
    tally.add(personOf([shared, 'cn_mobile:13800000001']));
    tally.add(personOf([shared + 2 ** 30, 'cn_mobile:13800000002']));
    tally.add(personOf([shared + 2 ** 40, 'cn_mobile:13800000003'], [77, 'cn_resident_id:110105194912310021']));
    // The counts read fingerprints alone (a whole collision merges there); evidence reads the strings.
    tally.add(personOf([shared + 2 ** 30, 'cn_mobile:13800000004']));
    // Shares an identifier with the third subject: merged into it, its other identifier added.
    tally.add(personOf([99, 'cn_mobile:13800000005'], [shared + 2 ** 40, 'cn_mobile:13800000003']));
    expect(tally.evidence!.map((subject) => subject.identifiers)).toEqual([
      ['cn_mobile:13800000001'],
      ['cn_mobile:13800000002'],
      ['cn_mobile:13800000003', 'cn_resident_id:110105194912310021', 'cn_mobile:13800000005'],
      ['cn_mobile:13800000004'],
    ]);
    expect(tally.subjects).toBe(3);
  });
});

describe('UTF-16 offsets of byte offsets', () => {
  it('match the decoded text at every character boundary, whatever the alignment and direction', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', '1', '"', ' ', 'é', '陈', '１', '😀'), { maxLength: 80 }),
        fc.nat(7),
        fc.boolean(),
        (chars, pad, backwards) => {
          const bytes = Buffer.from('x'.repeat(pad) + chars.join('')).subarray(pad);
          const boundaries: number[] = [];
          for (let i = 0; i <= bytes.length; i++) if (i === bytes.length || (bytes[i]! & 0xc0) !== 0x80) boundaries.push(i);
          if (backwards) boundaries.reverse();
          const offsets = new Utf16Offsets(bytes);
          for (const offset of boundaries) expect(offsets.of(offset)).toBe(bytes.subarray(0, offset).toString('utf8').length);
        },
      ),
    );
  });
});

describe('cutting a CSV stream at row boundaries', () => {
  it('cuts after the last newline outside quotes, carrying the quote parity', () => {
    expect(csvCut(Buffer.from('a,b\nc,"d\ne'), 0)).toEqual({ cut: 4, parity: 1 });
    expect(csvCut(Buffer.from('x"\nf,g\nh'), 1)).toEqual({ cut: 7, parity: 0 });
    expect(csvCut(Buffer.from('no newline'), 0)).toEqual({ cut: -1, parity: 0 });
  });

  it('never cuts inside a quoted field', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', ',', '"', '\n'), { maxLength: 60 }), (chars) => {
        const text = chars.join('');
        const { cut, parity } = csvCut(Buffer.from(text), 0);
        const quotes = (s: string) => s.split('"').length - 1;
        expect(parity).toBe(quotes(text) % 2);
        if (cut >= 0) {
          expect(text[cut - 1]).toBe('\n');
          expect(quotes(text.slice(0, cut)) % 2).toBe(0);
          // No later newline outside quotes was missed.
          for (let i = cut; i < text.length; i++) if (text[i] === '\n') expect(quotes(text.slice(0, i)) % 2).toBe(1);
        }
      }),
    );
  });
});
