/**
 * XML bodies, element by element: the name of the element around a value, or of the attribute
 * holding it, is the value's field name, as a JSON key or a CSV header is (`<diagnosis>`,
 * `<身份证号>`, `<hzhm>`, `idNo="…"`). Read as one blob of text, an XML export of patients
 * showed an ID number and nothing else: not the diagnosis (sensitive), not the names, not the
 * passport numbers that count only beside a field name (CLARIFICATIONS 2).
 *
 * Each run of character data between two element tags is one value, read as the parser reads it
 * (markup.ts: references, CDATA, comments and processing instructions). A DOCTYPE is scanned as
 * text too: its entity definitions are values the parser pastes in wherever they are referenced.
 * Every byte of the body lands in a run, a name or an attribute value, so a malformed body is
 * scanned whole all the same. Paths are XPath-like (`/patients/patient/diagnosis`, `/a/@idNo`).
 *
 * People are counted as in JSON (CLARIFICATIONS 1), an element being an object: an element
 * holding other elements or attributes is an object whose fields are its attributes, its own text
 * and the text of its child elements; elements repeated under one parent are the items of a list. So an
 * element with a name field is a person together with its nameless sub-elements; data outside
 * every named element goes to the single named person of the same list item, or else forms one
 * person per list item; and the records are the items of the shallowest list (an envelope does
 * not hide them), else the body. Counted as one free-text person, 670,000 customers' mobiles in
 * an XML export were one subject, exempt under any threshold.
 */
import type { ScanContext, FieldInfo } from './context.ts';
import { fieldHash } from './context.ts';
import { cdataClose, cdataOpen, commentClose, commentOpen, find, piClose, rewriteMarkup, startsWith } from './markup.ts';
import { Person, placeUnowned, push } from './subjects.ts';
import { textOf } from './utf8.ts';

/** What a closed element hands its parent: its own person unless named, and the people under it. */
interface Contribution {
  /** The element's fields and its nameless sub-elements' fields, when no name field claimed them. */
  unowned: Person | null;
  /** People of unnamed list items below, waiting for a named ancestor to absorb them or the record to end. */
  groups: Person[] | null;
  /** Named elements below (this one included), waiting for the list item or the record that holds them. */
  named: Person[] | null;
}

/** An open element (or, at depth 0, the body around the root element). */
class Frame implements Contribution {
  unowned: Person | null = null;
  groups: Person[] | null = null;
  named: Person[] | null = null;
  /** Holds attributes or elements: an object, not a field of its parent. */
  isObject = false;
  /** The first child object of each name, until a second of that name makes them list items. */
  pending: Map<string, Contribution> | null = null;
  /** Names of child objects seen more than once: their elements are list items. */
  repeated: Set<string> | null = null;

  constructor(
    /** Where the element's local name stands in the body, to match its end tag by. */
    readonly nameFrom: number,
    readonly nameTo: number,
    readonly info: FieldInfo | null,
    /** The parent's path, the element's own segment, and the two joined. */
    readonly base: string,
    readonly segment: string,
    readonly path: string,
    readonly depth: number,
  ) {}

  /** The person receiving this element's fields. */
  person(): Person {
    return (this.unowned ??= new Person());
  }
}

// A parent keeps at most this many first-of-their-name children waiting: past it, a child object
// is taken as a person of its own (a body of distinct names must not grow the map without end).
const maxPending = 256;
// An end tag looks this far up for its element: end tags of nothing, each searching 512 open
// elements, took 12 s for 16 MB on the gateway's event loop. A well-formed body closes the innermost.
const maxEndTagSearch = 16;

const isSpace = (c: number | undefined) => c === 32 || c === 9 || c === 10 || c === 13;
// XML names start with a letter, `_`, `:` or any non-ASCII character (XML 1.0 §2.3, loosely).
const isNameStart = (c: number | undefined) => c !== undefined && ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 58 || c >= 0x80);

