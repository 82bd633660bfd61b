import { setFlagsFromString } from 'node:v8';

/**
 * The V8 flags a signaling server process should run with (the `peerlane` command sets
 * them for itself):
 *
 * - `--no-allocation-site-pretenuring`: V8 watches where objects are made, and when
 *   nearly every object made at one place in the code survives a young-generation GC, it
 *   makes that place's objects in the old generation from then on, for good. A burst of
 *   connections (the server starting, every client reconnecting at once) is such a
 *   moment: the same places in `ws` and Node's streams then make each message's
 *   short-lived objects, which now start old, keep the young objects they point to alive
 *   through young GCs, and are only freed by full GCs. Measured on a signaling server at a
 *   steady 5,000 signals/s: 0.3–1.3 MB promoted at every young GC and a full GC every
 *   1–2 s with pretenuring; nothing promoted and no full GC without it (README,
 *   "Signaling server").
 */
export const SERVER_V8_FLAGS: readonly string[] = ['--no-allocation-site-pretenuring'];

/**
 * The flags of {@link SERVER_V8_FLAGS} that Node was not already given, in either sense, on
 * its command line: an operator's explicit `node --allocation-site-pretenuring …` wins.
 * (Node does not accept these flags in `NODE_OPTIONS`.)
 */
export function serverV8FlagsToSet(execArgv: readonly string[] = process.execArgv): string[] {
  const given = execArgv.map(flagName);
  return SERVER_V8_FLAGS.filter((flag) => !given.includes(flagName(flag)));
}

/**
 * Sets {@link SERVER_V8_FLAGS} in this process (those not given already, see
 * {@link serverV8FlagsToSet}), and answers which it set. Call it first thing, before the
 * server accepts connections: V8 decides about places in the code as they run. The
 * `peerlane` command does; an application that embeds `createSignalingServer` may, for
 * the whole process, or start Node with the flags instead.
 */
export function applyServerV8Flags(): string[] {
  const flags = serverV8FlagsToSet();
  for (const flag of flags) setFlagsFromString(flag);
  return flags;
}

/** `--no-foo`, `--foo` and `--foo=x` (and `_` for `-`) all name `foo`. */
function flagName(flag: string): string {
  return flag
    .replace(/^--(no-)?/, '')
    .replace(/=.*$/, '')
    .replaceAll('_', '-');
}
