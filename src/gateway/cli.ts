/** `xborder serve` and `xborder token`. */
import { loadSettings, trustsDevIssuer, unknownVariables } from '../config.ts';
import { zones } from '../domain.ts';
import { parseOptions, usage, UsageError, type Command } from '../shared/cli-support.ts';
import { loadDevIssuerKey, mintDevToken, mintRequestSchema, parseTtl, roles } from './dev-issuer.ts';
import { serve } from './serve.ts';

const serveCommand: Command = {
  summary: 'run the gateway (settings: xborder.yaml, XBORDER_* env; default port 8080)',
  usage: usage('[--config FILE] [--port N] [--host ADDR] [--policies DIR] [--data-dir DIR]', [
    ['--config FILE', 'the settings file; default: $XBORDER_CONFIG, else ./xborder.yaml when present'],
    ['--port N', 'the port to listen on (0: any free one); default: the settings, else 8080'],
    ['--host ADDR', 'the address to listen on; default: the settings, else 0.0.0.0'],
    ['--policies DIR', 'the folder holding policies/ and negative-list/, or policies/ itself; default: the settings, else the policies shipped with xborder'],
    ['--data-dir DIR', "the node's data folder (audit database, keys); default: the settings, else ./data"],
  ]),
  async run(argv, io) {
    const { values } = parseOptions(argv, {
      config: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      policies: { type: 'string' },
      'data-dir': { type: 'string' },
    }, false);
    const overrides = {
      ...(values.port !== undefined ? { port: values.port } : {}),
      ...(values.host !== undefined ? { host: values.host } : {}),
      ...(values.policies !== undefined ? { policies: values.policies } : {}),
      ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] } : {}),
    };
    const settings = loadSettings({ cwd: io.cwd, env: io.env, overrides, ...(values.config ? { file: values.config } : {}) });
    for (const name of unknownVariables(io.env)) io.stderr(`xborder: warning: ${name} is not a setting and is ignored (the settings and their variables: README, Settings)\n`);
    const serving = await serve({ settings, env: io.env });
    io.stderr(`xborder: gateway listening on ${serving.url} (node ${settings.nodeId}, policy ${serving.gateway.context.policies.current().version.slice(0, 12)})\n`);
    await serving.stopped;
    return 0;
  },
};

const tokenCommand: Command = {
  summary: 'mint a development token: --role enterprise|regulator|admin --sub ID [--zones a,b] [--ttl 1h]',
  usage: usage(`--role ${roles.join('|')} --sub ID [--zones Z,...] [--ttl DURATION] [--config FILE]`, [
    ['--role ROLE', `who the token speaks for: ${roles.join(', ')}; required`],
    ['--sub ID', "the subject: an enterprise's USCC, or a regulator or admin name; required"],
    ['--zones Z,...', `the zones a regulator may see (required for regulator): ${zones.join(', ')}; default: none`],
    ['--ttl DURATION', 'how long the token is valid: N with s, m, h or d, at most 366d; default: 1h'],
    ['--config FILE', 'the settings file (data folder holding the development key, audience); default: $XBORDER_CONFIG, else ./xborder.yaml when present'],
  ]),
  async run(argv, io) {
    const { values } = parseOptions(argv, {
      role: { type: 'string' },
      sub: { type: 'string' },
      zones: { type: 'string' },
      ttl: { type: 'string', default: '1h' },
      config: { type: 'string' },
    }, false);
    if (!values.role || !(roles as readonly string[]).includes(values.role)) throw new UsageError(`--role must be one of ${roles.join(', ')}`);
    if (!values.sub) throw new UsageError('--sub is required (an enterprise USCC, or a regulator / admin name)');
    const tokenZones = values.zones?.split(',').map((zone) => zone.trim()).filter(Boolean);
    for (const zone of tokenZones ?? []) {
      if (!(zones as readonly string[]).includes(zone)) throw new UsageError(`unknown zone "${zone}" (${zones.join(', ')})`);
    }
    if (values.role === 'regulator' && !tokenZones?.length) throw new UsageError('a regulator token needs --zones');
    let ttlSeconds: number;
    try {
      ttlSeconds = parseTtl(values.ttl ?? '1h');
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    // mintDevToken's own bounds (a TTL of at most 366 days, a sub of at most 64 characters) would
    // otherwise surface as a ZodError stack trace after the key was loaded.
    const request = mintRequestSchema.safeParse({ role: values.role, sub: values.sub, ...(tokenZones ? { zones: tokenZones } : {}), ttlSeconds });
    if (!request.success) {
      const issue = request.error.issues[0]!;
      const option = ({ ttlSeconds: 'ttl', sub: 'sub', zones: 'zones' } as const)[String(issue.path[0]) as 'ttlSeconds' | 'sub' | 'zones'] ?? 'role';
      throw new UsageError(`--${option} ${values[option]}: ${issue.message}`);
    }
    const settings = loadSettings({ cwd: io.cwd, env: io.env, ...(values.config ? { file: values.config } : {}) });
    if (!trustsDevIssuer(settings)) io.stderr('xborder: note: this gateway is configured for an operator issuer and does not trust development tokens\n');
    const key = await loadDevIssuerKey(settings.dataDir);
    if (!key) throw new UsageError('no development key');
    const token = await mintDevToken(key, { ...request.data, audience: settings.token.audience });
    io.stdout(`${token}\n`);
    return 0;
  },
};

export const gatewayCommands: Record<string, Command> = {
  serve: serveCommand,
  token: tokenCommand,
};
