/**
 * The test bed's network: a server host, two NAT routers and a client behind each, every
 * one a network namespace of its own, wired with veth pairs built straight into them. The
 * machine's own namespace gets no interface, route, rule or sysctl.
 *
 * ```
 *  client-a ── lan [router-a] wan ─┐                ┌─ wan [router-b] lan ── client-b
 *  10.99.1.2     10.99.1.1  10.99.0.2 └─ br0 [server] ─┘ 10.99.0.3  10.99.2.1    10.99.2.2
 *                                        10.99.0.1
 * ```
 * The server host's bridge plays the internet: the routers meet there, and the server
 * (Peerlane, coturn) listens on 10.99.0.1.
 */
import { DROP_UDP, type RouterPolicy, routerRules } from './firewall.js';
import { addNamespace, bedStem, removeNamespaces, sweepStaleNamespaces } from './namespaces.js';
import { type LinkShape, shapeRouter } from './shaping.js';
import { inNamespace, run } from './shell.js';

/** The bed's fixed addresses (namespaces are private, so every bed may use the same). */
export const ADDRESSES = {
  server: '10.99.0.1',
  routerA: { wan: '10.99.0.2', lan: '10.99.1.1' },
  routerB: { wan: '10.99.0.3', lan: '10.99.2.1' },
  clientA: '10.99.1.2',
  clientB: '10.99.2.2',
} as const;

/** The namespaces of a bed, by role. */
export interface BedNamespaces {
  server: string;
  routerA: string;
  routerB: string;
  clientA: string;
  clientB: string;
}

/** A built bed. */
export interface Bed {
  readonly ns: BedNamespaces;
  /** Sets both routers to `policy` from scratch, and adds or removes the routes between the LANs. */
  setPolicy(policy: RouterPolicy): Promise<void>;
  /** Drops every forwarded UDP packet at both routers from now on (a path dying mid-transfer). */
  dropUdp(): Promise<void>;
  /** Shapes both routers' links (`shaping.ts`); `undefined` takes the shape off again. */
  shape(shape: LinkShape | undefined): Promise<void>;
  /** Kills every process in the bed's namespaces and deletes them. Idempotent, never throws. */
  remove(): void;
}

/** Builds a bed (after sweeping beds left by killed runs). Removed again if building fails. */
export async function buildBed(): Promise<Bed> {
  await sweepStaleNamespaces();
  const stem = bedStem();
  const ns: BedNamespaces = {
    server: `${stem}-srv`,
    routerA: `${stem}-ra`,
    routerB: `${stem}-rb`,
    clientA: `${stem}-ca`,
    clientB: `${stem}-cb`,
  };
  const all = Object.values(ns);
  try {
    for (const name of all) await addNamespace(name);
    await wire(ns);
  } catch (error) {
    removeNamespaces(all);
    throw error;
  }
  let lanRoutes = false;
  const iptables = (name: string, args: readonly string[]) => inNamespace(name, 'iptables', args);
  const routes = async (want: boolean) => {
    if (want === lanRoutes) return;
    const verb = want ? 'add' : 'del';
    const { routerA, routerB } = ADDRESSES;
    await Promise.all([
      run('ip', ['-n', ns.routerA, 'route', verb, '10.99.2.0/24', 'via', routerB.wan]),
      run('ip', ['-n', ns.routerB, 'route', verb, '10.99.1.0/24', 'via', routerA.wan]),
      run('ip', ['-n', ns.server, 'route', verb, '10.99.1.0/24', 'via', routerA.wan]),
      run('ip', ['-n', ns.server, 'route', verb, '10.99.2.0/24', 'via', routerB.wan]),
    ]);
    lanRoutes = want;
  };
  return {
    ns,
    async setPolicy(policy) {
      for (const router of [ns.routerA, ns.routerB]) {
        for (const rule of routerRules(policy)) await iptables(router, rule);
      }
      await routes(policy.kind === 'open');
    },
    async dropUdp() {
      await Promise.all([iptables(ns.routerA, DROP_UDP), iptables(ns.routerB, DROP_UDP)]);
    },
    async shape(shape) {
      await Promise.all([shapeRouter(ns.routerA, shape), shapeRouter(ns.routerB, shape)]);
    },
    remove: () => removeNamespaces(all),
  };
}

async function wire(ns: BedNamespaces): Promise<void> {
  const ip = (...args: string[]) => run('ip', args);
  const { server, routerA, routerB, clientA, clientB } = ADDRESSES;
  // The server host: a bridge with the server's address, one port per router.
  await ip('-n', ns.server, 'link', 'add', 'br0', 'type', 'bridge');
  await ip('-n', ns.server, 'addr', 'add', `${server}/24`, 'dev', 'br0');
  await ip('-n', ns.server, 'link', 'set', 'br0', 'up');
  // Like the internet for private addresses: packets to them vanish without an error. With
  // no route at all coturn's relay socket gets ENETUNREACH (a blackhole route: EINVAL) when
  // it relays a check toward a peer's host candidate, and that allocation relays nothing
  // more. A default route onto the bridge sends them nowhere (no neighbour answers) instead.
  await ip('-n', ns.server, 'route', 'add', 'default', 'dev', 'br0');
  const sides = [
    { port: 'to-a', router: ns.routerA, client: ns.clientA, r: routerA, c: clientA },
    { port: 'to-b', router: ns.routerB, client: ns.clientB, r: routerB, c: clientB },
  ];
  for (const { port, router, client, r, c } of sides) {
    await ip('-n', ns.server, 'link', 'add', port, 'type', 'veth', 'peer', 'wan', 'netns', router);
    await ip('-n', ns.server, 'link', 'set', port, 'master', 'br0', 'up');
    await ip('-n', router, 'addr', 'add', `${r.wan}/24`, 'dev', 'wan');
    await ip('-n', router, 'link', 'set', 'wan', 'up');
    await ip('-n', router, 'link', 'add', 'lan', 'type', 'veth', 'peer', 'eth0', 'netns', client);
    await ip('-n', router, 'addr', 'add', `${r.lan}/24`, 'dev', 'lan');
    await ip('-n', router, 'link', 'set', 'lan', 'up');
    await inNamespace(router, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
    await ip('-n', client, 'addr', 'add', `${c}/24`, 'dev', 'eth0');
    await ip('-n', client, 'link', 'set', 'eth0', 'up');
    await ip('-n', client, 'route', 'add', 'default', 'via', r.lan);
  }
}
