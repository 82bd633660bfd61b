/**
 * What a NAT router of the bed lets through, as iptables rules run inside the router's
 * own namespace (never the machine's). `wan` faces the server host, `lan` its client.
 */

/** How a router treats its client's traffic. */
export type RouterKind =
  /** Plain routing, no NAT, no filter: the two clients reach each other's own address. */
  | 'open'
  /** Address-preserving masquerade plus a stateful filter: STUN hole punching works. */
  | 'cone'
  /** `MASQUERADE --random-fully`: a new port per destination, so STUN alone never connects. */
  | 'symmetric';

/** A router's whole policy. */
export interface RouterPolicy {
  kind: RouterKind;
  /** Drop all forwarded UDP (both ways). @default false */
  blockUdp?: boolean;
  /** Let only TCP to this `address:port` out (and its answers in). @default everything out */
  onlyTcpTo?: { address: string; port: number };
}

/** `iptables` argument lists that set `policy` from scratch (flushing what was there). */
export function routerRules(policy: RouterPolicy): string[][] {
  const rules: string[][] = [
    ['-t', 'nat', '-F'],
    ['-F', 'FORWARD'],
    ['-F', 'INPUT'],
    ['-P', 'FORWARD', 'ACCEPT'],
  ];
  if (policy.blockUdp) rules.push(DROP_UDP);
  if (policy.kind !== 'open') {
    const masquerade = ['-t', 'nat', '-A', 'POSTROUTING', '-o', 'wan', '-j', 'MASQUERADE'];
    if (policy.kind === 'symmetric') masquerade.push('--random-fully');
    rules.push(masquerade);
    // Nothing unasked reaches the router itself either. Dropped here, an unsolicited packet
    // to the router's address leaves no conntrack entry behind; accepted, its entry would
    // take the very port tuple the client's own hole punching needs, and the client's
    // next packet out would get a fresh port (symmetric behaviour by accident).
    rules.push(['-A', 'INPUT', '-i', 'wan', '-m', 'conntrack', '--ctstate', 'NEW', '-j', 'DROP']);
    rules.push(
      ['-A', 'FORWARD', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'],
      ['-A', 'FORWARD', '-i', 'wan', '-j', 'DROP'],
    );
  }
  if (policy.onlyTcpTo) {
    const { address, port } = policy.onlyTcpTo;
    rules.push(
      ['-A', 'FORWARD', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'],
      [
        '-A',
        'FORWARD',
        '-i',
        'lan',
        '-p',
        'tcp',
        '-d',
        address,
        '--dport',
        String(port),
        '-j',
        'ACCEPT',
      ],
      ['-A', 'FORWARD', '-j', 'DROP'],
    );
  }
  return rules;
}

/** Inserted first in FORWARD: no UDP crosses the router, established flows included. */
export const DROP_UDP = ['-I', 'FORWARD', '1', '-p', 'udp', '-j', 'DROP'];
