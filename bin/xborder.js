#!/usr/bin/env node
// Runs the TypeScript sources through tsx so that `npx xborder` works on a fresh clone
// right after `npm install`, with no build step to forget.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
