import wrtc from '@roamhq/wrtc';
import { describe, expect, it } from 'vitest';
import { judgeSdp } from '../../signaling/sdp.js';
import { createRoomToken } from '../../signaling/tokens.js';
import { bystanders } from '../helpers/bystander.js';
import { useSignaling } from '../helpers/signaling.js';

const secret = 'a-test-secret-that-is-long-enough-0123';
const anyRoom = () => createRoomToken({ secret, room: '*', sub: 'bystander' });

const HEAD = ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0'];
const DATA = ['m=application 9 UDP/DTLS/SCTP webrtc-datachannel', 'a=mid:2'];
/** An SDP of these lines, CRLF-terminated as browsers write it. */
const sdp = (...lines: string[]) => `${lines.join('\r\n')}\r\n`;
const video = (...attributes: string[]) => ['m=video 9 UDP/TLS/RTP/SAVPF 96', ...attributes];
const audio = (...attributes: string[]) => ['m=audio 9 UDP/TLS/RTP/SAVPF 111', ...attributes];

/** Every way the campaign and an attacker would try to publish, with the reason refused. */
const REFUSED: Array<[string, string, string]> = [
  ['plain sendrecv', sdp(...HEAD, ...video('a=sendrecv')), 'm-section 1 (video) is a=sendrecv'],
  ['sendonly audio', sdp(...HEAD, ...audio('a=sendonly')), 'm-section 1 (audio) is a=sendonly'],
  [
    'no direction (sendrecv by default)',
    sdp(...HEAD, ...video('a=mid:0')),
    'm-section 1 (video) has no direction attribute, and sendrecv is the default',
  ],
  [
    'a=recvonly then a=sendonly',
    sdp(...HEAD, ...video('a=recvonly', 'a=sendonly')),
    'm-section 1 (video) has 2 direction attributes (a=recvonly, a=sendonly); browsers differ on which applies',
  ],
  [
    'a=inactive then a=sendrecv',
    sdp(...HEAD, ...video('a=inactive', 'a=sendrecv')),
    'm-section 1 (video) has 2 direction attributes (a=inactive, a=sendrecv); browsers differ on which applies',
  ],
  [
    'port 0 with bundle-only',
    sdp(...HEAD, 'm=video 0 UDP/TLS/RTP/SAVPF 96', 'a=bundle-only', 'a=sendrecv'),
    'm-section 1 (video) is a=sendrecv',
  ],
  [
    'port 0 with a misspelled bundle-only',
    sdp(...HEAD, 'm=video 0 UDP/TLS/RTP/SAVPF 96', 'a=BUNDLE-ONLY', 'a=recvonly'),
    'line 6 must read exactly "a=bundle-only": "a=BUNDLE-ONLY"',
  ],
  [
    'port "09"',
    sdp(...HEAD, 'm=video 09 UDP/TLS/RTP/SAVPF 96'),
    'm-section 1 (video) has no direction attribute, and sendrecv is the default',
  ],
  [
    'port "00" with sendrecv',
    sdp(...HEAD, 'm=video 00 UDP/TLS/RTP/SAVPF 96', 'a=sendrecv'),
    'm-section 1 (video) is a=sendrecv',
  ],
  [
    'session-level sendrecv over a section without direction',
    sdp(...HEAD, 'a=sendrecv', ...video('a=mid:0')),
    'the session-level a=sendrecv applies to m-section 1 (video)',
  ],
  [
    'session-level sendonly even where the section says recvonly',
    sdp(...HEAD, 'a=sendonly', ...video('a=recvonly')),
    'the session-level a=sendonly applies to m-section 1 (video)',
  ],
  [
    'session-level recvonly does not cover a section without direction',
    sdp(...HEAD, 'a=recvonly', ...video('a=mid:0')),
    'm-section 1 (video) has no direction attribute, and sendrecv is the default',
  ],
  [
    'upper-case direction',
    sdp(...HEAD, ...video('a=RECVONLY')),
    'line 6 must read exactly "a=recvonly": "a=RECVONLY"',
  ],
  [
    'mixed-case direction',
    sdp(...HEAD, ...video('a=RecvOnly')),
    'line 6 must read exactly "a=recvonly": "a=RecvOnly"',
  ],
  [
    'a prefix match',
    sdp(...HEAD, ...video('a=recvonlyx')),
    'line 6 must read exactly "a=recvonly": "a=recvonlyx"',
  ],
  [
    'trailing space',
    sdp(...HEAD, ...video('a=recvonly ')),
    'line 6 must read exactly "a=recvonly": "a=recvonly "',
  ],
  [
    'space after =',
    sdp(...HEAD, ...video('a= recvonly')),
    'line 6 must read exactly "a=recvonly": "a= recvonly"',
  ],
  [
    'a value',
    sdp(...HEAD, ...video('a=inactive:1')),
    'line 6 must read exactly "a=inactive": "a=inactive:1"',
  ],
  [
    'upper-case line type',
    sdp(...HEAD, ...video('A=sendrecv')),
    'line 6 is not <lowercase letter>=<value>: "A=sendrecv"',
  ],
  [
    'indented line',
    sdp(...HEAD, ...video(' a=sendrecv')),
    'line 6 is not <lowercase letter>=<value>: " a=sendrecv"',
  ],
  [
    'empty line inside',
    sdp(...HEAD, '', ...video('a=recvonly')),
    'line 5 is not <lowercase letter>=<value>: ""',
  ],
  [
    'a lone CR hiding a line',
    `${HEAD.join('\r\n')}\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=recvonly\ra=sendrecv\r\n`,
    'line 6 holds a carriage return that does not end the line (use CRLF or LF)',
  ],
  [
    'upper-case media type',
    sdp(...HEAD, 'm=VIDEO 9 UDP/TLS/RTP/SAVPF 96', 'a=sendrecv'),
    'm-section 1 (video) is a=sendrecv',
  ],
  [
    'an unreadable m= line',
    sdp(...HEAD, 'm= video 9 UDP/TLS/RTP/SAVPF 96', 'a=recvonly'),
    'the m= line of m-section 1 cannot be read',
  ],
  [
    'the second of several m-sections',
    sdp(...HEAD, ...audio('a=recvonly'), ...video('a=sendrecv'), ...DATA),
    'm-section 2 (video) is a=sendrecv',
  ],
  [
    'a third m-section, bundle-only, after two receiving ones',
    sdp(
      ...HEAD,
      ...audio('a=recvonly'),
      ...video('a=inactive'),
      'm=video 0 UDP/TLS/RTP/SAVPF 96',
      'a=bundle-only',
      'a=sendonly',
    ),
    'm-section 3 (video) is a=sendonly',
  ],
];

