/**
 * People as they cross to the SQLite writer thread: every identifier in one string, cut by
 * lengths. postMessage copies a flat string and two typed arrays as memory; the same people as
 * objects (a 64 KB body's 569 people are some 2,300 objects and strings, with detect's categories
 * the writer never reads) are walked one by one by the serializer on the gateway's event loop
 * and again by the deserializer in the thread.
 */
import type { PersonIdentifiers, ReservePeopleInput } from './types.ts';
import type { WriterOp } from './writer.ts';

export interface PackedPeople {
  /** Every identifier of every person, one after another. */
  identifiers: string;
  /** The UTF-16 length of each identifier, in order. */
  lengths: Uint32Array;
  /** Per person: its identifier count × 2, plus 1 when it is sensitive. */
  people: Uint32Array;
}

export function packPeople(people: readonly PersonIdentifiers[]): PackedPeople {
  let count = 0;
  for (const person of people) count += person.identifiers.length;
  const lengths = new Uint32Array(count);
  const shapes = new Uint32Array(people.length);
  let identifiers = '';
  let next = 0;
  for (let i = 0; i < people.length; i++) {
    const person = people[i]!;
    shapes[i] = person.identifiers.length * 2 + (person.sensitive ? 1 : 0);
    for (const identifier of person.identifiers) {
      lengths[next++] = identifier.length;
      identifiers += identifier;
    }
  }
  return { identifiers, lengths, people: shapes };
}

export function unpackPeople({ identifiers, lengths, people }: PackedPeople): PersonIdentifiers[] {
  const out: PersonIdentifiers[] = new Array(people.length);
  let offset = 0;
  let next = 0;
  for (let i = 0; i < people.length; i++) {
    const shape = people[i]!;
    const own = new Array<string>(shape >>> 1);
    for (let j = 0; j < own.length; j++) {
      const length = lengths[next++]!;
      own[j] = identifiers.slice(offset, offset + length);
      offset += length;
    }
    out[i] = { identifiers: own, sensitive: (shape & 1) === 1 };
  }
  return out;
}

/** A writer op as it crosses to the thread: a reservation's people packed. */
export type WireOp = Exclude<WriterOp, { op: 'reserve-people' }> | { op: 'reserve-packed'; input: Omit<ReservePeopleInput, 'people'> & { people: PackedPeople } };

export function toWireOp(op: WriterOp): WireOp {
  if (op.op !== 'reserve-people') return op;
  const { people, ...input } = op.input;
  return { op: 'reserve-packed', input: { ...input, people: packPeople(people) } };
}

export function fromWireOp(op: WireOp): WriterOp {
  if (op.op !== 'reserve-packed') return op;
  const { people, ...input } = op.input;
  return { op: 'reserve-people', input: { ...input, people: unpackPeople(people) } };
}
