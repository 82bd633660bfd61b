import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { run } from './shell.js';

/** Tools the bed runs, by path (Debian's packages). */
const TOOLS = {
  ip: '/usr/sbin/ip',
  iptables: '/usr/sbin/iptables',
  turnserver: '/usr/bin/turnserver',
};

/**
 * Why no bed can be built here, or undefined when it can: the bed needs root, `ip`,
 * `iptables` and coturn, and the kernel must let this process make a network namespace
 * (checked by making and deleting one).
 */
export async function netbedUnavailable(): Promise<string | undefined> {
  if (process.platform !== 'linux')
    return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0)
    return 'network namespaces need root (run the tests as root, as .ci/run does)';
  for (const [tool, path] of Object.entries(TOOLS)) {
    if (!existsSync(path))
      return `${tool} is not installed at ${path} (apt-get install -y iproute2 iptables coturn)`;
  }
  const probe = `plnb-probe-${randomBytes(3).toString('hex')}`;
  try {
    await run('ip', ['netns', 'add', probe]);
  } catch (error) {
    return `cannot create a network namespace: ${(error as Error).message}`;
  }
  await run('ip', ['netns', 'del', probe]).catch(() => {});
  return undefined;
}
