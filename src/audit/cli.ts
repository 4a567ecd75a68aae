import type { Command } from '../shared/cli-support.ts';

export const auditCommands: Record<string, Command> = {};
