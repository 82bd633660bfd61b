/**
 * The bed's cells: one network situation each, and the path the SDK must end up on there.
 * Tests (`connectivity.netbed.test.ts`) and the benchmark (`npm run bench connectivity`)
 * run the same table.
 */
import type { RouterPolicy } from '../topology/firewall.js';

/** What `peer.transport` and `peer.getStats()` must say in a cell. */
export interface ExpectedPath {
  transport: 'direct' | 'turn' | 'relay';
  /** `getStats().pairType`; for `relay` the stats say `transport: 'relay'` instead. */
  pairType?: 'host' | 'srflx' | 'turn';
  /** For `turn`: how the client reaches coturn. */
  relayProtocol?: 'udp' | 'tcp';
}

/** One cell. */
export interface Cell {
  id: string;
  /** One line for test names and the table. */
  title: string;
  /** Both routers' policy. */
  policy: RouterPolicy;
  /** Which Peerlane server the pages come from: one that issues coturn credentials, or one without TURN. */
  server: 'turn' | 'plain';
  /** Routers let out only TCP to the Peerlane server's port (nothing else, coturn included). @default false */
  onlySignaling?: boolean;
  /** The app passes `iceServers: [stun:server]` itself (the plain server sends none). @default false */
  appStun?: boolean;
  /** The path once connected. */
  expect: ExpectedPath;
  /** All UDP dies at both routers at 30 % of a large file; then the path must become this. */
  udpDiesMidTransfer?: ExpectedPath;
  /**
   * Both publish the fake camera and microphone: on both sides the tile must render video
   * frames and the audio track deliver samples (through WebRTC or the relay).
   */
  call?: 'frames';
  /**
   * With `call`: all UDP dies at both routers mid-call; then the path must become this, and
   * the receiver's tile must render new frames again (its longest gap is measured).
   */
  udpDiesMidCall?: ExpectedPath;
}

export const CELLS: readonly Cell[] = [
  {
    id: 'lan',
    title: 'open LAN (no NAT), no ICE servers',
    policy: { kind: 'open' },
    server: 'plain',
    expect: { transport: 'direct', pairType: 'host' },
  },
  {
    id: 'cone-stun',
    title: 'cone NATs + STUN',
    policy: { kind: 'cone' },
    server: 'plain',
    appStun: true,
    expect: { transport: 'direct', pairType: 'srflx' },
    call: 'frames',
  },
  {
    id: 'symmetric-turn-udp',
    title: 'symmetric NATs + TURN (server-issued)',
    policy: { kind: 'symmetric' },
    server: 'turn',
    expect: { transport: 'turn', pairType: 'turn', relayProtocol: 'udp' },
  },
  {
    id: 'udp-blocked-turn-tcp',
    title: 'UDP blocked + TURN over TCP',
    policy: { kind: 'cone', blockUdp: true },
    server: 'turn',
    expect: { transport: 'turn', pairType: 'turn', relayProtocol: 'tcp' },
  },
  {
    id: 'udp-blocked-no-turn',
    title: 'UDP blocked, STUN only (no TURN)',
    policy: { kind: 'cone', blockUdp: true },
    server: 'plain',
    appStun: true,
    expect: { transport: 'relay' },
  },
  {
    id: 'signaling-only',
    title: "only the signaling server's TCP port reachable (TURN offered)",
    policy: { kind: 'cone' },
    server: 'turn',
    onlySignaling: true,
    expect: { transport: 'relay' },
    call: 'frames',
  },
  {
    id: 'udp-dies-turn-tcp',
    title: 'cone NATs, UDP dies mid-transfer, TURN/tcp available',
    policy: { kind: 'cone' },
    server: 'turn',
    expect: { transport: 'direct', pairType: 'srflx' },
    udpDiesMidTransfer: { transport: 'turn', pairType: 'turn', relayProtocol: 'tcp' },
  },
  {
    id: 'udp-dies-no-turn',
    title: 'cone NATs + STUN, UDP dies mid-transfer, no TURN',
    policy: { kind: 'cone' },
    server: 'plain',
    appStun: true,
    expect: { transport: 'direct', pairType: 'srflx' },
    udpDiesMidTransfer: { transport: 'relay' },
  },
  {
    id: 'call-udp-dies-turn-tcp',
    title: 'cone NATs, a call, UDP dies mid-call, TURN/tcp available',
    policy: { kind: 'cone' },
    server: 'turn',
    expect: { transport: 'direct', pairType: 'srflx' },
    call: 'frames',
    udpDiesMidCall: { transport: 'turn', pairType: 'turn', relayProtocol: 'tcp' },
  },
  {
    id: 'call-udp-dies-no-turn',
    title: 'cone NATs + STUN, a call, UDP dies mid-call, no TURN',
    policy: { kind: 'cone' },
    server: 'plain',
    appStun: true,
    expect: { transport: 'direct', pairType: 'srflx' },
    call: 'frames',
    udpDiesMidCall: { transport: 'relay' },
  },
];