/** Where the name starting at `i` ends: at a space, `/`, `>`, `=` or the end. */
function nameEnd(src: Buffer, i: number, to: number): number {
  while (i < to) {
    const c = src[i]!;
    if (isSpace(c) || c === 62 || c === 61 || (c === 47 && src[i + 1] === 62)) break;
    i++;
  }
  return i;
}

/** Start of the local part of a prefixed name (`ns2:idNo` → `idNo`): the prefix is no field name. */
function localStart(src: Buffer, from: number, to: number): number {
  for (let k = to - 2; k >= from; k--) if (src[k] === 58) return k + 1;
  return from;
}

/** Where byte `c` next stands in `src[from, to)`, else `to`. Tags are dense: a loop beats indexOf's call. */
function next(src: Buffer, c: number, from: number, to: number): number {
  let i = from;
  while (i < to && src[i] !== c) i++;
  return i;
}

/**
 * Whether a run has anything for markup.ts to decode or join (a reference, an escape, a comment,
 * CDATA or a processing instruction: element tags end runs, so any `<` left is one of those).
 */
function needsRewrite(src: Buffer, from: number, to: number): boolean {
  for (let k = from; k < to; k++) {
    const c = src[k]!;
    if (c === 38 || c === 60 || c === 92) return true;
  }
  return false;
}

function blank(src: Buffer, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (!isSpace(src[k])) return false;
  return true;
}

function sameName(src: Buffer, aFrom: number, aTo: number, bFrom: number, bTo: number): boolean {
  if (aTo - aFrom !== bTo - bFrom) return false;
  for (let k = 0; k < aTo - aFrom; k++) if (src[aFrom + k] !== src[bFrom + k]) return false;
  return true;
}

export class XmlWalker {
  /** Open elements; stack[0] is the body around the root element. */
  private readonly stack: Frame[];
  /** Depth of the shallowest list whose items are objects, and how many items it had. */
  private listDepth = Number.POSITIVE_INFINITY;
  private listRecords = 0;
  /** Path segment of each field, as XPath shows it (`/idNo`, or `/<cn_mobile>` for a name that is a value). */
  private readonly segments = new Map<FieldInfo, string>();
  private readonly paths = new Map<string, Map<string, string>>();
  private runStart = 0;
  /** What element paths start with: nothing for a body, `part:<name>` in multipart. */
  private readonly elementRoot: string;

  /**
   * `root`: the path of text outside any element (`text` for a body, `part:<name>` in multipart).
   * Elements deeper than `maxDepth` are read as their deepest open ancestor: a body of nested
   * tags must not grow a stack of paths with it.
   */
  constructor(
    private readonly ctx: ScanContext,
    private readonly root: string,
    private readonly maxDepth: number,
  ) {
    this.elementRoot = root === 'text' ? '' : root;
    this.stack = [new Frame(0, 0, null, '', root, root, 0)];
  }

  private get top(): Frame {
    return this.stack[this.stack.length - 1]!;
  }

  walk(src: Buffer, from: number, to: number): void {
    this.runStart = from;
    let i = from;
    while (i < to) {
      const lt = next(src, 60, i, to);
      if (lt >= to) break;
      const after = src[lt + 1];
      if (after === 33) {
        // Comments and CDATA belong to the run they stand in (markup.ts joins or moves them).
        if (startsWith(src, lt, to, commentOpen)) i = this.past(find(src, commentClose, lt + commentOpen.length, to), commentClose.length, to, 'a comment');
        else if (startsWith(src, lt, to, cdataOpen)) i = this.past(find(src, cdataClose, lt + cdataOpen.length, to), cdataClose.length, to, 'a CDATA section');
        else {
          // A declaration (DOCTYPE, with an internal subset of entity definitions): its own run.
          this.flush(src, lt);
          let end = declarationEnd(src, lt, to);
          if (end < 0) {
            this.malformed('a declaration');
            end = to;
          }
          const entities = entityTrouble(src, lt, end);
          if (entities !== null) this.ctx.parseError ??= entities;
          this.run(src, lt, end, null, this.root, '', this.stack[0]!.person());
          i = this.runStart = end;
        }
        continue;
      }
      if (after === 63) {
        i = this.past(find(src, piClose, lt + 2, to), piClose.length, to, 'a processing instruction');
        continue;
      }
      const closing = after === 47;
      const nameFrom = closing ? lt + 2 : lt + 1;
      if (!isNameStart(src[nameFrom])) {
        // A `<` that starts no tag is character data.
        i = lt + 1;
        continue;
      }
      const nameTo = nameEnd(src, nameFrom, to);
      this.flush(src, lt);
      i = closing ? this.endTag(src, nameFrom, nameTo, to) : this.startTag(src, nameFrom, nameTo, to);
      this.runStart = i;
    }
    this.flush(src, to);
    if (this.stack.length > 1) this.malformed('an element');
    while (this.stack.length > 1) this.close();
    this.finishBody();
  }

