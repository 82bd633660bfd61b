/**
 * The only file that imports simple-peer: one WebRTC connection with one data channel to
 * one remote peer, seen by the rest of the SDK as a transport of frames.
 *
 * In browsers simple-peer (written for browserify) needs `global`, `process` and
 * `Buffer`. The SDK never sets them on `globalThis`: the browser build
 * (`vite.sdk.config.ts`) maps `global` to `globalThis` and injects the npm `process` and
 * `buffer` packages into each module that uses them as free variables. In Node all three
 * exist already, so nothing is patched there either.
 */
import { SignalData } from '../signaling/protocol.js';
import { Emitter } from './emitter.js';
import { PeerlaneError } from './errors.js';
import { BULK_CHANNEL_ID, DataChannelLane } from './lane.js';
import type { FrameSink } from './message-stream.js';
import { OfferQueue } from './offer-queue.js';
import SimplePeer from './simple-peer.js';

/** The WebRTC classes the SDK uses. In browsers they are the globals. */
export interface WebRtcImplementation {
  RTCPeerConnection: typeof RTCPeerConnection;
  RTCSessionDescription: typeof RTCSessionDescription;
  RTCIceCandidate: typeof RTCIceCandidate;
}

/** Returns `given`, or the global WebRTC classes, or throws `NO_WEBRTC`. */
export function resolveWebRtc(given: WebRtcImplementation | undefined): WebRtcImplementation {
  if (given) return given;
  const scope = globalThis as Partial<WebRtcImplementation>;
  if (scope.RTCPeerConnection && scope.RTCSessionDescription && scope.RTCIceCandidate) {
    return {
      RTCPeerConnection: scope.RTCPeerConnection,
      RTCSessionDescription: scope.RTCSessionDescription,
      RTCIceCandidate: scope.RTCIceCandidate,
    };
  }
  throw new PeerlaneError('NO_WEBRTC');
}

/** Buffered bytes at or below which a waiting sender may go on. */
const LOW_WATER_MARK = 64 * 1024;
/** How often to look at `bufferedAmount` where `bufferedamountlow` does not exist (wrtc). */
const DRAIN_POLL_MS = 5;

/**
 * simple-peer's private fields used here. Typed once, used only in this file: simple-peer
 * has no API for the data channel's `bufferedAmount` events or for an ICE restart.
 */
type SimplePeerInternals = SimplePeer.Instance & {
  _pc: RTCPeerConnection | undefined;
  _channel: RTCDataChannel | null;
};

/** What a {@link PeerTransport} reports. */
export interface PeerTransportEvents {
  /** Signaling data to deliver to the remote peer. */
  signal: (data: SignalData) => void;
  /** The data channel is open and ICE connected, for the first time. */
  connect: () => void;
  /** The RTCPeerConnection's `iceConnectionState` changed (including `failed`). */
  'ice-state': (state: RTCIceConnectionState) => void;
  /** One frame arrived from the remote peer. */
  frame: (frame: Uint8Array) => void;
  /** An offer/answer exchange completed (the signaling state is back to 'stable'). */
  negotiated: () => void;
  /** The send buffer fell to the low-water mark after {@link PeerTransport.awaitDrain}. */
  drain: () => void;
  /**
   * Initiator only: the other side wants to send or stop sending media of `kind` (a
   * `transceiverRequest` signal). Make sure a transceiver of that kind exists, then call
   * {@link PeerTransport.requestNegotiation}.
   */
  'media-request': (kind: 'audio' | 'video') => void;
  /** The connection is gone for good (closed by the remote side, or broken). */
  close: (error: Error | undefined) => void;
  /** The transport is closed, whichever side closed it: after `close`, or on `close()`. The last event. */
  closed: () => void;
}

/** Options of a {@link PeerTransport}. */
export interface PeerTransportOptions {
  /** True on the side that makes the offers. */
  initiator: boolean;
  iceServers: RTCIceServer[];
  iceTransportPolicy: RTCIceTransportPolicy;
  wrtc: WebRtcImplementation;
}

/** One simple-peer: an RTCPeerConnection and its data channel, carrying frames. */
export class PeerTransport extends Emitter<PeerTransportEvents> implements FrameSink {
  /** The lane for file chunks, beside simple-peer's channel (which carries messages). */
  readonly bulk: DataChannelLane;
  /** True on the side that makes the offers. */
  readonly initiator: boolean;
  /** Initiator only: every offer after simple-peer's first, one round at a time. */
  readonly #offers: OfferQueue | undefined;
  readonly #peer: SimplePeerInternals;
  /** Local candidates held back while an ICE-restart offer is being made. */
  #heldCandidates: SignalData[] | null = null;
  #drainPoll: ReturnType<typeof setInterval> | undefined;
  #lowEvents = false;
  #closed = false;
  #iceServers: RTCIceServer[];

