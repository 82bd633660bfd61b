import { describe, expect, it } from 'vitest';
import { type StatusInput, statusFor } from '../../demo/badges.js';
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

const base: StatusInput = {
  name: 'Bob',
  state: 'connected',
  stats: stats({}),
  presence: 'live',
  media: { state: 'available', route: 'direct' },
};
const noDirectPath = {
  state: 'unavailable',
  reason: 'NO_DIRECT_PATH',
  message: 'no direct connection could be made, and no relay carries audio and video',
} as const;
const status = (change: Partial<StatusInput>) => statusFor({ ...base, ...change });

describe('a person’s connection status', () => {
  it('says direct for host and server-reflexive paths, TURN for relayed ones, with the RTT', () => {
    expect(status({})).toEqual({ kind: 'direct', text: 'Direct · 3 ms', detail: '' });
    expect(status({ stats: stats({ pairType: 'srflx', rttMs: 41 }) })).toMatchObject({
      kind: 'direct',
      text: 'Direct · 41 ms',
    });
    expect(status({ stats: stats({ pairType: 'turn', rttMs: 12 }) })).toEqual({
      kind: 'turn',
      text: 'TURN · 12 ms',
      detail: '',
    });
    expect(status({ stats: stats({ rttMs: undefined }) }).text).toBe('Direct');
  });

  it('explains the relay on the tile itself: "Relay · via server", with what goes through it', () => {
    expect(status({ stats: relayStats(), media: { state: 'available', route: 'relay' } })).toEqual({
      kind: 'relay',
      text: 'Relay · via server',
      detail: 'No direct path: video, audio and chat go through the server (a little more delay)',
    });
    expect(status({ stats: relayStats(), media: noDirectPath })).toEqual({
      kind: 'relay',
      text: 'Relay · via server',
      detail: 'Through the server: chat and files only, no video',
    });
    const without = (reason: 'NO_WEBCODECS' | 'RELAY_MEDIA_OFF') =>
      status({ stats: relayStats(), media: { state: 'unavailable', reason, message: '' } }).detail;
    expect(without('NO_WEBCODECS')).toBe(
      'Through the server: chat and files only — a browser here cannot relay video',
    );
    expect(without('RELAY_MEDIA_OFF')).toBe(
      'Through the server: chat and files only — this server relays no video',
    );
    // The first seconds: chat already on the relay while the direct connection is made.
    expect(status({ stats: relayStats(), media: { state: 'connecting' } })).toMatchObject({
      kind: 'connecting',
      text: 'Connecting…',
    });
  });

  it('says "Connection lost — waiting for Bob" when the connection breaks or Bob goes silent', () => {
    const lost = {
      kind: 'lost',
      text: 'Connection lost',
      detail: 'Connection lost — waiting for Bob',
    };
    expect(status({ state: 'reconnecting' })).toEqual(lost);
    // Silent on the relay: the relay looks healthy, the silence says otherwise.
    expect(status({ stats: relayStats(), presence: 'lost' })).toEqual(lost);
    expect(status({ presence: 'gone' })).toEqual(lost);
  });

  it('says connecting until a path is known, and unreachable once the connection failed', () => {
    expect(status({ state: 'connecting', stats: undefined })).toMatchObject({
      kind: 'connecting',
      text: 'Connecting…',
    });
    expect(status({ stats: undefined }).kind).toBe('connecting');
    expect(status({ stats: stats({ pairType: 'unknown' }) }).kind).toBe('connecting');
    expect(status({ state: 'failed', presence: 'lost' })).toEqual({
      kind: 'unreachable',
      text: 'Unreachable',
      detail: "Can't reach Bob: no path between your networks",
    });
  });

  it('says that the links differ, not that the networks do, when Bob was refused for his key', () => {
    // E2EE_MISMATCH: one opened the call's link without its secret, or with another.
    expect(status({ state: 'failed', refused: true })).toEqual({
      kind: 'unreachable',
      text: 'Unreachable',
      detail:
        "Can't connect to Bob safely: your links to this call have different encryption keys. Open the same link as the others",
    });
  });
});