  /**
   * A body an XML parser would refuse: it is still scanned whole, but how its records and people
   * are told apart is a guess (an unclosed quote swallows the elements after it), so it is as
   * uninspectable as malformed JSON (CLARIFICATIONS 14: denied by default). A truncated body too.
   */
  private malformed(what: string): void {
    this.ctx.parseError ??= `XML: ${what} is not closed`;
  }

  /** Past the closing delimiter found at `at`; an unclosed construct runs to the end of the body. */
  private past(at: number, length: number, to: number, what: string): number {
    if (at >= to) {
      this.malformed(what);
      return to;
    }
    return Math.min(at + length, to);
  }

  /** The body is the record: what no list item took is settled here (JSON's top-level object). */
  private finishBody(): void {
    const { ctx } = this;
    const body = this.stack[0]!;
    this.settlePending(body);
    body.groups = placeUnowned(body.unowned, body.named, body.groups);
    if (body.named !== null) for (const person of body.named) ctx.finishPerson(person);
    if (body.groups !== null) for (const group of body.groups) ctx.finishPerson(group);
    ctx.endRecord();
    if (this.listRecords > 1) ctx.addRecords(this.listRecords - 1);
  }

  /** Closes the innermost element, handing what it holds to its parent. */
  private close(): void {
    const frame = this.stack.pop()!;
    if (!frame.isObject) {
      // Only now is it known that the element held text alone: a field of its parent. Text of an
      // element with attributes or child elements (`<p id="7">139…</p>`, `<p>139…<x/></p>`) is its
      // own, as `#text` of a JSON object: given to the parent at once, every such list item was
      // one person.
      const text = frame.unowned;
      if (text === null || !text.carries) return;
      const parent = this.top;
      if (parent.unowned === null) parent.unowned = text;
      else {
        parent.unowned.absorb(text);
        parent.unowned.named ||= text.named;
      }
      return;
    }
    this.settlePending(frame);
    const own = frame.unowned;
    const contribution: Contribution = { unowned: own, groups: frame.groups, named: frame.named };
    if (own !== null && own.named) {
      // A named element is a person with its nameless sub-elements, list items included.
      if (frame.groups !== null) for (const group of frame.groups) own.absorb(group);
      contribution.groups = null;
      contribution.named = push(frame.named, own);
      contribution.unowned = null;
    }
    const parent = this.top;
    const name = frame.segment;
    if (parent.repeated?.has(name)) {
      this.asListItem(parent, contribution, frame.depth);
      return;
    }
    const first = parent.pending?.get(name);
    if (first !== undefined) {
      parent.pending!.delete(name);
      (parent.repeated ??= new Set()).add(name);
      this.asListItem(parent, first, frame.depth);
      this.asListItem(parent, contribution, frame.depth);
    } else if ((parent.pending?.size ?? 0) < maxPending) (parent.pending ??= new Map()).set(name, contribution);
    else {
      // Past the bound a field cannot be told from a list item: taken as a field, a list after 256
      // distinct siblings was one person. As its own person it may count more than JSON, never less.
      const loose = contribution.unowned;
      if (loose !== null && loose.carries) contribution.groups = push(contribution.groups, loose);
      contribution.unowned = null;
      this.asField(parent, contribution);
    }
  }