  constructor(options: PeerTransportOptions) {
    super();
    this.initiator = options.initiator;
    this.#iceServers = options.iceServers;
    this.#offers = options.initiator
      ? new OfferQueue({ offer: (iceRestart) => this.#offer(iceRestart) }, true)
      : undefined;
    this.#peer = new SimplePeer({
      initiator: options.initiator,
      trickle: true,
      wrtc: options.wrtc,
      // Always give iceServers, even []: simple-peer's default config has public STUN servers.
      config: { iceServers: options.iceServers, iceTransportPolicy: options.iceTransportPolicy },
    }) as SimplePeerInternals;
    let failure: Error | undefined;
    this.#peer.on('signal', (data) => this.#onLocalSignal(data));
    this.#peer.on('connect', () => this.#onConnect());
    this.#peer.on('negotiated', () => {
      this.#offers?.settled();
      this.emit('negotiated');
    });
    this.#peer.on('data', (chunk: Uint8Array) =>
      this.emit('frame', new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)),
    );
    this.#peer.on('error', (error: Error) => {
      failure = error;
    });
    this.#peer.on('close', () => {
      if (this.#closed) return;
      this.#closed = true;
      clearInterval(this.#drainPoll);
      this.#offers?.close();
      this.emit('close', failure);
      this.emit('closed');
    });
    const pc = this.#peer._pc;
    if (pc) this.#keepIceFailureFromSimplePeer(pc);
    // The bulk lane (file chunks): a second channel both sides create with the same id.
    const bulk = pc?.createDataChannel('peerlane-bulk', { negotiated: true, id: BULK_CHANNEL_ID });
    if (!bulk) throw new PeerlaneError('NO_WEBRTC', 'simple-peer made no RTCPeerConnection');
    this.bulk = new DataChannelLane(bulk);
  }

  /** True once connected, while the data channel is open. */
  get open(): boolean {
    return !this.#closed && this.#peer.connected;
  }

  get bufferedAmount(): number {
    return this.#peer._channel?.bufferedAmount ?? 0;
  }

  /** The RTCPeerConnection's ICE state, or 'closed'. */
  get iceConnectionState(): RTCIceConnectionState {
    return this.#peer._pc?.iceConnectionState ?? 'closed';
  }

  /** The offer/answer state of the connection, or 'closed'. */
  get signalingState(): RTCSignalingState {
    return this.#peer._pc?.signalingState ?? 'closed';
  }

  /** The RTCPeerConnection, for media tracks and statistics; undefined once closed. */
  get peerConnection(): RTCPeerConnection | undefined {
    return this.#closed ? undefined : this.#peer._pc;
  }

  send(frame: Uint8Array): void {
    this.#peer.send(frame);
  }

  /** Emits `drain` once the send buffer is down to the low-water mark. */
  awaitDrain(): void {
    if (this.#lowEvents || this.#drainPoll || this.#closed) return;
    this.#drainPoll = setInterval(() => {
      if (this.bufferedAmount > LOW_WATER_MARK) return;
      clearInterval(this.#drainPoll);
      this.#drainPoll = undefined;
      this.emit('drain');
    }, DRAIN_POLL_MS);
  }

  /** Applies signaling data from the remote peer. */
  signal(data: SignalData): void {
    if (this.#closed) return;
    // A late answer to an offer we have since replaced: simple-peer would apply it in the
    // 'stable' state (or to an offer with other m= sections), fail, and destroy the whole
    // connection.
    if (data.type === 'answer' && !this.#answers(data.sdp)) return;
    // Renegotiation requests go through the offer queue, never to simple-peer: it would
    // make its own offer at once, whatever round is in flight (simple-peer #703).
    if (data.type === 'transceiverRequest') {
      if (this.initiator) this.emit('media-request', data.transceiverRequest.kind);
      return;
    }
    if (data.type === 'renegotiate') {
      this.#offers?.request(false);
      return;
    }
    // The shapes match; the zod type only spells optional fields as `| undefined`.
    this.#peer.signal(data as SimplePeer.SignalData);
  }

  /**
   * Initiator only: offers fresh ICE credentials on the same RTCPeerConnection, so the
   * DTLS session and the data channel survive while ICE finds a new path. simple-peer has
   * no ICE restart; its answerer side takes the offer as an ordinary renegotiation.
   * `iceServers` replaces the servers (e.g. fresh TURN credentials) when it differs. The
   * offer waits for a round in flight to end (see {@link OfferQueue}).
   */
  async restartIce(iceServers: RTCIceServer[]): Promise<void> {
    const pc = this.#peer._pc;
    if (this.#closed || !pc) return;
    if (JSON.stringify(iceServers) !== JSON.stringify(this.#iceServers)) {
      this.#iceServers = iceServers;
      pc.setConfiguration({ ...pc.getConfiguration(), iceServers });
    }
    this.#offers?.request(true);
  }

  /**
   * Media tracks or directions changed and the other side must hear of it. The initiator
   * queues an offer (one round at a time); the other side asks the initiator for one with
   * a `transceiverRequest` signal for `kind`.
   */
  requestNegotiation(kind: 'audio' | 'video'): void {
    if (this.#closed) return;
    if (this.#offers) this.#offers.request(false);
    else this.emit('signal', { type: 'transceiverRequest', transceiverRequest: { kind } });
  }

  /** One offer, made by the {@link OfferQueue}. */
  async #offer(iceRestart: boolean): Promise<void> {
    const pc = this.#peer._pc;
    if (this.#closed || !pc) return;
    // The new candidates must not reach the remote before the offer that announces them.
    this.#heldCandidates ??= [];
    try {
      const offer = await pc.createOffer(iceRestart ? { iceRestart: true } : {});
      if (this.#closed) return;
      await pc.setLocalDescription(offer);
      if (this.#closed) return;
      this.emit('signal', { type: 'offer', sdp: pc.localDescription?.sdp ?? offer.sdp ?? '' });
    } finally {
      const held = this.#heldCandidates ?? [];
      this.#heldCandidates = null;
      for (const candidate of held) if (!this.#closed) this.emit('signal', candidate);
    }
  }

  /** Closes the connection. No `close` event follows (`closed` does). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#drainPoll);
    this.#offers?.close();
    this.#peer.destroy();
    this.emit('closed');
  }

  /**
   * True when `sdp` can be the answer to the offer in flight: there is one, and it has as
   * many m= sections (an answer to an older offer may not, and would break the connection).
   */
  #answers(sdp: string): boolean {
    const pc = this.#peer._pc;
    if (pc?.signalingState !== 'have-local-offer') return false;
    return mLineCount(sdp) === mLineCount(pc.localDescription?.sdp ?? '');
  }

  #onLocalSignal(data: SimplePeer.SignalData): void {
    // simple-peer asks for transceivers it thinks are missing after each answer; the SDK
    // (link-media.ts) manages transceivers and their negotiation itself.
    if ('transceiverRequest' in data || 'renegotiate' in data) return;
    const parsed = SignalData.safeParse(data);
    // simple-peer only makes valid signals; anything else would be refused by the server.
    if (!parsed.success || this.#closed) return;
    if (parsed.data.type === 'candidate' && this.#heldCandidates) {
      this.#heldCandidates.push(parsed.data);
      return;
    }
    this.emit('signal', parsed.data);
  }

  #onConnect(): void {
    const channel = this.#peer._channel;
    // Browsers have `bufferedamountlow` (simple-peer sets its threshold to 64 KiB);
    // @roamhq/wrtc has neither, so awaitDrain() polls there.
    if (channel && typeof channel.bufferedAmountLowThreshold === 'number') {
      this.#lowEvents = true;
      channel.addEventListener('bufferedamountlow', () => this.emit('drain'));
    }
    this.emit('connect');
  }

  /**
   * simple-peer destroys the whole peer as soon as ICE or the connection reports 'failed'
   * (index.js `_onIceStateChange`, `_onConnectionStateChange`): it has no ICE restart. The
   * SDK restarts ICE on the same RTCPeerConnection instead, so 'failed' must reach the link
   * and not simple-peer. Every other state still goes to simple-peer's handlers.
   */
  #keepIceFailureFromSimplePeer(pc: RTCPeerConnection): void {
    const onIce = pc.oniceconnectionstatechange;
    const onGathering = pc.onicegatheringstatechange;
    const onConnection = pc.onconnectionstatechange;
    pc.oniceconnectionstatechange = (event) => {
      if (pc.iceConnectionState !== 'failed') onIce?.call(pc, event);
      if (!this.#closed) this.emit('ice-state', pc.iceConnectionState);
    };
    pc.onicegatheringstatechange = (event) => {
      if (pc.iceConnectionState !== 'failed') onGathering?.call(pc, event);
    };
    pc.onconnectionstatechange = (event) => {
      if (pc.connectionState !== 'failed') onConnection?.call(pc, event);
    };
  }
}

/** How many media sections (`m=` lines, data channel included) an SDP has. */
function mLineCount(sdp: string): number {
  return sdp.match(/^m=/gm)?.length ?? 0;
}
