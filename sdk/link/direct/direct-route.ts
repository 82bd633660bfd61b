/**
 * The direct route to one remote peer: one RTCPeerConnection (`rtc-connection.ts`), its two
 * lanes, and the state machine that keeps it alive — first connection, liveness, ICE
 * restart, giving up.
 *
 * States: `connecting` (the first connection is being made) → `connected` (the message
 * lane is open) ⇄ `reconnecting` (it broke; an ICE restart is under way on the same
 * RTCPeerConnection, so data channels and media tracks survive) → `failed` (not made, or not
 * restored, in time) or `closed` (closed on purpose).
 *
 * Liveness: a PING goes out every {@link KEEPALIVE_MS}, or every {@link CALL_KEEPALIVE_MS}
 * while a call runs on the connection (`PeerMedia.live`: a call sends no data the link's
 * stall watch could see), and says which; nothing heard from the peer for
 * {@link SILENT_PINGS} of *its* intervals means the path is gone (7.5 s, or 3 s in a call).
 *
 * ICE restart: on ICE `disconnected` for `iceRestartDelayMs`, at once on `failed`, on
 * silence (above), or when the link saw its data stall (`stalled()`), the route goes
 * `reconnecting`. The initiator offers fresh ICE credentials; the other side asks it to
 * with a `renegotiate` signal. Attempts repeat (2 s, 4 s, 8 s… apart) while signaling is
 * up, until the path works again or `iceRestartTimeoutMs` passes and the route fails. The
 * path works again when a frame arrives, or — unless the restart began with a stall or
 * silence, which ICE may not have noticed at all — when ICE says `connected` after a
 * negotiation. PINGs go out while reconnecting too, so each side soon hears the other once
 * a path works.
 *
 * The route carries no messages of its own: the link (`../link.ts`) sends on its lanes.
 *
 * Over 300 lines on purpose: one state machine whose timers (connect, restart delay,
 * retries, deadline, close grace, liveness) interlock; split, they would be read apart.
 */
import type { SignalData } from '../../../signaling/protocol.js';
import type { ConnectionState, PeerStats } from '../../api.js';
import type { PeerMedia } from '../../media/peer-media.js';
import { BlockedTime } from '../blocked-time.js';
import { encodePing, pingInterval } from '../framing.js';
import type { Lane, Route } from '../lane.js';
import { CallPace, PACE, readCallSample } from './call-pace.js';
import type { RtcConnection, RtcConnectionEvents } from './rtc-connection.js';
import { readStats, StatsSampler, selectedTransport } from './stats.js';

/** What a direct route needs of its connection (a fake in unit tests). */
export interface DirectConnection
  extends Route,
    Pick<
      RtcConnection,
      'iceConnectionState' | 'signalingState' | 'peerConnection' | 'signal' | 'restartIce' | 'close'
    > {
  on<K extends keyof RtcConnectionEvents>(event: K, listener: RtcConnectionEvents[K]): unknown;
}

/** Timing of a direct route, in ms (see `joinRoom`'s options of the same names). */
export interface DirectTiming {
  peerConnectTimeoutMs: number;
  iceRestartDelayMs: number;
  iceRestartTimeoutMs: number;
}

/** Options of a {@link DirectRoute}. */
export interface DirectRouteOptions extends DirectTiming {
  connection: DirectConnection;
  /** True on the side that makes offers (and so the ICE-restart offers). */
  initiator: boolean;
  /** The media sent and received on this connection, if the room made any. */
  media?: PeerMedia;
  /** The most files may take while a call runs here, bytes per second (`call-pace.ts`). */
  callFilePace: number;
  /** The ICE servers to use now (they may change after a signaling reconnect). */
  iceServers(): RTCIceServer[];
  /** True while signaling can carry a signal to the remote peer. */
  canSignal(): boolean;
  sendSignal(data: SignalData): void;
  /** The state changed (`connected`, `reconnecting`). Not called for `failed` or `closed`. */
  onState(state: ConnectionState): void;
  /** The route failed: not made or not restored in time, or the connection closed. */
  onFail(reason: string, cause?: unknown): void;
  /** The selected candidate pair may have changed (the transport kind may differ). */
  onPathChange(): void;
}