  /** Children seen once are fields of their parent after all (a sub-object, not a list item). */
  private settlePending(frame: Frame): void {
    if (frame.pending === null) return;
    for (const contribution of frame.pending.values()) this.asField(frame, contribution);
    frame.pending = null;
  }

  private asField(parent: Frame, { unowned, groups, named }: Contribution): void {
    if (unowned !== null && unowned.carries) {
      if (parent.unowned === null) parent.unowned = unowned;
      else parent.unowned.absorb(unowned);
    }
    if (named !== null) for (const person of named) parent.named = push(parent.named, person);
    if (groups !== null) for (const group of groups) parent.groups = push(parent.groups, group);
  }

  /** A list item: its own data goes to its single named person, else it is a person itself. */
  private asListItem(parent: Frame, { unowned, groups, named }: Contribution, depth: number): void {
    if (depth <= this.listDepth) {
      if (depth < this.listDepth) {
        this.listDepth = depth;
        this.listRecords = 0;
      }
      this.listRecords++;
    }
    groups = placeUnowned(unowned, named, groups);
    if (named !== null) for (const person of named) this.ctx.finishPerson(person);
    if (groups !== null) for (const group of groups) parent.groups = push(parent.groups, group);
  }

  /** The element's start tag: its name, then its attributes, each name a field and each value a value. */
  private startTag(src: Buffer, nameFrom: number, nameTo: number, to: number): number {
    const parentFrame = this.top;
    const parent = parentFrame.depth === 0 ? this.elementRoot : parentFrame.path;
    const local = localStart(src, nameFrom, nameTo);
    const info = this.fieldOf(src, local, nameTo, parent, '/', parentFrame.person());
    const segment = this.segmentOf(info, src, local, nameTo);
    // Past the depth cap an element is read as part of its deepest open ancestor.
    const deep = this.stack.length > this.maxDepth;
    // Read so, the records and people below are one: the count is no longer the body's, which is
    // then as uninspectable as JSON nested too deep (CLARIFICATIONS 14).
    if (deep) this.ctx.parseError ??= `XML: nested deeper than ${this.maxDepth} levels`;
    else {
      parentFrame.isObject = true;
      this.stack.push(new Frame(local, nameTo, info, parent, segment, this.join(parent, segment), parentFrame.depth + 1));
    }
    const frame = this.top;
    let i = nameTo;
    while (i < to) {
      while (i < to && isSpace(src[i])) i++;
      if (i >= to) break;
      if (src[i] === 62) return i + 1;
      if (src[i] === 47 && src[i + 1] === 62) {
        if (!deep) this.close();
        return i + 2;
      }
      const attrFrom = i;
      const attrTo = Math.max(nameEnd(src, i, to), i + 1);
      i = attrTo;
      while (i < to && isSpace(src[i])) i++;
      let valueFrom = i;
      let valueTo = i;
      if (src[i] === 61) {
        i++;
        while (i < to && isSpace(src[i])) i++;
        const quote = src[i];
        if (quote === 34 || quote === 39) {
          valueFrom = i + 1;
          valueTo = next(src, quote, valueFrom, to);
          if (valueTo >= to) this.malformed('an attribute value');
          i = Math.min(valueTo + 1, to);
        } else {
          valueFrom = i;
          while (i < to && !isSpace(src[i]) && src[i] !== 62) i++;
          valueTo = i;
        }
      }
      frame.isObject = true;
      this.attribute(src, attrFrom, attrTo, valueFrom, valueTo, frame);
    }
    // A tag left open runs to the end of the body: its element holds nothing more.
    this.malformed('a start tag');
    return to;
  }

