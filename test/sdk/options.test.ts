import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { resolveSettings, SDK_DEFAULTS } from '../../sdk/options.js';

const root = join(import.meta.dirname, '..', '..');
const source = await readFile(join(root, 'sdk', 'options.ts'), 'utf8');
const readme = await readFile(join(root, 'README.md'), 'utf8');

/** Every default in SDK_DEFAULTS, flattened: `reconnect.factor` and so on. */
const defaults: [string, unknown][] = Object.entries(SDK_DEFAULTS).flatMap(([key, value]) =>
  typeof value === 'object'
    ? Object.entries(value).map(([inner, v]) => [`${key}.${inner}`, v] as [string, unknown])
    : [[key, value] as [string, unknown]],
);

/** How a default is spelled in a `@default` tag and in the README: 10000, 'auto', Infinity. */
const spell = (value: unknown) => (typeof value === 'string' ? `'${value}'` : String(value));

/** The `@default` tag of the option `name` in sdk/options.ts (the JSDoc right above it). */
function jsdocDefault(name: string): string | undefined {
  const at = source.search(new RegExp(`\\n\\s+${name}\\?:`));
  if (at < 0) return undefined;
  const before = source.slice(0, at);
  const doc = before.slice(before.lastIndexOf('/**'));
  return /@default (\S+)/.exec(doc)?.[1];
}

/** The README's "SDK options" row for `option`: its default cell. */
function readmeDefault(option: string): string | undefined {
  const row = readme.split('\n').find((line) => new RegExp(`^\\| \`${option}\` +\\|`).test(line));
  return row?.split('|')[2]?.trim().replace(/`/g, '');
}

describe('SDK defaults are written once', () => {
  it.each(defaults)('the JSDoc of %s says its default', (key, value) => {
    expect(jsdocDefault(key.split('.').at(-1) ?? key)).toBe(spell(value));
  });

  it.each(defaults)('the README says the default of %s', (key, value) => {
    expect(readmeDefault(key)).toBe(spell(value));
  });

  it('resolveSettings() applies exactly these defaults', () => {
    const settings = resolveSettings({
      url: 'ws://127.0.0.1:1/ws',
      room: 'r',
      transport: 'relay',
      WebSocket: WebSocket as never,
    });
    const { reconnect, ...flat } = SDK_DEFAULTS;
    expect(settings).toMatchObject({ ...flat, transport: 'relay' });
    expect(settings.reconnect).toEqual(reconnect);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '1048576'])(
    'refuses callFilePace %s with INVALID_ARGUMENT naming it',
    (value) => {
      const resolve = () =>
        resolveSettings({
          url: 'ws://127.0.0.1:1/ws',
          room: 'r',
          WebSocket: WebSocket as never,
          callFilePace: value as number,
        });
      expect(resolve).toThrow(
        expect.objectContaining({
          code: 'INVALID_ARGUMENT',
          message: `options.callFilePace must be a positive integer (got ${String(value)})`,
        }),
      );
    },
  );
});

describe('times no timer can wait', () => {
  const base = {
    url: 'ws://127.0.0.1:1/ws',
    room: 'r',
    transport: 'relay' as const,
    WebSocket: WebSocket as never,
  };
  // Node and browsers run a longer setTimeout after 1 ms: a ping interval of 2^31 ms pinged
  // the server every millisecond (RATE_LIMITED), a grace period of 2^31 ms gave a peer up at once.
  it.each([
    'connectTimeoutMs',
    'pingIntervalMs',
    'pingTimeoutMs',
    'peerConnectTimeoutMs',
    'iceRestartDelayMs',
    'iceRestartTimeoutMs',
    'presenceGraceMs',
    'relayFallbackMs',
    'directRetryMs',
    'stallMs',
  ])('refuses %s over 2147483647 with INVALID_ARGUMENT naming it', (key) => {
    expect(resolveSettings({ ...base, [key]: 2 ** 31 - 1 })).toMatchObject({ [key]: 2 ** 31 - 1 });
    expect(() => resolveSettings({ ...base, [key]: 2 ** 31 })).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: `options.${key} must be at most 2147483647 ms, about 24.8 days (got 2147483648)`,
      }),
    );
  });

  it.each(['initialDelayMs', 'maxDelayMs'])('refuses reconnect.%s over 2147483647', (key) => {
    const reconnect = { initialDelayMs: 1, maxDelayMs: 2 ** 31 - 1, [key]: 2 ** 31 };
    expect(() => resolveSettings({ ...base, reconnect })).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: `options.reconnect.${key} is out of range (got 2147483648)`,
      }),
    );
  });
});
