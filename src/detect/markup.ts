/**
 * Markup read as the recipient's parser reads it: HTML bodies here, scanned as free text (one
 * record holding one person, path `text`), and each value of an XML body (xml.ts).
 * `&#49;&#x31;`, `&commat;` and CDATA sections (`<![CDATA[1101]]><![CDATA[05…]]>`) would
 * otherwise hide a value from a byte scan, and a comment
 * or processing instruction inside a value (`1101<!-- -->05…`) would split it; the parser restores
 * all of them. Tags stay in place: they separate values as the parser's text nodes do. The
 * contents of comments and processing instructions leave the country too, so they are scanned as
 * well, after the text and apart from it. `\uXXXX` escapes are decoded as in free text (text.ts).
 */
import type { ScanContext } from './context.ts';
import { mayHoldEscapes, Rewrite, unicodeEscape } from './rewrite.ts';
import { Person } from './subjects.ts';

/**
 * Named references that the parser turns into a character of a value: XML's five, and the HTML
 * names of the punctuation inside e-mails, phone numbers and addresses (`&commat;`, `&plus;`).
 * Letters and digits have no names; other names are left as written.
 */
const named = new Map<string, number>([
  ['amp', 38], ['lt', 60], ['gt', 62], ['quot', 34], ['apos', 39], ['nbsp', 0xa0],
  ['commat', 64], ['period', 46], ['plus', 43], ['colon', 58], ['lowbar', 95], ['UnderBar', 95],
  ['hyphen', 0x2010], ['dash', 0x2010], ['minus', 0x2212], ['num', 35], ['lpar', 40], ['rpar', 41],
  ['sol', 47], ['bsol', 92], ['comma', 44], ['semi', 59], ['equals', 61], ['excl', 33], ['quest', 63],
  ['ast', 42], ['midast', 42], ['percnt', 37], ['dollar', 36], ['lsqb', 91], ['lbrack', 91], ['rsqb', 93],
  ['rbrack', 93], ['lcub', 123], ['lbrace', 123], ['rcub', 125], ['rbrace', 125], ['verbar', 124],
  ['vert', 124], ['grave', 96], ['Hat', 94], ['Tab', 9], ['NewLine', 10], ['ensp', 0x2002], ['emsp', 0x2003],
  ['thinsp', 0x2009],
]);
/** HTML reads these few without their `;` too (legacy names). */
const legacy = new Set(['amp', 'lt', 'gt', 'quot', 'nbsp']);
/** Longer than any name above: a longer run of letters is no reference. */
const longestName = 8;

/** The delimiters of comments, CDATA sections and processing instructions (xml.ts reads them too). */
export const commentOpen = Buffer.from('<!--');
export const commentClose = Buffer.from('-->');
export const cdataOpen = Buffer.from('<![CDATA[');
export const cdataClose = Buffer.from(']]>');
export const piClose = Buffer.from('?>');

export function startsWith(src: Buffer, i: number, to: number, prefix: Buffer): boolean {
  if (i + prefix.length > to) return false;
  for (let k = 0; k < prefix.length; k++) if (src[i + k] !== prefix[k]) return false;
  return true;
}

/** Where `needle` starts in `src[from, to)`, else `to`. */
export function find(src: Buffer, needle: Buffer, from: number, to: number): number {
  // Searched up to `to` only: an XML attribute value holding an unclosed `<!--` read the rest of
  // the body each time, and 200 KB of `<p a="<!--"/>` took 2.7 s on the gateway's event loop.
  const at = src.subarray(0, to).indexOf(needle, from);
  return at < 0 ? to : at;
}

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/**
 * The character reference at `src[i]` (an `&`): its code point, with `end` set past it; -1 when
 * there is none. Numeric references are read as HTML reads them: any number of leading zeros,
 * the `;` optional, a code point that is no character becoming U+FFFD.
 */
