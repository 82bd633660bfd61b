/**
 * The signal data the load generator sends: ~3 KB session descriptions and ~200 B ICE
 * candidates, shaped as simple-peer emits them so Peerlane's schema accepts them. Each
 * carries its send time as `@t=` and 12 digits (µs), read back by the receiver without
 * parsing the frame.
 */

export type SignalKind = 'offer' | 'answer' | 'candidate';

const MARK = '@t=';
const DIGITS = 12;
/** Stands in for the stamp in templates; split on it to get the text around the stamp. */
export const STAMP_PLACEHOLDER = `${MARK}${'0'.repeat(DIGITS)}`;

const SDP_TARGET_BYTES = 3000;

function sdp(): string {
  const lines = [
    'v=0',
    `o=- ${STAMP_PLACEHOLDER} 2 IN IP4 127.0.0.1`,
    's=-',
    't=0 0',
    'a=group:BUNDLE 0 1 2',
    'a=extmap-allow-mixed',
    'a=msid-semantic: WMS 5bd3c3a2-8f1e-4c1b-9a2f-3c1d2e4f5a6b',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126',
    'c=IN IP4 0.0.0.0',
    'a=rtcp:9 IN IP4 0.0.0.0',
    'a=ice-ufrag:EsAw',
    'a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1',
    'a=ice-options:trickle',
    'a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F',
    'a=setup:actpass',
    'a=mid:0',
    'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
    'a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
    'a=sendrecv',
    'a=rtcp-mux',
    'a=rtpmap:111 opus/48000/2',
    'a=rtcp-fb:111 transport-cc',
    'a=fmtp:111 minptime=10;useinbandfec=1',
    'm=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103',
    'c=IN IP4 0.0.0.0',
    'a=mid:1',
    'a=rtpmap:96 VP8/90000',
    'a=rtcp-fb:96 goog-remb',
    'a=rtcp-fb:96 transport-cc',
    'a=rtcp-fb:96 ccm fir',
    'a=rtcp-fb:96 nack',
    'a=rtcp-fb:96 nack pli',
    'a=rtpmap:97 rtx/90000',
    'a=fmtp:97 apt=96',
    'a=rtpmap:102 H264/90000',
    'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f',
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    'c=IN IP4 0.0.0.0',
    'a=mid:2',
    'a=sctp-port:5000',
    'a=max-message-size:262144',
  ];
  let text = '';
  for (let ssrc = 1_000_000_000; ; ssrc += 7919) {
    text = `${lines.join('\r\n')}\r\n`;
    if (JSON.stringify(text).length >= SDP_TARGET_BYTES) return text;
    lines.push(`a=ssrc:${ssrc} cname:Qx2vLw8kZr5tNm3p`);
  }
}

const SDP = sdp();
const CANDIDATE =
  `candidate:${STAMP_PLACEHOLDER} 1 udp 2122260223 192.168.1.23 54321 typ host ` +
  'generation 0 ufrag EsAw network-id 1';

/** The JSON text of signal data of `kind`, with {@link STAMP_PLACEHOLDER} for the stamp. */
export function dataTemplate(kind: SignalKind): string {
  if (kind === 'candidate') {
    return JSON.stringify({
      type: 'candidate',
      candidate: { candidate: CANDIDATE, sdpMid: '0', sdpMLineIndex: 0 },
    });
  }
  return JSON.stringify({ type: kind, sdp: SDP });
}

/**
 * Turns a frame template holding one {@link STAMP_PLACEHOLDER} into a function that
 * stamps it with a time in µs (fixed width, so every frame of a kind has the same size).
 */
export function stamper(template: string): (micros: number) => string {
  const at = template.indexOf(STAMP_PLACEHOLDER);
  if (at === -1) throw new Error('template has no stamp placeholder');
  const head = template.slice(0, at + MARK.length);
  const tail = template.slice(at + STAMP_PLACEHOLDER.length);
  return (micros) => head + String(Math.round(micros)).padStart(DIGITS, '0') + tail;
}

/** Reads the stamp out of a received frame; -1 when it carries none (not a signal). */
export function readStamp(frame: Buffer): number {
  const at = frame.indexOf(MARK);
  if (at === -1) return -1;
  let value = 0;
  const end = at + MARK.length + DIGITS;
  if (end > frame.length) return -1;
  for (let i = at + MARK.length; i < end; i++) {
    const digit = (frame[i] ?? 0) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}