  /** An attribute is a field of its element (as object): its name gives the value its meaning. */
  private attribute(src: Buffer, nameFrom: number, nameTo: number, valueFrom: number, valueTo: number, element: Frame): void {
    const person = element.person();
    const isNamespace = nameTo - nameFrom >= 5 && src.toString('latin1', nameFrom, nameFrom + 5) === 'xmlns';
    if (isNamespace) {
      this.run(src, valueFrom, valueTo, null, element.path, '/@xmlns', person);
      return;
    }
    const local = localStart(src, nameFrom, nameTo);
    const info = this.fieldOf(src, local, nameTo, element.path, '/@', person);
    const segment = `/@${this.segmentOf(info, src, local, nameTo).slice(1)}`;
    this.run(src, valueFrom, valueTo, info, element.path, segment, person);
  }

  /**
   * The end tag closes the nearest open element of its name, among the innermost
   * `maxEndTagSearch`; one closing nothing open is ignored. Either way but the innermost element
   * is a body an XML parser refuses (see malformed()).
   */
  private endTag(src: Buffer, nameFrom: number, nameTo: number, to: number): number {
    const local = localStart(src, nameFrom, nameTo);
    const innermost = this.stack.length - 1;
    const last = Math.max(1, this.stack.length - maxEndTagSearch);
    let k = innermost;
    for (; k >= last; k--) {
      const frame = this.stack[k]!;
      if (!sameName(src, frame.nameFrom, frame.nameTo, local, nameTo)) continue;
      while (this.stack.length > k) this.close();
      break;
    }
    if (k < last) this.ctx.parseError ??= 'XML: an end tag matches no open element';
    else if (k < innermost) this.malformed('an element');
    const close = next(src, 62, nameTo, to);
    if (close >= to) this.malformed('an end tag');
    return Math.min(close + 1, to);
  }

  /** The character data since the last tag, under the innermost open element. */
  private flush(src: Buffer, end: number): void {
    const from = this.runStart;
    this.runStart = end;
    // Most runs are the indentation between two tags.
    if (end <= from || blank(src, from, end)) return;
    const top = this.top;
    if (top.depth === 0) this.run(src, from, end, null, this.root, '', top.person());
    else this.run(src, from, end, top.info, top.base, top.segment, top.person());
  }

  private run(src: Buffer, from: number, to: number, info: FieldInfo | null, base: string, segment: string, person: Person): void {
    if (from >= to) return;
    const { ctx } = this;
    if (ctx.spans !== null) {
      const path = base + segment;
      ctx.realPath = () => path;
    }
    if (!needsRewrite(src, from, to)) {
      ctx.value(src, from, to, info, base, segment, person);
      return;
    }
    const text = rewriteMarkup(src, from, to);
    const first = ctx.spans?.length ?? 0;
    ctx.value(text.bytes, 0, text.length, info, base, segment, person);
    text.mapSpans(ctx.spans, first);
  }

  /**
   * A name's meaning. A name that is itself a value (`<tel_13812345678>`) has that value counted,
   * once per tag, under `base` and `prefix` (`/` for an element, `/@` for an attribute).
   */
  private fieldOf(src: Buffer, from: number, to: number, base: string, prefix: string, person: Person): FieldInfo {
    const info = this.ctx.fieldAt(src, from, to, fieldHash(src, from, to));
    if (info.keyHoldsValues) {
      const segment = prefix + this.segmentOf(info, src, from, to).slice(1);
      if (this.ctx.spans !== null) this.ctx.realPath = () => base + segment;
      this.ctx.keyValues(textOf(src, from, to), base, info, person, from, to, segment);
    }
    return info;
  }

  /** `base + segment`, one string per distinct path: records repeat their paths, element after element. */
  private join(base: string, segment: string): string {
    let children = this.paths.get(base);
    if (children === undefined) {
      // Bounded: a body of distinct names must not grow the memo without end.
      if (this.paths.size >= 4096) return base + segment;
      this.paths.set(base, (children = new Map()));
    }
    let path = children.get(segment);
    if (path === undefined) {
      if (children.size >= 1024) return base + segment;
      children.set(segment, (path = base + segment));
    }
    return path;
  }