/** What a peer without publish may send, spelled as browsers do. */
const ACCEPTED: Array<[string, string]> = [
  ['data only', sdp(...HEAD, ...DATA)],
  ['no m-section', 'v=0'],
  [
    'recvonly audio and video',
    sdp(...HEAD, ...audio('a=recvonly'), ...video('a=recvonly'), ...DATA),
  ],
  ['inactive video', sdp(...HEAD, ...video('a=inactive'))],
  [
    'port 0 (rejected), whatever its direction',
    sdp(...HEAD, 'm=video 0 UDP/TLS/RTP/SAVPF 96', 'a=sendrecv'),
  ],
  [
    'session-level recvonly beside section-level recvonly',
    sdp(...HEAD, 'a=recvonly', ...video('a=recvonly')),
  ],
  [
    'a sending direction in an extmap or rid (not the section direction)',
    sdp(...HEAD, ...video('a=extmap:1/sendonly urn:x', 'a=rid:h send', 'a=recvonly')),
  ],
  ['no final line break', sdp(...HEAD, ...video('a=recvonly')).trimEnd()],
];

describe('hardening: the publish check reads SDP (issue #16 row 8)', () => {
  const { start, connect } = useSignaling();

  it.each(REFUSED)('refuses %s', (_, text, reason) => {
    expect(judgeSdp(text)).toBe(reason);
    // LF-only line breaks are read the same as CRLF.
    if (!text.includes('\r\n\r') && !/\r(?!\n)/.test(text)) {
      expect(judgeSdp(text.replaceAll('\r\n', '\n'))).toBe(reason);
    }
  });

  it.each(ACCEPTED)('accepts %s, with CRLF or LF', (_, text) => {
    expect(judgeSdp(text)).toBeUndefined();
    expect(judgeSdp(text.replaceAll('\r\n', '\n'))).toBeUndefined();
  });

  it('accepts what libwebrtc writes for a receiving peer, and refuses its sending offers', async () => {
    const offer = async (direction: RTCRtpTransceiverDirection, answerFrom?: boolean) => {
      const pc = new wrtc.RTCPeerConnection({ iceServers: [] });
      try {
        pc.createDataChannel('data');
        pc.addTransceiver('audio', { direction });
        pc.addTransceiver('video', { direction });
        const description = await pc.createOffer();
        if (!answerFrom) return description.sdp ?? '';
        const other = new wrtc.RTCPeerConnection({ iceServers: [] });
        try {
          await other.setRemoteDescription(description);
          for (const transceiver of other.getTransceivers()) transceiver.direction = 'recvonly';
          return (await other.createAnswer()).sdp ?? '';
        } finally {
          other.close();
        }
      } finally {
        pc.close();
      }
    };
    expect(judgeSdp(await offer('recvonly'))).toBeUndefined();
    expect(judgeSdp(await offer('inactive'))).toBeUndefined();
    // The receive-only answer to a publisher's offer.
    expect(judgeSdp(await offer('sendrecv', true))).toBeUndefined();
    expect(judgeSdp(await offer('sendrecv'))).toBe('m-section 1 (audio) is a=sendrecv');
    expect(judgeSdp(await offer('sendonly'))).toBe('m-section 1 (audio) is a=sendonly');
  });

  it('refuses every variant from a peer without publish, on offers, answers and renegotiations', async () => {
    const server = await start({ auth: { secret } });
    const others = await bystanders(server, connect, { token: await anyRoom() });
    const [viewer, host] = await Promise.all([connect(server), connect(server)]);
    const wv = await viewer.join('r', {
      token: await createRoomToken({ secret, room: 'r', perms: { publish: false } }),
    });
    const wh = await host.join('r', { token: await createRoomToken({ secret, room: 'r' }) });
    await viewer.next('peer-joined');
    // A first receive-only offer goes through; a renegotiation that sends does not.
    const receiving = sdp(...HEAD, ...audio('a=recvonly'), ...video('a=recvonly'), ...DATA);
    viewer.send({ type: 'signal', to: wh.peerId, data: { type: 'offer', sdp: receiving } });
    expect((await host.next('signal')).data).toEqual({ type: 'offer', sdp: receiving });
    const types = ['offer', 'answer', 'pranswer'] as const;
    for (const [i, [, text, reason]] of REFUSED.entries()) {
      const type = types[i % types.length] ?? 'offer';
      viewer.send({ type: 'signal', to: wh.peerId, data: { type, sdp: text }, ref: `v${i}` });
      expect(await viewer.next('error')).toEqual({
        type: 'error',
        code: 'FORBIDDEN',
        message: `your room token does not allow publishing audio or video: ${reason}`,
        ref: `v${i}`,
      });
    }
    // Refusals are answers, not violations: the viewer stays, and may still receive.
    for (const [, text] of ACCEPTED) {
      viewer.send({ type: 'signal', to: wh.peerId, data: { type: 'answer', sdp: text } });
    }
    for (const [, text] of ACCEPTED) {
      expect((await host.next('signal')).data).toEqual({ type: 'answer', sdp: text });
    }
    expect(host.unread('signal')).toEqual([]);
    // A publisher's SDP is not judged: it is forwarded as sent.
    const [, odd] = REFUSED.find(([name]) => name === 'a lone CR hiding a line') ?? [];
    host.send({ type: 'signal', to: wv.peerId, data: { type: 'offer', sdp: odd ?? '' } });
    expect((await viewer.next('signal')).data).toEqual({ type: 'offer', sdp: odd });
    await others.check();
  });
});