function reference(src: Buffer, i: number, to: number, end: { at: number }): number {
  let k = i + 1;
  if (src[k] === 35) {
    k++;
    const hex = src[k] === 120 || src[k] === 88;
    if (hex) k++;
    const digitsFrom = k;
    let cp = 0;
    for (; k < to; k++) {
      const c = src[k]!;
      let digit: number;
      if (c >= 48 && c <= 57) digit = c - 48;
      else if (hex && ((c | 32) >= 97 && (c | 32) <= 102)) digit = (c | 32) - 87;
      else break;
      // Saturate: a huge number is no character, however many digits it takes.
      cp = Math.min(cp * (hex ? 16 : 10) + digit, 0x110000);
    }
    if (k === digitsFrom) return -1;
    if (src[k] === 59) k++;
    end.at = k;
    return cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? 0xfffd : cp;
  }
  const nameFrom = k;
  while (k < to && k - nameFrom <= longestName && isAlnum(src[k]!)) k++;
  const name = src.toString('latin1', nameFrom, k);
  const cp = named.get(name);
  if (cp === undefined) return -1;
  if (src[k] === 59) end.at = k + 1;
  else if (legacy.has(name)) end.at = k;
  else return -1;
  return cp;
}

/** Whether `src[from, to)` holds anything the parser would decode or join: else it is read as it is. */
export function needsMarkupRewrite(src: Buffer, from: number, to: number): boolean {
  const piece = src.subarray(from, to);
  return piece.indexOf(38) >= 0 || piece.indexOf('<!') >= 0 || piece.indexOf('<?') >= 0 || mayHoldEscapes(src, from, to);
}

/**
 * The text of `src[from, to)` as the parser reads it: references decoded, CDATA unwrapped,
 * comments and processing instructions taken out of the text and appended after it.
 */
export function rewriteMarkup(src: Buffer, from: number, to: number): Rewrite {
  const out = new Rewrite(to - from + 64);
  const moved: number[] = [];
  const end = { at: 0 };
  let copied = from;
  let i = from;
  while (i < to) {
    const c = src[i]!;
    if (c === 38 || c === 92) {
      // `\uXXXX` too, as in free text: JSON carried in an element is read by a JSON parser.
      const cp = c === 38 ? reference(src, i, to, end) : unicodeEscape(src, i, to, end);
      if (cp < 0) {
        i++;
        continue;
      }
      out.copy(src, copied, i);
      out.char(cp, i, end.at);
      i = copied = end.at;
    } else if (c === 60 && (src[i + 1] === 33 || src[i + 1] === 63)) {
      if (startsWith(src, i, to, cdataOpen)) {
        // CDATA content is character data, read without decoding references.
        const close = find(src, cdataClose, i + cdataOpen.length, to);
        out.copy(src, copied, i);
        out.copy(src, i + cdataOpen.length, close);
        i = copied = Math.min(close + cdataClose.length, to);
      } else if (startsWith(src, i, to, commentOpen) || src[i + 1] === 63) {
        // An unclosed comment runs to the end, as the parser reads it.
        const comment = src[i + 1] === 33;
        const close = comment ? find(src, commentClose, i + commentOpen.length, to) : find(src, piClose, i + 2, to);
        out.copy(src, copied, i);
        moved.push(i + (comment ? commentOpen.length : 2), close);
        i = copied = Math.min(close + (comment ? commentClose.length : piClose.length), to);
      } else i++;
    } else i++;
  }
  out.copy(src, copied, to);
  for (let k = 0; k < moved.length; k += 2) {
    out.separator(moved[k]!);
    out.copy(src, moved[k]!, moved[k + 1]!);
  }
  return out;
}

/** Scans an HTML body (or part) as one record holding one person. */
export function walkMarkup(ctx: ScanContext, src: Buffer, from: number, to: number, path: string): void {
  const person = new Person();
  ctx.realPath = () => path;
  if (!needsMarkupRewrite(src, from, to)) ctx.value(src, from, to, null, path, '', person);
  else {
    const text = rewriteMarkup(src, from, to);
    const first = ctx.spans?.length ?? 0;
    ctx.value(text.bytes, 0, text.length, null, path, '', person);
    text.mapSpans(ctx.spans, first);
  }
  ctx.finishPerson(person);
  ctx.endRecord();
}