/** First retry of an ICE restart after this long; each later one waits twice as long. */
const RESTART_RETRY_MS = 2000;
const RESTART_RETRY_MAX_MS = 8000;
/** An ICE-restart offer still unanswered after this long is replaced by a new one. */
const STALE_OFFER_MS = 5000;
/** At most one ICE-restart offer per this many ms, however often the other side asks. */
const MIN_OFFER_GAP_MS = 1000;
/** How often liveness is checked (and PINGs sent), ms. */
const LIVENESS_CHECK_MS = 500;
/** While connected, a PING goes out this often, so the other side always hears something. */
export const KEEPALIVE_MS = 2500;
/** The same while a call runs on the connection: a lost path must be noticed in seconds. */
export const CALL_KEEPALIVE_MS = 1000;
/**
 * Nothing heard for this many of the peer's ping intervals while connected: the path is
 * presumed broken even if ICE says otherwise (it may report late — 6–8 s after a path dies
 * in Chromium — or, in some implementations, on one side only).
 */
export const SILENT_PINGS = 3;
/** The silence that breaks an idle connection (the peer pings every {@link KEEPALIVE_MS}). */
export const SILENCE_MS = SILENT_PINGS * KEEPALIVE_MS;
/**
 * How long a connection that closed is given before the route fails: when the remote peer
 * leaves, the server's `peer-left` usually arrives first, and the route should then be
 * closed quietly rather than fail.
 */
export const CLOSE_GRACE_MS = 1000;

/** One remote peer's direct route (see the file's comment). */
export class DirectRoute implements Route {
  #state: ConnectionState = 'connecting';
  #connectedOnce = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #deadline: ReturnType<typeof setTimeout> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #liveness: ReturnType<typeof setInterval> | undefined;
  #attempt = 0;
  #lastOfferAt = Number.NEGATIVE_INFINITY;
  #lastHeard = 0;
  /** When the peer was last heard on this route (`#lastHeard` moves on for blocked time). */
  #heardAt = 0;
  #lastPing = 0;
  /** Time the page's thread was blocked between liveness checks: no proof of silence. */
  readonly #blocked = new BlockedTime(LIVENESS_CHECK_MS);
  /** How often this side pings now. */
  #pingEvery = KEEPALIVE_MS;
  /** How often the peer said it pings (older peers do not say: the default). */
  #peerPingEvery = KEEPALIVE_MS;
  /** simple-peer said `connect` (its own channel is open). */
  #peerConnected = false;
  /**
   * A restart began without ICE noticing (a stall, or silence): ICE saying `connected`
   * proves nothing then — only data does (a frame heard, a buffer drained).
   */
  #needsProof = false;
  /** Bytes the lanes buffered when the restart began. */
  #stalledBuffered = 0;
  /** The connection closed (said so, or found closed): nothing restores this route. */
  #gone = false;
  /** Answerer: the SDP session id of the remote RTCPeerConnection this route talks to. */
  #remoteSession: string | undefined;
  readonly #stats: StatsSampler;
  /** While a call runs on the connection: the pace of its files (`call-pace.ts`). */
  #pace: CallPace | undefined;
  #paceReadAt = Number.NEGATIVE_INFINITY;
  #paceReading = false;

