import type { Command } from '../shared/cli-support.ts';

export const detectCommands: Record<string, Command> = {};
