/**
 * The only user of simple-peer (which `sdk/simple-peer.ts` provides, browser-ready): one
 * RTCPeerConnection to one remote peer, its offer/answer rounds and ICE restarts, and the
 * two lanes (data channels) of a direct route. simple-peer's own data channel carries
 * nothing: it only tells when the connection is up (`connect`).
 */
import { SignalData } from '../../../signaling/protocol.js';
import { Emitter } from '../../emitter.js';
import { PeerlaneError } from '../../errors.js';
import SimplePeer from '../../simple-peer.js';
import type { Route } from '../lane.js';
import { DataChannelLane, LANE_CHANNEL_IDS } from './data-channel-lane.js';
import { OfferQueue } from './offer-queue.js';

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

/**
 * simple-peer's private fields used here. Typed once, used only in this file: simple-peer
 * has no API for the RTCPeerConnection's state or for an ICE restart.
 */
type SimplePeerInternals = SimplePeer.Instance & {
  _pc: RTCPeerConnection | undefined;
};

/** What a {@link RtcConnection} reports. */
export interface RtcConnectionEvents {
  /** Signaling data to deliver to the remote peer. */
  signal: (data: SignalData) => void;
  /** ICE is connected and simple-peer's data channel open, for the first time. */
  connect: () => void;
  /** The RTCPeerConnection's `iceConnectionState` changed (including `failed`). */
  'ice-state': (state: RTCIceConnectionState) => void;
  /** An offer/answer exchange completed (the signaling state is back to 'stable'). */
  negotiated: () => void;
  /**
   * Initiator only: the other side wants to send or stop sending media of `kind` (a
   * `transceiverRequest` signal). Make sure a transceiver of that kind exists, then call
   * {@link RtcConnection.requestNegotiation}.
   */
  'media-request': (kind: 'audio' | 'video') => void;
  /** The connection is gone for good (closed by the remote side, or broken). */
  close: (error: Error | undefined) => void;
  /** The transport is closed, whichever side closed it: after `close`, or on `close()`. The last event. */
  closed: () => void;
}

/** Options of a {@link RtcConnection}. */
export interface RtcConnectionOptions {
  /** True on the side that makes the offers. */
  initiator: boolean;
  iceServers: RTCIceServer[];
  iceTransportPolicy: RTCIceTransportPolicy;
  wrtc: WebRtcImplementation;
}

/** One simple-peer: an RTCPeerConnection and the two lanes of a direct route. */
export class RtcConnection extends Emitter<RtcConnectionEvents> implements Route {
  /** The link's messages. */
  readonly message: DataChannelLane;
  /** File chunks. */
  readonly bulk: DataChannelLane;
  /** True on the side that makes the offers. */
  readonly initiator: boolean;
  /** Initiator only: every offer after simple-peer's first, one round at a time. */
  readonly #offers: OfferQueue | undefined;
  readonly #peer: SimplePeerInternals;
  /** Local candidates held back while an ICE-restart offer is being made. */
  #heldCandidates: SignalData[] | null = null;
  #closed = false;
  #iceServers: RTCIceServer[];

  constructor(options: RtcConnectionOptions) {
    super();
    this.initiator = options.initiator;
    this.#iceServers = options.iceServers;
    this.#offers = options.initiator
      ? new OfferQueue({ offer: (iceRestart) => this.#offer(iceRestart) }, true)
      : undefined;
    // Always give iceServers, even []: simple-peer's default config has public STUN servers.
    const config = {
      iceServers: options.iceServers,
      iceTransportPolicy: options.iceTransportPolicy,
    };
    this.#peer = new SimplePeer({
      initiator: options.initiator,
      trickle: true,
      wrtc: options.wrtc,
      config,
    }) as SimplePeerInternals;
    let failure: Error | undefined;
    this.#peer.on('signal', (data) => this.#onLocalSignal(data));
    this.#peer.on('connect', () => this.emit('connect'));
    this.#peer.on('negotiated', () => {
      this.#offers?.settled();
      this.emit('negotiated');
    });
    this.#peer.on('error', (error: Error) => {
      failure = error;
    });
    this.#peer.on('close', () => {
      if (this.#closed) return;
      this.#closed = true;
      this.#offers?.close();
      this.emit('close', failure);
      this.emit('closed');
    });
    const pc = this.#peer._pc;
    if (!pc) {
      // simple-peer keeps the constructor's error to itself (it emits it later): ask again.
      const refusal = whyNoPeerConnection(options.wrtc, config);
      throw new PeerlaneError(
        'NO_WEBRTC',
        `RTCPeerConnection refused its configuration: ${refusal instanceof Error ? refusal.message : String(refusal)}`,
        { cause: refusal },
      );
    }
    this.#keepIceFailureFromSimplePeer(pc);
    // The lanes: channels both sides create with the same ids (no negotiation round).
    const lane = (name: keyof typeof LANE_CHANNEL_IDS) =>
      new DataChannelLane(
        pc.createDataChannel(`peerlane-${name}`, { negotiated: true, id: LANE_CHANNEL_IDS[name] }),
        () => (this.#closed ? undefined : pc.sctp),
      );
    this.message = lane('message');
    this.bulk = lane('bulk');
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
    // (media/peer-media.ts) manages transceivers and their negotiation itself.
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

/** What the runtime's RTCPeerConnection throws for `config` (undefined if it takes it now). */
function whyNoPeerConnection(wrtc: WebRtcImplementation, config: RTCConfiguration): unknown {
  try {
    new wrtc.RTCPeerConnection(config).close();
    return undefined;
  } catch (error) {
    return error;
  }
}
