import { describe, expect, it } from 'vitest';
import { badgeFor } from '../../demo/badges.js';
import type { PeerStats } from '../../sdk/index.js';
import { relayStats } from '../../sdk/link/direct/stats.js';

function stats(change: Partial<PeerStats>): PeerStats {
  return {
    timestamp: 0,
    transport: 'webrtc',
    pairType: 'host',
    path: 'host',
    localCandidateType: 'host',
    remoteCandidateType: 'host',
    relayProtocol: undefined,
    rttMs: 3.4,
    bitrateInKbps: 1250,
    bitrateOutKbps: 980,
    bytesReceived: 0,
    bytesSent: 0,
    inbound: {},
    outbound: {},
    ...change,
  };
}

describe('connection badge', () => {
  it('says direct for host and server-reflexive paths, TURN for relayed ones, with the RTT', () => {
    expect(badgeFor('connected', stats({ pairType: 'host' }))).toEqual({
      kind: 'direct',
      text: 'Direct · 3 ms',
      title: 'Direct connection, on the local network — ↓ 1.3 Mbit/s, ↑ 980 kbit/s',
    });
    expect(badgeFor('connected', stats({ pairType: 'srflx', rttMs: 41 }))).toMatchObject({
      kind: 'direct',
      text: 'Direct · 41 ms',
      title: expect.stringMatching(/^Direct connection, through NAT/),
    });
    expect(badgeFor('connected', stats({ pairType: 'turn', rttMs: 12 }))).toMatchObject({
      kind: 'turn',
      text: 'TURN · 12 ms',
    });
    expect(badgeFor('connected', stats({ rttMs: undefined, bitrateInKbps: undefined }))).toEqual({
      kind: 'direct',
      text: 'Direct',
      title: 'Direct connection, on the local network',
    });
  });

  it('says relay while the server relays the peer (whatever the direct connection does)', () => {
    expect(badgeFor('connected', relayStats())).toMatchObject({ kind: 'relay', text: 'Relay' });
    expect(badgeFor('reconnecting', relayStats()).kind).toBe('relay');
  });

  it('says connecting until a path is known, and unreachable once the connection failed', () => {
    expect(badgeFor('connecting', undefined)).toMatchObject({
      kind: 'connecting',
      text: 'Connecting…',
    });
    expect(badgeFor('connected', undefined).kind).toBe('connecting');
    expect(badgeFor('connected', stats({ pairType: 'unknown' })).kind).toBe('connecting');
    expect(badgeFor('reconnecting', stats({}))).toMatchObject({
      kind: 'connecting',
      text: 'Reconnecting…',
    });
    expect(badgeFor('failed', stats({}))).toMatchObject({
      kind: 'unreachable',
      text: 'Unreachable',
    });
  });
});
