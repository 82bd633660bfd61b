import { describe, expect, it } from 'vitest';
import { StatsSampler, summarize } from '../../sdk/stats.js';

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
  it('names the path of the selected pair: host, srflx (also prflx) or relay', () => {
    expect(summarize(report({ local: 'host', remote: 'host' })).path).toBe('host');
    expect(summarize(report({ local: 'host', remote: 'srflx' })).path).toBe('srflx');
    expect(summarize(report({ local: 'prflx', remote: 'host' })).path).toBe('srflx');
    const relayed = summarize(report({ local: 'relay', remote: 'host', relayProtocol: 'tcp' }));
    expect(relayed).toMatchObject({ path: 'relay', relayProtocol: 'tcp', transport: 'webrtc' });
    expect(summarize(report({ local: 'host', remote: 'relay' })).path).toBe('relay');
  });

  it('says unknown before a pair is selected', () => {
    const none = summarize(new Map([['T01', { id: 'T01', type: 'transport', timestamp: 1 }]]));
    expect(none).toMatchObject({ path: 'unknown', rttMs: undefined, bytesSent: 0 });
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

  it('has nothing to say about a closed connection', async () => {
    expect(await new StatsSampler(() => undefined).sample()).toBeUndefined();
  });
});
