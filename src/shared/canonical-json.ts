/**
 * RFC 8785 JSON Canonicalization Scheme for the values xborder hashes (audit records, policy
 * content). ECMAScript's own number and string serialisation is what RFC 8785 specifies, so
 * only key order (UTF-16 code units) and the refusal of non-JSON values are added here.
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} is not representable in JSON`);
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      // Array.from visits holes too (map skips them): a hole is null, as in JSON.stringify.
      if (Array.isArray(value)) return `[${Array.from(value, (item) => canonicalJson(item === undefined ? null : item)).join(',')}]`;
      if (value instanceof Date) return JSON.stringify(value.toISOString());
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonicalJson: a ${typeof value} is not representable in JSON`);
  }
}
