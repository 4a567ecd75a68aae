/**
 * The charset a body is declared in. The scan decodes the body in that charset, while the bytes
 * go to the recipient unchanged, so a charset in which ASCII bytes do not read as ASCII lets the
 * scan and the recipient see different text: ASCII digits declared as UTF-16 are CJK characters
 * to the scan and a phone number to any reader that ignores the charset (most CSV readers);
 * UTF-32, UTF-7 or EBCDIC, which Node cannot decode, were read as UTF-8 and showed the scan NULs
 * or base64 where a Java or Python recipient reads digits. Such a body is refused as one the
 * gateway cannot inspect (415, recorded: CLARIFICATIONS 14), like an encoding it cannot decode.
 */
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

/** Every `charset` parameter of a Content-Type (a recipient may honour any of them, not only the first). */
export function charsetParameters(contentType: string): string[] {
  const semi = contentType.indexOf(';');
  if (semi < 0) return [];
  const labels: string[] = [];
  for (const part of contentType.slice(semi + 1).split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    labels.push(value);
  }
  return labels;
}

/** Throws XB_ERR_UNSUPPORTED_ENCODING when the declared charset would let the recipient read what the scan did not. */
export function assertInspectableCharset(contentType: string | undefined): void {
  if (contentType === undefined) return;
  for (const label of charsetParameters(contentType)) {
    if (asciiCompatibleCharset(label)) continue;
    const shown = label.slice(0, 40);
    throw new XborderError('XB_ERR_UNSUPPORTED_ENCODING', `charset "${shown}" cannot be inspected as the recipient would read it; send the body in UTF-8`, {
      details: { charset: shown },
    });
  }
}
