import type { Command } from '../shared/cli-support.ts';

export const gatewayCommands: Record<string, Command> = {};
