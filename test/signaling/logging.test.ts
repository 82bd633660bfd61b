import { describe, expect, it } from 'vitest';
import type { Logger } from '../../signaling/logger.js';
import { useSignaling } from '../helpers/signaling.js';

interface Line {
  level: string;
  fields: Record<string, unknown>;
  message: string | undefined;
}

/** A logger that keeps every line with its bindings, and counts the child loggers made. */
function recordingLogger() {
  const lines: Line[] = [];
  let children = 0;
  const make = (bindings: Record<string, unknown>): Logger => {
    const at =
      (level: string) =>
      (fields: object, message?: string): void => {
        lines.push({ level, fields: { ...bindings, ...fields }, message });
      };
    return {
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      child: (more) => {
        children++;
        return make({ ...bindings, ...more });
      },
    };
  };
  return { logger: make({}), lines, children: () => children };
}

/** The first line with `message` for which `where` holds, once there is one (polled). */
async function lineWith(lines: Line[], message: string, where: (line: Line) => boolean) {
  const find = () => lines.find((l) => l.message === message && where(l));
  await expect.poll(find, { message: `a "${message}" line` }).toBeDefined();
  return find() as Line;
}

describe('connection logs', () => {
  const { start, connect } = useSignaling();

  it("name the connection and its peer on each line, through the node's logger (no child per connection)", async () => {
    const { logger, lines, children } = recordingLogger();
    const server = await start({ logger, nodeId: 'log-node' });
    const clients = await Promise.all([connect(server), connect(server), connect(server)]);
    const welcomes = [];
    for (const client of clients) welcomes.push(await client.join('r'));

    const joined = welcomes.map((welcome) =>
      lines.find((l) => l.message === 'joined' && l.fields.peer === welcome.peerId),
    );
    for (const line of joined) {
      expect(line?.fields).toMatchObject({ node: 'log-node', conn: expect.any(String), room: 'r' });
    }
    expect(new Set(joined.map((line) => line?.fields.conn)).size).toBe(3);
    // The server's own logger, once; none per connection.
    expect(children()).toBe(1);

    const [a] = clients;
    const [welcomeA] = welcomes;
    a?.send('not json');
    const invalid = await lineWith(lines, 'invalid frame', () => true);
    expect(invalid.fields).toMatchObject({
      node: 'log-node',
      conn: joined[0]?.fields.conn,
      peer: welcomeA?.peerId,
      code: 'BAD_JSON',
    });
    await a?.close();
    const closed = await lineWith(lines, 'closed', (l) => l.fields.peer === welcomeA?.peerId);
    expect(closed.fields).toMatchObject({ conn: joined[0]?.fields.conn, ending: 'client' });
  });
});
