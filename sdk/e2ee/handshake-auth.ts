/**
 * Authenticated handshakes: with a room secret, every offer and answer carries
 * `auth` = nonce + HMAC (room key) over the signal's type, the sender's and receiver's
 * ids, the nonce and the whole SDP — DTLS fingerprints included. The receiver applies an
 * SDP only when it verifies, so a server that rewrites fingerprints to sit in the middle
 * gets no connection at all. ICE candidates and renegotiation requests stay unsigned: they
 * carry no secret, and a forged one can at worst fail a connection the server could drop
 * anyway (SECURITY.md).
 */
import type { PeerId, SignalData } from '../../signaling/protocol.js';
import { fromBase64Url, type RoomKeys, randomBytes, toBase64Url } from './room-keys.js';

type SdpSignal = Extract<SignalData, { type: 'offer' | 'answer' | 'pranswer' }>;

const NONCE_BYTES = 16;
const MAC_BYTES = 32;
/** Nonces remembered per peer, to refuse a replayed handshake. */
const REMEMBERED_NONCES = 256;

function isSdpSignal(data: SignalData): data is SdpSignal {
  return data.type === 'offer' || data.type === 'answer' || data.type === 'pranswer';
}

/**
 * A refusal: what a peer sends back for an offer or answer it will not apply (it is not
 * signed with its room's secret, or it is signed and that peer has no secret), so the
 * other side fails at once with `E2EE_MISMATCH` instead of waiting out
 * `peerConnectTimeoutMs`. A provisional answer with no SDP, which no WebRTC stack sends;
 * signed with the refusing side's key when it has one, like any SDP. A refusal is never
 * answered with one.
 */
export const HANDSHAKE_REFUSAL: SignalData = Object.freeze({ type: 'pranswer', sdp: '' });

/** Whether `data` is a {@link HANDSHAKE_REFUSAL}. */
export function isRefusal(data: SignalData): boolean {
  return data.type === 'pranswer' && data.sdp === '';
}

/** Whether `data` is an offer or an answer (what a refusal may answer). */
export function isOfferOrAnswer(data: SignalData): boolean {
  return data.type === 'offer' || data.type === 'answer';
}

/** Whether `data` is an SDP signed for a room secret (`auth`). */
export function isSigned(data: SignalData): boolean {
  return isSdpSignal(data) && data.auth !== undefined;
}

/** The DTLS fingerprints an SDP names (`a=fingerprint:`), normalised and sorted. */
export function fingerprints(sdp: string): string[] {
  const found = new Set<string>();
  for (const match of sdp.matchAll(/^a=fingerprint:(\S+)\s+(\S+)\s*$/gim)) {
    found.add(`${match[1]?.toLowerCase()} ${match[2]?.toUpperCase()}`);
  }
  return [...found].sort();
}

/** Signs and checks the handshakes with one remote peer. */
export class HandshakeAuth {
  readonly #seen = new Set<string>();
  #local: string[] = [];
  #remote: string[] = [];

  constructor(
    private readonly keys: RoomKeys,
    private readonly selfId: () => PeerId,
    private readonly remoteId: PeerId,
  ) {}

  /** `data` as it goes to the peer: an SDP gets its `auth`; anything else is unchanged. */
  async sign(data: SignalData): Promise<SignalData> {
    if (!isSdpSignal(data)) return data;
    const nonce = toBase64Url(randomBytes(NONCE_BYTES));
    const mac = await this.keys.sign(this.#parts(data, this.selfId(), this.remoteId, nonce));
    if (!isRefusal(data)) this.#local = fingerprints(data.sdp);
    return { ...data, auth: `${nonce}.${toBase64Url(mac)}` };
  }

  /**
   * Checks `data` from the peer; answers why it must be refused, or undefined when it may
   * be applied (an SDP whose signature verifies, or a signal that carries none).
   */
  async check(data: SignalData): Promise<string | undefined> {
    if (!isSdpSignal(data)) return undefined;
    const { auth } = data;
    if (auth === undefined) {
      return `its ${data.type} has no e2ee signature: it has no room secret, or the server removed it`;
    }
    const [nonce = '', macText = ''] = auth.split('.');
    const mac = fromBase64Url(macText);
    if (fromBase64Url(nonce)?.byteLength !== NONCE_BYTES || mac?.byteLength !== MAC_BYTES) {
      return `its ${data.type} has a malformed e2ee signature`;
    }
    if (this.#seen.has(nonce)) return `its ${data.type} repeats an earlier one (a replay)`;
    const parts = this.#parts(data, this.remoteId, this.selfId(), nonce);
    if (!(await this.keys.verify(parts, mac))) {
      return `its ${data.type} is not signed with this room's secret: another secret, or the SDP was changed on the way`;
    }
    this.#seen.add(nonce);
    if (this.#seen.size > REMEMBERED_NONCES) {
      const [oldest] = this.#seen;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    // Signed with our secret, so the peer has it too: ours did not verify there.
    if (isRefusal(data)) {
      return 'it refused our handshake: it did not verify there (changed on the way, or a replay)';
    }
    this.#remote = fingerprints(data.sdp);
    return undefined;
  }

  /**
   * A short code both sides compute alike when they share the secret and see the same
   * DTLS fingerprints (for people to compare out of band): 12 digits in groups of four.
   * Undefined until the handshake is done both ways, so the two sides never show codes
   * made from different facts; `relayOnly` (no handshake ever): from the ids alone.
   */
  async safetyNumber(relayOnly = false): Promise<string | undefined> {
    if (!relayOnly && (this.#local.length === 0 || this.#remote.length === 0)) return undefined;
    const ids = [this.selfId(), this.remoteId].sort();
    const prints = [...this.#local, ...this.#remote].sort();
    const mac = await this.keys.sign(['safety number', ...ids, ...prints]);
    let value = 0n;
    for (const byte of mac.subarray(0, 8)) value = (value << 8n) | BigInt(byte);
    const digits = (value % 10n ** 12n).toString().padStart(12, '0');
    return digits.replace(/(\d{4})(?=\d)/g, '$1 ');
  }

  #parts(data: SdpSignal, from: PeerId, to: PeerId, nonce: string): string[] {
    return ['sdp', data.type, from, to, nonce, data.sdp];
  }
}