  constructor(private readonly options: DirectRouteOptions) {
    const { connection } = options;
    this.#stats = new StatsSampler(() => connection.peerConnection);
    connection.on('signal', (data) => options.sendSignal(data));
    connection.on('connect', () => {
      this.#peerConnected = true;
      this.#onConnect();
    });
    connection.on('ice-state', (state) => this.#onIceState(state));
    connection.on('negotiated', () => this.#checkRestored());
    connection.on('close', (error) => this.#onConnectionClose(error));
    // Frames arriving prove the path works, whatever ICE state events said (or did not).
    const heard = () => {
      this.#heardAt = Date.now();
      this.#lastHeard = this.#heardAt;
      if (this.#state === 'reconnecting') this.#restored();
    };
    const heardMessage = (frame: Uint8Array) => {
      this.#peerPingEvery = pingInterval(frame) ?? this.#peerPingEvery;
      heard();
    };
    connection.message.on('frame', heardMessage).on('open', () => this.#onConnect());
    connection.bulk.on('frame', heard);
    this.#timer = setTimeout(
      () => this.#fail(`could not connect within ${options.peerConnectTimeoutMs} ms`),
      options.peerConnectTimeoutMs,
    );
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get message(): Lane {
    return this.options.connection.message;
  }

  get bulk(): Lane {
    return this.options.connection.bulk;
  }

  /** The media on this connection, if the room made any. */
  get media(): PeerMedia | undefined {
    return this.options.media;
  }

  /** A snapshot of the connection's statistics, or undefined once it is closed. */
  stats(): Promise<PeerStats | undefined> {
    return this.#stats.sample();
  }

  /** What the selected candidate pair goes through: `direct` or `turn`. */
  transportKind(): Promise<'direct' | 'turn'> {
    return selectedTransport(() => this.options.connection.peerConnection);
  }

  /**
   * True when `offerSdp` comes from another RTCPeerConnection than the one this route
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
    this.options.connection.signal(data);
  }

  /**
   * The link saw data wait with nothing moving for its `stallMs`: unless the peer was heard
   * on this route after `since` (ms, `Date.now()`'s clock; the link picks a moment after
   * the data stopped), the path is presumed broken even though ICE has not said so (yet),
   * and ICE restarts, as for `disconnected`. A peer heard since (its PINGs, every second in
   * a call; its acknowledgements and file credit) means the path works: the data waits on
   * the peer — a busy page that reads slowly, a full receive window — and moving to the
   * relay would only slow it further. A path that dies one way only is noticed by the side
   * that stops hearing (silence, above), which asks for the restart.
   */
  stalled(since: number): void {
    if (this.#heardAt > since) return;
    this.#startRestart(true);
  }

  /** Signaling is back: a stalled ICE restart may proceed at once. */
  signalingRestored(): void {
    if (this.#state === 'reconnecting') this.#attemptRestart(true);
  }

  /** Closes the route for good; no state event follows. */
  close(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#stop();
    this.options.connection.close();
  }

  /** Connected once simple-peer says so *and* the message lane is open (either comes first). */
  #onConnect(): void {
    if (this.#state !== 'connecting' || !this.#peerConnected || !this.message.open) return;
    this.#connectedOnce = true;
    this.#clearTimers();
    this.#lastHeard = Date.now();
    this.#blocked.start(this.#lastHeard);
    this.#liveness = setInterval(() => this.#checkLiveness(), LIVENESS_CHECK_MS);
    this.#watchSelectedPair();
    this.#setState('connected');
    this.options.media?.open();
  }

  /** Keeps the other side hearing from us, and notices when we stop hearing from it. */
  #checkLiveness(): void {
    if (this.#state !== 'connected' && this.#state !== 'reconnecting') return;
    // Closed under the route: RTCPeerConnection.close() fires no event, and its channels
    // keep looking open while their buffers empty — which must not pass for a working path.
    if (!this.#gone && this.options.connection.signalingState === 'closed') {
      this.#onConnectionClose(undefined);
      return;
    }
    const now = Date.now();
    this.#lastHeard += this.#blocked.since(now);
    if (
      this.#state === 'connected' &&
      now - this.#lastHeard >= SILENT_PINGS * this.#peerPingEvery
    ) {
      this.#startRestart(true);
      return;
    }
    // After a stall, a buffer that drains proves the path as well as a frame heard.
    if (this.#needsProof && this.#buffered() < this.#stalledBuffered) this.#restored();
    this.#updatePace(now);
    const every = this.options.media?.live ? CALL_KEEPALIVE_MS : KEEPALIVE_MS;
    // A new interval is said at once: the peer must not wait out the old one.
    if (every !== this.#pingEvery || now - this.#lastPing >= every) {
      this.#pingEvery = every;
      this.#ping();
    }
  }

  /**
   * While a call runs on the connection, paces its files (`call-pace.ts`): the pace is read
   * again every {@link PACE.everyMs} from the connection's statistics. Without a call, or
   * while reconnecting (files are on the relay then), the bulk lane is not paced.
   */
  #updatePace(now: number): void {
    const bulk = this.options.connection.bulk;
    if (!this.options.media?.live || this.#state !== 'connected') {
      this.#pace = undefined;
      bulk.pace = undefined;
      return;
    }
    if (!this.#pace) {
      this.#pace = new CallPace(this.options.callFilePace);
      bulk.pace = this.#pace.bytesPerSecond;
      this.#paceReadAt = now;
    }
    const pc = this.options.connection.peerConnection;
    if (!pc || this.#paceReading || now - this.#paceReadAt < PACE.everyMs) return;
    this.#paceReading = true;
    this.#paceReadAt = now;
    readStats(pc)
      .then((reports) => {
        const pace = this.#pace;
        if (!pace) return; // the call ended meanwhile
        bulk.pace = pace.update(readCallSample(reports));
      })
      .catch(() => {}) // closing: the next check ends the pace
      .finally(() => {
        this.#paceReading = false;
      });
  }

  /** Bytes both lanes buffer now. */
  #buffered(): number {
    return this.message.bufferedAmount + this.bulk.bufferedAmount;
  }

  /**
   * Tells the link when the selected candidate pair changes (the path may move onto TURN
   * without any ICE state change). Where RTCIceTransport is missing, ICE state changes and
   * restorations still tell it.
   */
  #watchSelectedPair(): void {
    const ice = this.options.connection.peerConnection?.sctp?.transport?.iceTransport;
    if (typeof ice?.addEventListener !== 'function') return;
    ice.addEventListener('selectedcandidatepairchange', () => {
      if (this.#state === 'connected') this.options.onPathChange();
    });
  }

  #onIceState(state: RTCIceConnectionState): void {
    if (!this.#connectedOnce) return; // the first connection has its own timeout
    if (state === 'connected' || state === 'completed') {
      if (this.#state === 'connected') {
        clearTimeout(this.#timer);
        this.#timer = undefined;
        this.options.onPathChange();
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
   * Back to `connected` once ICE is connected while the message lane is still open. Checked
   * on ICE state changes and after each completed negotiation: an ICE restart of a
   * connection that still worked on this side may leave the state at 'connected' throughout.
   */
  #checkRestored(): void {
    if (this.#needsProof) return;
    const ice = this.options.connection.iceConnectionState;
    if (ice === 'connected' || ice === 'completed') this.#restored();
  }

  /** The path works again: say so to the other side (a PING). */
  #restored(): void {
    if (this.#state !== 'reconnecting' || this.#gone || !this.message.open) return;
    this.#clearTimers();
    this.#needsProof = false;
    this.#lastHeard = Date.now();
    this.#setState('connected');
    this.#ping();
  }

  #ping(): void {
    try {
      this.message.send(encodePing(this.#pingEvery));
      this.#lastPing = Date.now();
    } catch {
      // The channel is closing; the connection's 'close' decides what happens next.
    }
  }

  /** Restarts ICE; `unnoticed`: ICE has not seen the path break (see `#needsProof`). */
  #startRestart(unnoticed = false): void {
    if (this.#state !== 'connected') return;
    this.#needsProof = unnoticed;
    this.#stalledBuffered = unnoticed ? this.#buffered() : 0;
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
    const { connection } = this.options;
    const since = Date.now() - this.#lastOfferAt;
    const waiting = connection.signalingState === 'have-local-offer';
    if (since < MIN_OFFER_GAP_MS || (waiting && since < STALE_OFFER_MS)) return;
    this.#lastOfferAt = Date.now();
    // A failed attempt (e.g. createOffer on a closing connection) is retried by the timer.
    connection.restartIce(this.options.iceServers()).catch(() => {});
  }

  #onConnectionClose(error: Error | undefined): void {
    if (this.#state === 'closed' || this.#state === 'failed' || this.#gone) return;
    this.#gone = true;
    this.#clearTimers();
    this.#timer = setTimeout(
      () => this.#fail(`the connection closed${error ? ` (${error.message})` : ''}`, error),
      CLOSE_GRACE_MS,
    );
  }

  #fail(reason: string, cause?: unknown): void {
    if (this.#state === 'closed' || this.#state === 'failed') return;
    this.#state = 'failed';
    this.#stop();
    this.options.connection.close();
    this.options.onFail(reason, cause);
  }

  #setState(state: ConnectionState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.options.onState(state);
  }

  #stop(): void {
    this.#clearTimers();
    clearInterval(this.#liveness);
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
