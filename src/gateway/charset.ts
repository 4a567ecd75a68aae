/**
 * The charset a body is declared in. The scan decodes the body in that charset, while the bytes
 * go to the recipient unchanged, so a charset in which ASCII bytes do not read as ASCII lets the
 * scan and the recipient see different text: ASCII digits declared as UTF-16 are CJK characters
 * to the scan and a phone number to any reader that ignores the charset (most CSV readers);
 * UTF-32, UTF-7 or EBCDIC, which Node cannot decode, were read as UTF-8 and showed the scan NULs
 * or base64 where a Java or Python recipient reads digits. Such a body is refused as one the
 * gateway cannot inspect (415, recorded: CLARIFICATIONS 14), like an encoding it cannot decode.
 *
 * So is a body whose charset is ambiguous: two charset parameters that disagree (the scan reads
 * the first, a recipient may honour the last), or UTF-8 bytes declared in a legacy charset (the
 * scan read `诊断` as mojibake, while a JSON recipient reads UTF-8 whatever the parameter says,
 * RFC 8259 §8.1). A body truly in GBK or Latin-1 is not valid UTF-8 and is inspected as declared.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { contentTypeParameters, decodeContent } from '../detect/index.ts';
import { XborderError } from '../errors.ts';

// Labels that detect decodes itself (src/detect/decode.ts charsetLabel), some unknown to TextDecoder.
const decodedByDetect = new Set(['utf-8', 'utf8', 'gb18030', 'gbk', 'gb2312', 'cp936', 'x-gbk']);

// Every 7-bit byte, controls and ESC included: ISO-2022-JP only shows its shift states on ESC.
const asciiBytes = Uint8Array.from({ length: 128 }, (_, byte) => byte);
const asciiText = String.fromCharCode(...asciiBytes);

// Verdicts per label TextDecoder knows (a fixed, small set); unknown labels are never cached, so
// a caller cannot grow this map.
const verdicts = new Map<string, boolean>();

/** Whether a body in `label` reads, byte for byte, as ASCII where it is ASCII. */
export function asciiCompatibleCharset(label: string): boolean {
  const name = label.trim().toLowerCase();
  if (decodedByDetect.has(name)) return true;
  const known = verdicts.get(name);
  if (known !== undefined) return known;
  let verdict: boolean;
  try {
    verdict = new TextDecoder(name).decode(asciiBytes) === asciiText;
  } catch {
    return false; // Node cannot decode it: the scan would read it as something else
  }
  verdicts.set(name, verdict);
  return verdict;
}

/** Every `charset` parameter of a Content-Type. */
export function charsetParameters(contentType: string): string[] {
  return contentTypeParameters(contentType, 'charset');
}

/**
 * Throws XB_ERR_UNSUPPORTED_ENCODING for a multipart type with boundary parameters that disagree:
 * the scan splits the body on the first, a recipient splitting on the last reads parts that were,
 * to the scan, the epilogue of the body.
 */
export function assertOneBoundary(contentType: string | undefined): void {
  if (contentType === undefined) return;
  const boundaries = new Set(contentTypeParameters(contentType, 'boundary'));
  if (boundaries.size > 1) {
    throw new XborderError('XB_ERR_UNSUPPORTED_ENCODING', `the body declares ${boundaries.size} different multipart boundaries; declare one`);
  }
}

/** Throws XB_ERR_UNSUPPORTED_ENCODING when the declared charset would let the recipient read what the scan did not. */
export function assertInspectableCharset(contentType: string | undefined): void {
  if (contentType === undefined) return;
  for (const label of charsetParameters(contentType)) {
    if (asciiCompatibleCharset(label)) continue;
    throw uninspectable(`charset "${label.slice(0, 40)}" cannot be inspected as the recipient would read it; send the body in UTF-8`, label);
  }
}

function uninspectable(detail: string, charset: string): XborderError {
  return new XborderError('XB_ERR_UNSUPPORTED_ENCODING', detail, { details: { charset: charset.slice(0, 40) } });
}

/** The name a label decodes as (labels already accepted by asciiCompatibleCharset). */
function canonicalCharset(label: string): string {
  const name = label.trim().toLowerCase();
  if (name === 'utf8' || name === 'utf-8') return 'utf-8';
  if (decodedByDetect.has(name)) return 'gb18030'; // detect decodes GBK and its subsets as GB18030
  try {
    return new TextDecoder(name).encoding;
  } catch {
    return name;
  }
}

/**
 * Throws XB_ERR_UNSUPPORTED_ENCODING when a recipient could read the body in another charset than
 * the scan did. `decoded` gives the body with its Content-Encoding undone (null when it cannot be:
 * the scan then refuses the body itself).
 */
export function assertUnambiguousCharset(contentType: string | undefined, decoded: () => Uint8Array | null): void {
  if (contentType === undefined) return;
  const labels = charsetParameters(contentType);
  if (labels.length === 0) return;
  const names = new Set(labels.map(canonicalCharset));
  if (names.size > 1) throw uninspectable(`the body declares ${names.size} different charsets; declare one`, labels.join(','));
  const [name] = names;
  // Multipart parts declare their own charsets; UTF-8 reads the same declared or not.
  if (name === 'utf-8' || /^\s*multipart\//i.test(contentType)) return;
  const bytes = decoded();
  if (bytes !== null && !isAscii(bytes) && isUtf8(bytes)) {
    throw uninspectable(`the body is UTF-8 but declares charset "${labels[0]!.slice(0, 40)}": a recipient reading UTF-8 would see what the scan did not; declare charset=utf-8`, labels[0]!);
  }
}

/** The body with its Content-Encoding undone, as the scan undoes it; null when it cannot be (the scan refuses it then). */
export function undoContentEncoding(body: Uint8Array, contentEncoding: string | undefined, cap: number): Uint8Array | null {
  try {
    return decodeContent(body, contentEncoding, cap);
  } catch {
    return null;
  }
}
