import { describe, expect, it } from 'vitest';
import { StatsSampler, summarize } from '../../sdk/link/direct/stats.js';

type Report = Record<string, unknown> & { id: string; type: string; timestamp: number };

/** A getStats() report: a transport, its selected pair, the pair's two candidates. */
function report(options: {
  local: string;
  remote: string;
  at?: number;
  received?: number;
  sent?: number;
  relayProtocol?: string;
  extra?: Report[];
}): Map<string, Report> {
  const at = options.at ?? 1000;
  const reports: Report[] = [
    {
      id: 'T01',
      type: 'transport',
      timestamp: at,
      selectedCandidatePairId: 'CP1',
      bytesReceived: options.received ?? 0,
      bytesSent: options.sent ?? 0,
    },
    {
      id: 'CP1',
      type: 'candidate-pair',
      timestamp: at,
      localCandidateId: 'L1',
      remoteCandidateId: 'R1',
      currentRoundTripTime: 0.0123,
      nominated: true,
      state: 'succeeded',
    },
    { id: 'CP2', type: 'candidate-pair', timestamp: at, localCandidateId: 'L2', state: 'failed' },
    {
      id: 'L1',
      type: 'local-candidate',
      timestamp: at,
      candidateType: options.local,
      relayProtocol: options.relayProtocol,
    },
    { id: 'L2', type: 'local-candidate', timestamp: at, candidateType: 'relay' },
    { id: 'R1', type: 'remote-candidate', timestamp: at, candidateType: options.remote },
    ...(options.extra ?? []),
  ];
  return new Map(reports.map((r) => [r.id, r]));
}

