import type { SignalData } from '../signaling/protocol.js';
import { PeerlaneError } from './errors.js';
import { encodePing } from './framing.js';
import type { Lane } from './lane.js';
import { Inbox, type MessageData, Outbox } from './message-stream.js';
import type { PeerTransport } from './peer.js';

/**
 * The state of the direct connection to one remote peer:
 * - `connecting`: the first connection is being made (messages sent now are queued);
 * - `connected`: the data channel is open; messages flow;
 * - `reconnecting`: the connection broke (ICE `disconnected`/`failed`) and an ICE restart
 *   is under way on the same RTCPeerConnection; messages are queued;
 * - `failed`: it could not be made or restored in time (an `error` with code
 *   `PEER_UNREACHABLE` says so); queued messages were dropped and sending throws;
 * - `closed`: the peer left, or this room was left.
 */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'closed';

/** Timing of a link, in ms (see the options of `joinRoom`). */
export interface LinkTiming {
  peerConnectTimeoutMs: number;
  iceRestartDelayMs: number;
  iceRestartTimeoutMs: number;
}

export interface PeerLinkOptions extends LinkTiming {
  remoteId: string;
  /** True on the side that makes offers (and so the ICE-restart offers). */
  initiator: boolean;
  transport: PeerTransport;
  maxMessageBytes: number;
  /** The ICE servers to use now (they may change after a signaling reconnect). */
  iceServers(): RTCIceServer[];
  /** True while signaling can carry a signal to the remote peer. */
  canSignal(): boolean;
  sendSignal(data: SignalData): void;
  onMessage(data: MessageData, broadcast: boolean): void;
  onState(state: ConnectionState): void;
  onError(error: PeerlaneError): void;
  /**
   * The message stream to carry, when it outlives this link (`transport-switch.ts` moves it
   * between this link and the relay). Default: one of the link's own.
   */
  stream?: { outbox: LinkOutbox; inbox: Pick<Inbox, 'receive'> };
  /**
   * Asked before the link fails: true when another transport (the relay) takes over. The
   * link then closes quietly: no `failed` state, no `PEER_UNREACHABLE`.
   */
  onGiveUp?: (reason: string) => boolean;
}

/** What a link needs of its {@link Outbox}. */
export type LinkOutbox = Pick<Outbox, 'push' | 'flush' | 'clear' | 'length' | 'queuedBytes'>;

/** First retry of an ICE restart after this long; each later one waits twice as long. */
const RESTART_RETRY_MS = 2000;
const RESTART_RETRY_MAX_MS = 8000;
/** An ICE-restart offer still unanswered after this long is replaced by a new one. */
const STALE_OFFER_MS = 5000;
/** At most one ICE-restart offer per this many ms, however often the other side asks. */
const MIN_OFFER_GAP_MS = 1000;
/** While connected, a PING goes out when nothing else was sent for this long. */
const KEEPALIVE_MS = 2500;
/**
 * Nothing heard for this long while connected: the path is presumed broken even if ICE
 * says otherwise (it may report late, or, in some implementations, on one side only).
 */
const SILENCE_MS = 10_000;
/**
 * How long a data channel that closed is given before the peer is reported unreachable:
 * when the remote peer leaves, the server's `peer-left` usually arrives first, and the
 * link should then close quietly rather than fail.
 */
const CLOSE_GRACE_MS = 1000;

/**
 * One remote peer's link: a transport (today one simple-peer), the ordered message stream
 * over it, and the state machine that restarts ICE when the connection breaks.
 *
 * ICE restart: on ICE `disconnected` for `iceRestartDelayMs`, at once on `failed`, or
 * when nothing (not even the 2.5 s keepalive PING) was heard for 10 s, the link goes
 * `reconnecting`. The initiator offers fresh ICE credentials on the same
 * RTCPeerConnection; the other side asks it to with a `renegotiate` signal. Attempts repeat
 * (2 s, 4 s, 8 s… apart) while signaling is up, until ICE is connected again, or
 * `iceRestartTimeoutMs` passes and the link fails with `PEER_UNREACHABLE`.
 */
export class PeerLink {
  #state: ConnectionState = 'connecting';
  readonly #outbox: LinkOutbox;
  readonly #inbox: Pick<Inbox, 'receive'>;
  #connectedOnce = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #deadline: ReturnType<typeof setTimeout> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #attempt = 0;
  #lastOfferAt = Number.NEGATIVE_INFINITY;
  /** Answerer: the SDP session id of the remote RTCPeerConnection this link talks to. */
  #remoteSession: string | undefined;
  #liveness: ReturnType<typeof setInterval> | undefined;
  #lastHeard = 0;
  #lastSent = 0;

