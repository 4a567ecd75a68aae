import type { Command } from '../shared/cli-support.ts';

export const policyCommands: Record<string, Command> = {};
