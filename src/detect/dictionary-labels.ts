/**
 * Labels in free text: "诊断：高血压", "宗教信仰: 佛教", "姓名：张三". A label followed by a colon is
 * a field name written inline, so the dictionary gives it meaning exactly as for a JSON key
 * (issue 2 point 2: Chinese hotwords in free text raise confidence the same way). A word that
 * is merely mentioned ("本系统不保存诊断信息") is not a label: the colon is required.
 */
import type { FieldMeaning } from './types.ts';
import { lookupField } from './dictionary.ts';
import { isVisiblyMasked } from './values-token.ts';

export interface LabelHit {
  /** What the label says about the content after it. */
  meaning: FieldMeaning;
  /** Where the label starts (for `why`: `hotword ${meaning.entry}`). */
  labelStart: number;
  /** The content after the colon: the span to mask. */
  start: number;
  end: number;
}

/** Longest label looked up: "紧急联系人手机号码" fits; a sentence does not. */
const maxLabelLength = 16;
/** Longest content taken after a label: one field's value, not the rest of the document. */
const maxContentLength = 200;

function isLabelChar(c: number): boolean {
  return (c >= 0x4e00 && c <= 0x9fff) || ((c | 32) >= 97 && (c | 32) <= 122) || c === 95;
}

function endsContent(c: number): boolean {
  // newline, CR, 。 ； ; ， , " and the JSON closers
  return c === 10 || c === 13 || c === 0x3002 || c === 0xff1b || c === 59 || c === 0xff0c || c === 44 || c === 34 || c === 125 || c === 93;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 0x3000;
}

/** Finds "label: content" pairs whose label the field dictionary knows, in text[start, end). */
export function findFieldLabels(text: string, start: number, end: number, out: LabelHit[]): void {
  let from = start;
  // Next position of each colon kind, searched again only once passed: a text with one kind
  // only must not make every search run to the end of the text.
  let ascii = -2;
  let wide = -2;
  while (from < end) {
    if (ascii !== -1 && ascii < from) ascii = text.indexOf(':', from);
    if (wide !== -1 && wide < from) wide = text.indexOf('：', from);
    const colon = ascii < 0 ? wide : wide < 0 ? ascii : Math.min(ascii, wide);
    if (colon < 0 || colon >= end) return;
    from = colon + 1;
    let labelEnd = colon;
    while (labelEnd > start && isBlank(text.charCodeAt(labelEnd - 1))) labelEnd--;
    if (labelEnd > start && text.charCodeAt(labelEnd - 1) === 34) labelEnd--; // "diagnosis": in JSON scanned as text
    let labelStart = labelEnd;
    while (labelStart > start && labelEnd - labelStart < maxLabelLength && isLabelChar(text.charCodeAt(labelStart - 1))) labelStart--;
    if (labelStart === labelEnd) continue;
    const meaning = lookupField(text.slice(labelStart, labelEnd));
    if (meaning === null) continue;
    let contentStart = colon + 1;
    while (contentStart < end && isBlank(text.charCodeAt(contentStart))) contentStart++;
    if (contentStart < end && text.charCodeAt(contentStart) === 34) contentStart++;
    let contentEnd = contentStart;
    const limit = Math.min(end, contentStart + maxContentLength);
    while (contentEnd < limit && !endsContent(text.charCodeAt(contentEnd))) contentEnd++;
    while (contentEnd > contentStart && isBlank(text.charCodeAt(contentEnd - 1))) contentEnd--;
    if (contentEnd === contentStart) continue;
    const content = Buffer.from(text.slice(contentStart, contentEnd));
    if (isVisiblyMasked(content, 0, content.length)) continue;
    out.push({ meaning, labelStart, start: contentStart, end: contentEnd });
    // A colon inside the content ("时间：12:30") starts no label; this also keeps the pass linear.
    from = Math.max(from, contentEnd);
  }
}
