import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { environmentSettings } from '../src/config.ts';
import { errorCodes } from '../src/errors.ts';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

// The README is the operator's and the enterprise's reference (CLARIFICATIONS 18): it must not drift from the code.
describe('README', () => {
  it.each(Object.entries(errorCodes))('lists %s with its HTTP status and whether it is audited', (code, { status, audited }) => {
    expect(readme).toContain(`| \`${code}\` | ${status} | ${audited ? 'yes' : 'no'} |`);
  });

  it.each(Object.keys(environmentSettings))('documents the setting %s', (variable) => {
    expect(readme).toContain(`\`${variable}\``);
  });
});