  constructor(private readonly options: PeerLinkOptions) {
    const { transport } = options;
    this.#outbox = options.stream?.outbox ?? new Outbox();
    this.#inbox =
      options.stream?.inbox ??
      new Inbox(options.maxMessageBytes, (data, broadcast) => options.onMessage(data, broadcast));
    transport.on('signal', (data) => options.sendSignal(data));
    transport.on('connect', () => this.#onConnect());
    transport.on('ice-state', (state) => this.#onIceState(state));
    transport.on('drain', () => this.#flush());
    transport.on('negotiated', () => this.#checkRestored());
    transport.on('frame', (frame) => {
      // Frames arriving prove the path works, whatever ICE state events said (or did not).
      this.#lastHeard = Date.now();
      if (this.#state === 'reconnecting') this.#restored();
      const problem = this.#inbox.receive(frame);
      if (problem) options.onError(this.#about(problem));
    });
    transport.on('close', (error) => this.#onTransportClose(error));
    this.#timer = setTimeout(
      () => this.#fail(`could not connect within ${options.peerConnectTimeoutMs} ms`),
      options.peerConnectTimeoutMs,
    );
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** The bulk lane of this link (file transfers): its own data channel, beside the messages'. */
  get bulk(): Lane {
    return this.options.transport.bulk;
  }

  /** Bytes waiting to be sent: queued in the SDK plus buffered in the data channel. */
  get bufferedAmount(): number {
    return this.#outbox.queuedBytes + this.options.transport.bufferedAmount;
  }

  /** Queues one message (already checked and encoded) and sends what the link can take. */
  send(text: boolean, bytes: Uint8Array, broadcast = false): void {
    this.#outbox.push(text, bytes, broadcast);
    this.#flush();
  }

  /**
   * True when `offerSdp` comes from another RTCPeerConnection than the one this link
   * answered so far (the `o=` line's session id changes only with a new connection).
   */
  isNewSession(offerSdp: string): boolean {
    if (this.options.initiator || this.#remoteSession === undefined) return false;
    return sessionId(offerSdp) !== this.#remoteSession;
  }

  /** Applies signaling data from the remote peer. */
  signal(data: SignalData): void {
    if (this.#state === 'closed' || this.#state === 'failed') return;
    if (data.type === 'offer') this.#remoteSession ??= sessionId(data.sdp);
    if (data.type === 'renegotiate' && this.options.initiator && this.#connectedOnce) {
      // The other side asks for an ICE restart: its view of the connection went bad. Ours
      // may be fine (then restart quietly, and ping: if frames still flow, that settles it).
      if (this.#state === 'connected') {
        this.#ping();
        this.#offerRestart();
      } else this.#attemptRestart(true);
      return;
    }
    this.options.transport.signal(data);
  }

  /** Signaling is back: a stalled ICE restart may proceed at once. */
  signalingRestored(): void {
    if (this.#state === 'reconnecting') this.#attemptRestart(true);
  }

  /** Closes the link for good; no state event follows. Returns how many messages were unsent. */
  close(): number {
    if (this.#state === 'closed') return 0;
    this.#state = 'closed';
    this.#clearTimers();
    clearInterval(this.#liveness);
    this.options.transport.close();
    return this.#outbox.clear();
  }

  #onConnect(): void {
    if (this.#state !== 'connecting') return;
    this.#connectedOnce = true;
    this.#clearTimers();
    this.#lastHeard = Date.now();
    this.#liveness = setInterval(() => this.#checkLiveness(), 1000);
    this.#setState('connected');
    this.#flush();
  }

  /** Keeps the other side hearing from us, and notices when we stop hearing from it. */
  #checkLiveness(): void {
    if (this.#state !== 'connected') return;
    const now = Date.now();
    if (now - this.#lastHeard >= SILENCE_MS) this.#startRestart();
    else if (now - this.#lastSent >= KEEPALIVE_MS) this.#ping();
  }

  #onIceState(state: RTCIceConnectionState): void {
    if (!this.#connectedOnce) return; // the first connection has its own timeout
    if (state === 'connected' || state === 'completed') {
      if (this.#state === 'connected') {
        clearTimeout(this.#timer);
        this.#timer = undefined;
      }
      this.#checkRestored();
    } else if (state === 'disconnected') {
      // Often recovers by itself within a second or two; restart only if it does not.
      if (this.#state === 'connected' && this.#timer === undefined) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#startRestart();
        }, this.options.iceRestartDelayMs);
      }
    } else if (state === 'failed') {
      if (this.#state === 'connected') this.#startRestart();
      else if (this.#state === 'reconnecting') this.#attemptRestart(false);
    }
  }

  /**
   * Back to `connected` once ICE is connected while the data channel is still open. Checked
   * on ICE state changes and after each completed negotiation: an ICE restart of a
   * connection that still worked on this side may leave the state at 'connected' throughout.
   */
  #checkRestored(): void {
    const { transport } = this.options;
    const ice = transport.iceConnectionState;
    if (ice === 'connected' || ice === 'completed') this.#restored();
  }

  /** The connection works again: say so to the other side (a PING), and send what waited. */
  #restored(): void {
    if (this.#state !== 'reconnecting' || !this.options.transport.open) return;
    this.#clearTimers();
    this.#lastHeard = Date.now();
    this.#setState('connected');
    this.#ping();
    this.#flush();
  }

  #ping(): void {
    try {
      this.options.transport.send(encodePing());
      this.#lastSent = Date.now();
    } catch {
      // The channel is closing; its 'close' event decides what happens next.
    }
  }

  #startRestart(): void {
    if (this.#state !== 'connected') return;
    this.#clearTimers();
    this.#setState('reconnecting');
    this.#attempt = 0;
    const timeout = this.options.iceRestartTimeoutMs;
    this.#deadline = setTimeout(
      () => this.#fail(`lost the connection and could not restore it within ${timeout} ms`),
      timeout,
    );
    this.#attemptRestart(true);
  }

  /** One ICE-restart attempt now (if possible), and the next one scheduled. */
  #attemptRestart(reschedule: boolean): void {
    if (this.#state !== 'reconnecting') return;
    if (reschedule) {
      clearTimeout(this.#retryTimer);
      const wait = Math.min(RESTART_RETRY_MS * 2 ** this.#attempt, RESTART_RETRY_MAX_MS);
      this.#attempt += 1;
      this.#retryTimer = setTimeout(() => this.#attemptRestart(true), wait);
    }
    if (!this.options.canSignal()) return; // signalingRestored() tries again
    if (this.options.initiator) this.#offerRestart();
    else this.options.sendSignal({ type: 'renegotiate', renegotiate: true });
  }

  /** Initiator: an ICE-restart offer, unless one went out just now or still awaits its answer. */
  #offerRestart(): void {
    const { transport } = this.options;
    const since = Date.now() - this.#lastOfferAt;
    const waiting = transport.signalingState === 'have-local-offer';
    if (since < MIN_OFFER_GAP_MS || (waiting && since < STALE_OFFER_MS)) return;
    this.#lastOfferAt = Date.now();
    // A failed attempt (e.g. createOffer on a closing connection) is retried by the timer.
    transport.restartIce(this.options.iceServers()).catch(() => {});
  }

  #flush(): void {
    const { transport } = this.options;
    if (this.#state !== 'connected' || !transport.open) return;
    try {
      if (this.#outbox.length > 0) this.#lastSent = Date.now();
      if (!this.#outbox.flush(transport)) transport.awaitDrain();
    } catch {
      // The channel closed under us; its 'close' event decides what happens next.
    }
  }

  #onTransportClose(error: Error | undefined): void {
    if (this.#state === 'closed' || this.#state === 'failed') return;
    this.#clearTimers();
    this.#timer = setTimeout(
      () => this.#fail(`the connection closed${error ? ` (${error.message})` : ''}`, error),
      CLOSE_GRACE_MS,
    );
  }

  #fail(reason: string, cause?: unknown): void {
    if (this.#state === 'closed' || this.#state === 'failed') return;
    if (this.options.onGiveUp?.(reason)) {
      this.close();
      return;
    }
    this.#clearTimers();
    clearInterval(this.#liveness);
    this.#state = 'failed';
    this.options.transport.close();
    const dropped = this.#outbox.clear();
    const unsent = dropped ? `; ${dropped} queued message(s) were not sent` : '';
    this.options.onState('failed');
    this.options.onError(
      this.#about(new PeerlaneError('PEER_UNREACHABLE', `${reason}${unsent}`, { cause })),
    );
  }

  /** The same error, naming the peer. */
  #about(error: PeerlaneError): PeerlaneError {
    return new PeerlaneError(error.code, `peer ${this.options.remoteId}: ${error.message}`, {
      peerId: this.options.remoteId,
      cause: error.cause,
    });
  }

  #setState(state: ConnectionState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.options.onState(state);
  }

  #clearTimers(): void {
    clearTimeout(this.#timer);
    clearTimeout(this.#deadline);
    clearTimeout(this.#retryTimer);
    this.#timer = undefined;
    this.#deadline = undefined;
    this.#retryTimer = undefined;
  }
}

/** The session id of an SDP's `o=` line (RFC 8866 §5.2), or '' when there is none. */
function sessionId(sdp: string): string {
  return /^o=\S+ (\S+) /m.exec(sdp)?.[1] ?? '';
}