describe('peer stats', () => {
  it('names the path of the selected pair: host, srflx (also an unplaced prflx) or turn', () => {
    expect(summarize(report({ local: 'host', remote: 'host' })).pairType).toBe('host');
    expect(summarize(report({ local: 'host', remote: 'srflx' })).pairType).toBe('srflx');
    expect(summarize(report({ local: 'prflx', remote: 'host' })).pairType).toBe('srflx');
    const relayed = summarize(report({ local: 'relay', remote: 'host', relayProtocol: 'tcp' }));
    expect(relayed).toMatchObject({
      pairType: 'turn',
      path: 'relay',
      relayProtocol: 'tcp',
      transport: 'webrtc',
    });
    expect(summarize(report({ local: 'host', remote: 'relay' })).pairType).toBe('turn');
  });

  it('takes each byte counter from the selected pair when the transport lacks it (Firefox)', () => {
    // Firefox: a transport report with the selected pair's id and no counters.
    const firefox = report({ local: 'host', remote: 'host' });
    const transport = firefox.get('T01');
    const pair = firefox.get('CP1');
    if (!transport || !pair) throw new Error('no transport or pair');
    delete transport.bytesReceived;
    delete transport.bytesSent;
    Object.assign(pair, { bytesReceived: 3577, bytesSent: 31_930 });
    expect(summarize(firefox)).toMatchObject({ bytesReceived: 3577, bytesSent: 31_930 });
    // Per field: a transport with only one counter still gives the other from the pair.
    transport.bytesSent = 40_000;
    expect(summarize(firefox)).toMatchObject({ bytesReceived: 3577, bytesSent: 40_000 });
  });

  it('gives bitrates from the pair counters in Firefox', async () => {
    const firefox = (at: number, received: number) => {
      const reports = report({ local: 'host', remote: 'host', at });
      const transport = reports.get('T01');
      if (transport) {
        delete transport.bytesReceived;
        delete transport.bytesSent;
      }
      Object.assign(reports.get('CP1') ?? {}, { bytesReceived: received, bytesSent: received / 2 });
      return reports;
    };
    const samples = [firefox(1000, 10_000), firefox(2000, 135_000)];
    const pc = { getStats: async () => samples.shift() } as unknown as RTCPeerConnection;
    const sampler = new StatsSampler(() => pc);
    await sampler.sample();
    // 125 000 bytes in 1 s = 1000 kbit/s in, half of it out
    expect(await sampler.sample()).toMatchObject({ bitrateInKbps: 1000, bitrateOutKbps: 500 });
  });

  it('classifies a peer-reflexive candidate by what it is: host, relay or NAT', () => {
    /** Puts the selected pair's remote end (a `prflx` candidate) at `address`:`port`. */
    const selected = (reports: ReturnType<typeof report>, address: string, port: number) => {
      Object.assign(reports.get('R1') ?? {}, { address, port, protocol: 'udp' });
      return summarize(reports);
    };
    // Firefox on loopback: the check outran the trickled host candidate, which came later.
    const loopback = report({ local: 'host', remote: 'prflx' });
    expect(selected(loopback, '127.0.0.1', 39192).pairType).toBe('host');
    // An address the peer never signaled: a NAT's mapping.
    expect(selected(report({ local: 'host', remote: 'prflx' }), '10.0.0.9', 1).pairType).toBe(
      'srflx',
    );
    // The peer signaled a LAN host candidate and a TURN relay.
    const withHost = report({
      local: 'host',
      remote: 'prflx',
      extra: [
        {
          id: 'H',
          type: 'remote-candidate',
          timestamp: 1,
          candidateType: 'host',
          address: '192.168.1.20',
          port: 5000,
          protocol: 'udp',
        },
        {
          id: 'T',
          type: 'remote-candidate',
          timestamp: 1,
          candidateType: 'relay',
          address: '203.0.113.7',
          port: 3478,
          protocol: 'udp',
        },
      ],
    });
    // The same address, port and protocol as the host candidate: that host.
    expect(selected(withHost, '192.168.1.20', 5000)).toMatchObject({
      path: 'host',
      remoteCandidateType: 'prflx', // as WebRTC names it
    });
    // Same address as a host candidate, another port (e.g. TCP's port 9): still the machine.
    expect(selected(withHost, '192.168.1.20', 6000).pairType).toBe('host');
    // The TURN server's relayed address: a relay.
    expect(selected(withHost, '203.0.113.7', 3478).pairType).toBe('turn');
    // An address the peer never signaled, not loopback: a NAT's mapping.
    expect(selected(withHost, '198.51.100.4', 40000).pairType).toBe('srflx');
    // IPv6 loopback and link-local are the machine's own.
    expect(selected(withHost, '::1', 1).pairType).toBe('host');
    expect(selected(withHost, 'fe80::1', 1).pairType).toBe('host');
  });

  it('says unknown before a pair is selected', () => {
    const none = summarize(new Map([['T01', { id: 'T01', type: 'transport', timestamp: 1 }]]));
    expect(none).toMatchObject({
      pairType: 'unknown',
      path: 'unknown',
      rttMs: undefined,
      bytesSent: 0,
    });
  });

  it('reads the RTT in ms and the RTP counters per kind', () => {
    const stats = summarize(
      report({
        local: 'host',
        remote: 'host',
        extra: [
          {
            id: 'IA',
            type: 'inbound-rtp',
            timestamp: 1,
            kind: 'audio',
            packetsReceived: 50,
            bytesReceived: 4000,
          },
          {
            id: 'IV',
            type: 'inbound-rtp',
            timestamp: 1,
            kind: 'video',
            packetsReceived: 90,
            packetsLost: 3,
            bytesReceived: 90_000,
            framesDecoded: 20,
            frameWidth: 640,
            frameHeight: 480,
          },
          {
            id: 'OV',
            type: 'outbound-rtp',
            timestamp: 1,
            kind: 'video',
            packetsSent: 80,
            bytesSent: 70_000,
            framesSent: 19,
          },
        ],
      }),
    );
    expect(stats.rttMs).toBe(12.3);
    expect(stats.inbound).toEqual({
      audio: {
        packets: 50,
        bytes: 4000,
        packetsLost: 0,
        frames: undefined,
        frameWidth: undefined,
        frameHeight: undefined,
      },
      video: {
        packets: 90,
        bytes: 90_000,
        packetsLost: 3,
        frames: 20,
        frameWidth: 640,
        frameHeight: 480,
      },
    });
    expect(stats.outbound.video).toMatchObject({ packets: 80, frames: 19, packetsLost: undefined });
    expect(stats.outbound.audio).toBeUndefined();
  });

  it('gives bitrates from the second sample on, over the time between samples', async () => {
    const samples = [
      report({ local: 'host', remote: 'host', at: 1000, received: 0, sent: 0 }),
      report({ local: 'host', remote: 'host', at: 3000, received: 250_000, sent: 125_000 }),
    ];
    const pc = { getStats: async () => samples.shift() } as unknown as RTCPeerConnection;
    const sampler = new StatsSampler(() => pc);
    expect(await sampler.sample()).toMatchObject({
      bitrateInKbps: undefined,
      bitrateOutKbps: undefined,
    });
    // 250 000 bytes in 2 s = 1000 kbit/s
    expect(await sampler.sample()).toMatchObject({ bitrateInKbps: 1000, bitrateOutKbps: 500 });
  });

  it('answers several callers the rate of the last window of ≥ 0.5 s, also from a cached report', async () => {
    const samples = [
      report({ local: 'host', remote: 'host', at: 1000, received: 0, sent: 0 }),
      report({ local: 'host', remote: 'host', at: 3000, received: 250_000, sent: 125_000 }),
      // A second caller at once: the browser answers from the same cached report.
      report({ local: 'host', remote: 'host', at: 3000, received: 250_000, sent: 125_000 }),
      // Another 20 ms later: too short a window to measure, so the last rate stands.
      report({ local: 'host', remote: 'host', at: 3020, received: 250_100, sent: 125_000 }),
      // 1 s after the window's start: 125 000 bytes more in 1 s = 1000 kbit/s in.
      report({ local: 'host', remote: 'host', at: 4000, received: 375_000, sent: 125_000 }),
    ];
    const pc = { getStats: async () => samples.shift() } as unknown as RTCPeerConnection;
    const sampler = new StatsSampler(() => pc);
    await sampler.sample();
    const rates = { bitrateInKbps: 1000, bitrateOutKbps: 500 };
    expect(await sampler.sample()).toMatchObject(rates);
    expect(await sampler.sample()).toMatchObject(rates);
    expect(await sampler.sample()).toMatchObject({ ...rates, bytesReceived: 250_100 });
    expect(await sampler.sample()).toMatchObject({ bitrateInKbps: 1000, bitrateOutKbps: 0 });
  });

  it('has nothing to say about a closed connection', async () => {
    expect(await new StatsSampler(() => undefined).sample()).toBeUndefined();
  });
});