  private segmentOf(info: FieldInfo, src: Buffer, from: number, to: number): string {
    let segment = this.segments.get(info);
    if (segment === undefined) {
      // A name holding a value shows as its placeholder (`.<cn_mobile>` from the field cache).
      segment = info.keyHoldsValues ? `/${info.segment.slice(1)}` : `/${textOf(src, from, to)}`;
      // Bounded like the path memo: a body of distinct names must not grow it without end.
      if (this.segments.size < 4096) this.segments.set(info, segment);
    }
    return segment;
  }
}

const entityOpen = Buffer.from('<!ENTITY');

/**
 * Why a declaration's entities keep the scan from reading the body as a parser does, or null.
 * An entity whose value holds markup (`<!ENTITY rows "<p>…</p>">`) is pasted in as elements
 * wherever `&rows;` stands: the scan reads the value as text only, so the records and people in it
 * are not told apart. An entity whose value holds a piece of a value (`<!ENTITY head "1381234">`)
 * joins the text around its reference (`&head;5678` is a mobile number to the parser), while the
 * scan reads the value on its own. Either way the body is a parse error.
 */
function entityTrouble(src: Buffer, from: number, to: number): string | null {
  let pieces = false;
  for (let at = find(src, entityOpen, from, to); at < to; at = find(src, entityOpen, at + entityOpen.length, to)) {
    let i = at + entityOpen.length;
    while (i < to && src[i] !== 34 && src[i] !== 39 && src[i] !== 62) i++;
    const quote = src[i];
    if (quote !== 34 && quote !== 39) continue;
    const close = next(src, quote, i + 1, to);
    // `&#60;` in an entity value is a `<` of its replacement text, parsed as markup too.
    if (markupInValue.test(src.toString('latin1', i + 1, close))) return 'XML: an entity holds markup, which the scan does not expand';
    if (!pieces) {
      // References undone as the parser undoes them when it reads the definition (`&#49;`, `&commat;`).
      const value = rewriteMarkup(src, i + 1, close);
      pieces = pieceOfValue.test(textOf(value.bytes, 0, value.length));
    }
  }
  return pieces ? 'XML: an entity holds letters or digits, which the scan does not join with the text around its references' : null;
}

/** What an identifier, an address or a number is made of (full-width forms too); a name in Chinese characters joins nothing. */
const pieceOfValue = /[0-9A-Za-z@:+\uff01-\uff5e]|\p{Nd}/u;

const markupInValue = /<|&#0*60;|&#x0*3c;/i;

/** The end of a declaration at `lt` (`<!DOCTYPE r [ <!ENTITY e "…"> ]>`): past its `>`, skipping an internal subset; -1 when it is not closed. */
function declarationEnd(src: Buffer, lt: number, to: number): number {
  let depth = 0;
  let quote = 0;
  for (let i = lt + 2; i < to; i++) {
    const c = src[i]!;
    if (quote !== 0) {
      if (c === quote) quote = 0;
    } else if (c === 60 && src[i + 1] === 63) i = find(src, piClose, i + 2, to) + 1;
    else if (c === 60 && startsWith(src, i, to, commentOpen)) i = find(src, commentClose, i + commentOpen.length, to) + 2;
    // Quotes and brackets in a comment or processing instruction of the subset are no syntax: read
    // as such, `<!-- it's -->` ran the declaration to the end and the body became free text.
    else if (c === 34 || c === 39) quote = c;
    else if (c === 91) depth++;
    else if (c === 93) depth = Math.max(0, depth - 1);
    else if (c === 62 && depth === 0) return i + 1;
  }
  return -1;
}

export function walkXml(ctx: ScanContext, src: Buffer, from: number, to: number, root: string, maxDepth: number): void {
  new XmlWalker(ctx, root, maxDepth).walk(src, from, to);
}
