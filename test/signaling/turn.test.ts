import { createHmac } from 'node:crypto';
import wrtc from '@roamhq/wrtc';
import { describe, expect, it } from 'vitest';
import type { IceServer } from '../../signaling/protocol.js';
import { turnCredentials } from '../../signaling/turn.js';
import { useSignaling } from '../helpers/signaling.js';
import { useTurn } from '../helpers/turn.js';

/** The protocol's ICE servers as the WebRTC API types them (no explicit undefineds). */
const rtc = (servers: IceServer[]): RTCIceServer[] => servers as RTCIceServer[];

interface Gathered {
  types: string[];
  errors: number[];
}

/** Gathers candidates with the given ICE servers and relay-only policy; reports what came. */
async function gather(iceServers: RTCIceServer[]): Promise<Gathered> {
  const pc = new wrtc.RTCPeerConnection({ iceServers, iceTransportPolicy: 'relay' });
  const found: Gathered = { types: [], errors: [] };
  pc.onicecandidateerror = (event) =>
    found.errors.push((event as RTCPeerConnectionIceErrorEvent).errorCode);
  const done = new Promise<void>((resolve) => {
    pc.onicecandidate = ({ candidate }) => {
      if (candidate) found.types.push(candidate.type ?? '?');
      else resolve();
    };
  });
  pc.createDataChannel('probe');
  await pc.setLocalDescription(await pc.createOffer());
  await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 5000))]);
  pc.close();
  return found;
}

/** Two relay-only peers with the given ICE servers: resolves with the message that crossed. */
async function relayedDataChannel(a: RTCIceServer[], b: RTCIceServer[]): Promise<string> {
  const pcA = new wrtc.RTCPeerConnection({ iceServers: a, iceTransportPolicy: 'relay' });
  const pcB = new wrtc.RTCPeerConnection({ iceServers: b, iceTransportPolicy: 'relay' });
  pcA.onicecandidate = ({ candidate }) => candidate && void pcB.addIceCandidate(candidate);
  pcB.onicecandidate = ({ candidate }) => candidate && void pcA.addIceCandidate(candidate);
  const received = new Promise<string>((resolve) => {
    pcB.ondatachannel = ({ channel }) => {
      channel.onmessage = ({ data }) => resolve(String(data));
    };
  });
  const channel = pcA.createDataChannel('t');
  channel.onopen = () => channel.send('through coturn');
  await pcA.setLocalDescription(await pcA.createOffer());
  await pcB.setRemoteDescription(pcA.localDescription as RTCSessionDescriptionInit);
  await pcB.setLocalDescription(await pcB.createAnswer());
  await pcA.setRemoteDescription(pcB.localDescription as RTCSessionDescriptionInit);
  try {
    return await Promise.race([
      received,
      new Promise<string>((_, reject) =>
        setTimeout(() => reject(new Error('no relayed channel in 10 s')), 10_000),
      ),
    ]);
  } finally {
    pcA.close();
    pcB.close();
  }
}

describe('turnCredentials', () => {
  it('follows the coturn REST convention', () => {
    const server = turnCredentials(
      { urls: ['turn:t:3478'], secret: 'sixteen-chars-ok', ttlSeconds: 60 },
      'peer',
      1_000_000,
    );
    expect(server.username).toBe('1060:peer');
    expect(server.credential).toBe(
      createHmac('sha1', 'sixteen-chars-ok').update('1060:peer').digest('base64'),
    );
    expect(server.urls).toEqual(['turn:t:3478']);
  });
});

describe('createSignalingServer', () => {
  const { start, connect } = useSignaling();
  const turn = useTurn();

  describe('turn', () => {
    it('hands each peer its own time-limited credentials after the configured ICE servers', async () => {
      const coturn = await turn.start();
      const stun = { urls: 'stun:127.0.0.1:3478' };
      const server = await start({
        iceServers: [stun],
        turn: { urls: [coturn.url], secret: coturn.secret, ttlSeconds: 600 },
      });
      const [a, b] = await Promise.all([connect(server), connect(server)]);
      const wa = await a.join('r');
      const wb = await b.join('r');
      expect(wa.iceServers[0]).toEqual(stun);
      const turnA = wa.iceServers[1];
      const turnB = wb.iceServers[1];
      expect(turnA?.username).toMatch(new RegExp(`^\\d+:${wa.peerId}$`));
      expect(turnB?.username).toMatch(new RegExp(`^\\d+:${wb.peerId}$`));
      const expiry = Number(turnA?.username?.split(':')[0]);
      expect(expiry - Date.now() / 1000).toBeGreaterThan(590);
      expect(expiry - Date.now() / 1000).toBeLessThanOrEqual(600);
    });

    it('issues credentials that a real coturn accepts for a relay-only data channel', async () => {
      const coturn = await turn.start();
      const server = await start({ turn: { urls: [coturn.url], secret: coturn.secret } });
      const [a, b] = await Promise.all([connect(server), connect(server)]);
      const wa = await a.join('r');
      const wb = await b.join('r');
      expect((await gather(rtc(wa.iceServers))).types).toContain('relay');
      expect(await relayedDataChannel(rtc(wa.iceServers), rtc(wb.iceServers))).toBe(
        'through coturn',
      );
    });

    it('issues credentials that coturn refuses once expired, or with the wrong secret', async () => {
      const coturn = await turn.start();
      const expired = turnCredentials(
        { urls: [coturn.url], secret: coturn.secret, ttlSeconds: 60 },
        'late',
        Date.now() - 3_600_000,
      );
      const expiredResult = await gather(rtc([expired]));
      expect(expiredResult.types).not.toContain('relay');
      expect(expiredResult.errors).toContain(401);
      const forged = turnCredentials(
        { urls: [coturn.url], secret: 'not-the-coturn-secret' },
        'forger',
      );
      expect((await gather(rtc([forged]))).types).not.toContain('relay');
    });

    it('validates its options', async () => {
      await expect(
        start({ turn: { urls: ['http://x'], secret: 'sixteen-chars-ok' } }),
      ).rejects.toThrow('options.turn.urls must be a non-empty list of turn: or turns: URLs');
      await expect(
        start({
          turn: { urls: ['turn:t.example.com:3478?transport=sctp'], secret: 'sixteen-chars-ok' },
        }),
      ).rejects.toThrow('(got "turn:t.example.com:3478?transport=sctp")');
      await expect(start({ turn: { urls: ['turn:x'], secret: 'short' } })).rejects.toThrow(
        'options.turn.secret must be at least 16 characters',
      );
    });
  });
});
