import { parseArgs } from 'node:util';
import { createRoomToken, parseDuration } from './tokens.js';

export const TOKEN_HELP = `Usage: peerlane token --room <name|prefix*> [options]

Prints an HS256 room token for a server started with PEERLANE_AUTH_SECRET.

  --room <name>        room name, or a prefix ending in * (required)
  --ttl <duration>     lifetime: 90s, 15m, 1h, 7d (default 1h)
  --sub <identity>     who the holder is, shown to other peers
  --no-publish         may not send audio/video
  --no-relay           may not use the relay
  --no-broadcast       may not broadcast to the room
  --max-peers <n>      may only join rooms with fewer peers than this
  --issuer <iss>       iss claim      --audience <aud>   aud claim
  --secret <secret>    the server's secret (default: PEERLANE_AUTH_SECRET)
`;

/** `peerlane token …`: mints a room token for testing. Returns the process exit code. */
export async function runTokenCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: (text: string) => void,
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      room: { type: 'string' },
      ttl: { type: 'string', default: '1h' },
      sub: { type: 'string' },
      'no-publish': { type: 'boolean', default: false },
      'no-relay': { type: 'boolean', default: false },
      'no-broadcast': { type: 'boolean', default: false },
      'max-peers': { type: 'string' },
      issuer: { type: 'string' },
      audience: { type: 'string' },
      secret: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    out(TOKEN_HELP);
    return 0;
  }
  const secret = values.secret ?? env.PEERLANE_AUTH_SECRET;
  if (!values.room) throw new Error('token: --room is required');
  if (!secret) throw new Error('token: set PEERLANE_AUTH_SECRET or pass --secret');
  const maxPeers = values['max-peers'] === undefined ? undefined : Number(values['max-peers']);
  if (maxPeers !== undefined && !(Number.isInteger(maxPeers) && maxPeers > 0)) {
    throw new Error(`token: --max-peers must be a positive integer, got "${values['max-peers']}"`);
  }
  let ttlSeconds: number;
  try {
    ttlSeconds = parseDuration(values.ttl);
  } catch (error) {
    throw new Error(`token: --ttl: ${(error as Error).message}`);
  }
  const token = await createRoomToken({
    secret,
    room: values.room,
    ttlSeconds,
    perms: {
      publish: !values['no-publish'],
      relay: !values['no-relay'],
      broadcast: !values['no-broadcast'],
    },
    ...(values.sub === undefined ? {} : { sub: values.sub }),
    ...(maxPeers === undefined ? {} : { maxPeers }),
    ...(values.issuer === undefined ? {} : { issuer: values.issuer }),
    ...(values.audience === undefined ? {} : { audience: values.audience }),
  }).catch((error: unknown) => {
    // `options.room: …` from createRoomToken, said with the flag that set it.
    const message = error instanceof Error ? error.message : String(error);
    const match = /^options\.(\w+)(.*)$/s.exec(message);
    const flag =
      match?.[1] === 'maxPeers'
        ? 'max-peers'
        : match?.[1] === 'secret'
          ? 'secret / PEERLANE_AUTH_SECRET'
          : match?.[1];
    throw new Error(match ? `token: --${flag}${match[2]}` : `token: ${message}`);
  });
  out(`${token}\n`);
  return 0;
}
