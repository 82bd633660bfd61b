/**
 * The link to one remote peer: everything that connects this peer to it. It owns the
 * ordered message stream (`handover.ts`), which outlives routes, and chooses the route
 * that carries it — `direct` (a WebRTC connection, `direct/`) or `relay` (the server's
 * WebSocket relay, `relay/`). Both routes offer the same two lanes (`lane.ts`), so the
 * link treats them alike; moving between them follows `handover.ts`.
 *
 * The rules, where the server relays for this peer (`transport: 'auto'`):
 * - First message at once: messages and files start on the relay while the first direct
 *   route is made, and move to it the moment it opens. (Files do not wait for it: the two
 *   sides would choose at different moments, and the receiver must read where the sender
 *   writes; a hand-over moves both together.) A first route not open within
 *   `relayFallbackMs` is given up on: media is reported unavailable, and retries start.
 * - Failover in seconds: when the direct route stalls (`stall-watch.ts`: data waits and
 *   nothing moved for `stallMs`, and the peer was not heard there either) or breaks (ICE
 *   `disconnected`, `failed`, or silence), messages and files move to the relay at once
 *   while the ICE restart goes on, and move back when the route is restored.
 * - Calls first: while a call runs over the relay, its files keep to `callFilePace` (a
 *   direct route paces its own files: `direct/call-pace.ts`).
 * - Retries: while on the relay with no direct route, the initiator makes a fresh one every
 *   `directRetryMs` (one still being made is replaced; one being restored is left to finish).
 * - On the relay the link sends a PING every `KEEPALIVE_MS`; a peer heard on no route for
 *   `RELAY_SILENCE_MS` makes the link `reconnecting` (its network may be gone).
 * Without a relay, messages wait for the direct route and the link fails with it.
 *
 * Over 300 lines on purpose: the route choice is one state machine (timers, states, the
 * follow rule), and its transitions are easier to check side by side than across files.
 */
import type { PeerId, SignalData } from '../../signaling/protocol.js';
import type {
  ConnectionState,
  MediaState,
  MessageData,
  PeerStats,
  TransportKind,
  TransportMode,
} from '../api.js';
import { PeerlaneError } from '../errors.js';
import { type DirectRoute, type DirectRouteOptions, KEEPALIVE_MS } from './direct/direct-route.js';
import { encodePing } from './framing.js';
import { Handover, type RouteName } from './handover.js';
import { type Lane, NoLane, type Route } from './lane.js';
import { mediaState, type RelayMediaControl } from './media-state.js';
import { StallWatch } from './stall-watch.js';

/** What a link needs of a direct route (a fake in unit tests). */
export type Direct = Pick<
  DirectRoute,
  | 'state'
  | 'message'
  | 'bulk'
  | 'signal'
  | 'signalingRestored'
  | 'close'
  | 'isNewSession'
  | 'transportKind'
  | 'stats'
  | 'media'
  | 'stalled'
>;

/** What the link hears from a direct route it made. */
export type DirectHooks = Pick<DirectRouteOptions, 'onState' | 'onFail' | 'onPathChange'>;

/** A peer heard on no route for this long, while on the relay: the link is `reconnecting`. */
export const RELAY_SILENCE_MS = 3 * KEEPALIVE_MS;

/** Options of a {@link Link}. */
export interface LinkOptions {
  remoteId: PeerId;
  /** True on the side that makes offers (and so retries direct routes). */
  initiator: boolean;
  mode: TransportMode;
  maxMessageBytes: number;
  relayFallbackMs: number;
  directRetryMs: number;
  stallMs: number;
  /** The most files may take over the relay while a call runs there, bytes per second. */
  callFilePace: number;
  /** The relay route to the peer, or undefined when the server does not relay for us. */
  relay: Route | undefined;
  /**
   * Makes the relayed media of this link (with a relay route); `onChange`: its `media`
   * may have changed. Without it, media never takes the relay.
   */
  relayMedia?: (onChange: () => void) => RelayMediaControl;
  /** Makes a direct route (a new RTCPeerConnection) reporting to `hooks`. */
  createDirect(hooks: DirectHooks): Direct;
  onMessage(data: MessageData, broadcast: boolean): void;
  onState(state: ConnectionState): void;
  onError(error: PeerlaneError): void;
  onTransport(transport: TransportKind): void;
  onMedia(media: MediaState): void;
  /** The bulk lane changed: file transfers move to it. */
  onBulk(lane: Lane): void;
}

const NO_LANE = new NoLane();

/** One remote peer's link (see the file's comment). */
export class Link {
  readonly #stream: Handover;
  readonly #relay: Route | undefined;
  readonly #relayMedia: RelayMediaControl | undefined;
  readonly #stall: StallWatch;
  #direct: Direct | undefined;
  #sending: RouteName | undefined;
  /** Until the first direct route opens or is given up on (`relayFallbackMs`). */
  #early: boolean;
  #bulk: Lane | undefined;
  #state: ConnectionState = 'connecting';
  #transport: TransportKind | undefined;
  #media: MediaState;
  /** When a frame last came from the peer, on any route. */
  #heardAt = Date.now();
  #startTimer: ReturnType<typeof setTimeout> | undefined;
  #fallbackTimer: ReturnType<typeof setTimeout> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #keepalive: ReturnType<typeof setInterval> | undefined;
  /** No RTCPeerConnection could be made here (`#refuseDirect`): none is tried again. */
  #directRefused = false;
  #closed = false;
  /** The peer could not be trusted (`refuse`): failed with `E2EE_MISMATCH`. */
  #refused = false;
  readonly #onRelayFrame = (frame: Uint8Array) => this.#receive(frame, 'relay');
  readonly #onRelayDrain = () => this.#stream.flush();

  constructor(private readonly options: LinkOptions) {
    this.#stream = new Handover({
      maxMessageBytes: options.maxMessageBytes,
      lane: () => this.#lane(),
      onMessage: options.onMessage,
      onSwitch: (route, down) => this.#followed(route, down),
      onProblem: (error) => options.onError(this.#about(error)),
      onResend: () => {
        if (this.#sending) this.#announce(this.#sending);
      },
    });
    this.#stall = new StallWatch({
      stallMs: options.stallMs,
      waitingSince: () => this.#stream.waitingSince,
      lanes: () => this.#watchedLanes(),
      onStall: (since) => this.#onStall(since),
    });
    this.#relay = options.relay;
    this.#relayMedia = options.relay ? options.relayMedia?.(() => this.#updateMedia()) : undefined;
    this.#relay?.message.on('frame', this.#onRelayFrame).on('drain', this.#onRelayDrain);
    this.#early = options.mode !== 'relay';
    this.#media = mediaState(options.mode, undefined, this.#early, undefined);
    if (options.mode === 'relay') {
      this.#bulk = this.#relay?.bulk;
      // In a task of its own: the room hands the bulk lane to transfers made after this, and
      // the application (listening once joinRoom() returned) hears every event.
      this.#startTimer = setTimeout(() => {
        if (this.#relay) this.#use('relay');
        else this.#fail('transport is "relay" but the server does not relay for this peer');
      }, 0);
      return;
    }
    this.#newDirect();
    this.#bulk = this.#relay?.bulk ?? this.#direct?.bulk;
    if (!this.#relay) return;
    // Messages and files start on the relay at once (in a task of its own, as above), while
    // the direct route is made.
    this.#startTimer = setTimeout(() => {
      if (this.#sending === undefined) this.#use('relay');
    }, 0);
    this.#fallbackTimer = setTimeout(() => this.#giveUpEarly(), options.relayFallbackMs);
  }

  /** The link failed because the peer could not be trusted ({@link refuse}). */
  get refused(): boolean {
    return this.#refused;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** What carries the messages now; undefined until the first route is up. */
  get transport(): TransportKind | undefined {
    return this.#transport;
  }

  /** Whether audio and video can reach the peer now (see `MediaState`). */
  get media(): MediaState {
    return this.#media;
  }

  /** Relayed audio and video so far, as `getStats()` counts them on the relay. */
  relayMediaStats(): Pick<PeerStats, 'inbound' | 'outbound'> {
    return this.#relayMedia?.stats() ?? { inbound: {}, outbound: {} };
  }

  /** The direct route now, if there is one (for media and statistics). */
  get direct(): Direct | undefined {
    return this.#direct;
  }

  /** Whether file transfers use the relay now. */
  get bulkOnRelay(): boolean {
    return this.#relay !== undefined && this.bulk === this.#relay.bulk;
  }

  /** The lane file transfers use now. */
  get bulk(): Lane {
    return this.#bulk ?? this.#relay?.bulk ?? this.#direct?.bulk ?? NO_LANE;
  }

  /** Bytes waiting to be sent: queued messages plus what the lane in use buffers. */
  get bufferedAmount(): number {
    return this.#stream.queuedBytes + (this.#lane()?.bufferedAmount ?? 0);
  }

  /** Queues one message (already checked and encoded) and sends what the lane can take. */
  send(text: boolean, bytes: Uint8Array, broadcast = false): void {
    this.#stream.send(text, bytes, broadcast);
  }

  /** Applies signaling data from the remote peer. */
  signal(data: SignalData): void {
    if (this.#closed || this.options.mode === 'relay') return;
    const direct = this.#direct;
    // An offer from a new RTCPeerConnection of the peer (it gave up on the old one).
    const fresh =
      data.type === 'offer' &&
      !this.options.initiator &&
      (!direct || direct.state === 'closed' || direct.isNewSession(data.sdp));
    if (fresh) this.#newDirect();
    this.#direct?.signal(data);
  }

  /** Signaling is back: a stalled ICE restart may go on, and relay frames may have been lost. */
  signalingRestored(): void {
    this.#direct?.signalingRestored();
    if (this.#sending === 'relay') this.#announce('relay');
  }

  /**
   * The peer cannot be trusted (with `e2ee`: its handshake or relayed data is not sealed
   * with the room's secret): the link fails with `E2EE_MISMATCH`, and its direct route is
   * closed. Later calls change nothing.
   */
  refuse(reason: string): void {
    if (this.#closed || this.#state === 'failed') return;
    this.#refused = true;
    clearTimeout(this.#fallbackTimer);
    clearTimeout(this.#retryTimer);
    this.#direct?.close();
    this.#fail(reason, undefined, 'E2EE_MISMATCH');
  }

  /** Closes every route for good; no state event follows. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#state = 'closed';
    clearTimeout(this.#startTimer);
    clearTimeout(this.#fallbackTimer);
    clearTimeout(this.#retryTimer);
    clearInterval(this.#keepalive);
    this.#stall.stop();
    this.#relay?.message.off('frame', this.#onRelayFrame).off('drain', this.#onRelayDrain);
    this.#relayMedia?.close();
    this.#stream.clear();
    this.#direct?.close();
  }

  #newDirect(): void {
    this.#direct?.close();
    this.#direct = undefined;
    if (this.#directRefused) return;
    let created: Direct;
    try {
      created = this.options.createDirect({
        onState: (state) => this.#onDirectState(created, state),
        onFail: (reason, cause) => this.#onDirectFail(created, reason, cause),
        onPathChange: () => {
          if (created === this.#direct) this.#updateTransport();
        },
      });
    } catch (error) {
      this.#refuseDirect(error);
      return;
    }
    created.message
      .on('frame', (frame) => {
        if (this.#direct === created) this.#receive(frame, 'direct');
      })
      .on('drain', () => {
        if (this.#direct === created) this.#stream.flush();
      });
    this.#direct = created;
  }

  #onDirectState(direct: Direct, state: ConnectionState): void {
    if (this.#closed || direct !== this.#direct) return;
    if (state === 'connected') {
      this.#early = false;
      clearTimeout(this.#fallbackTimer);
      clearTimeout(this.#retryTimer);
      if (this.#sending !== 'direct') this.#use('direct');
      else {
        // A new direct route replaced a failed one while messages waited for it.
        this.#updateBulk();
        this.#updateTransport();
        this.#stream.flush();
      }
    } else if (state === 'reconnecting' && this.#relay) {
      // Broken: the relay carries on while the ICE restart goes on.
      this.#use('relay');
    }
    this.#updateState();
  }

  /** The direct route failed: the relay takes over if there is one; else the link fails. */
  #onDirectFail(direct: Direct, reason: string, cause: unknown): void {
    if (this.#closed || direct !== this.#direct) return;
    if (this.#relay) {
      this.#direct = undefined;
      this.#early = false;
      clearTimeout(this.#fallbackTimer);
      this.#use('relay');
      this.#scheduleRetry();
      this.#updateState();
      return;
    }
    this.#fail(reason, cause);
  }

  /**
   * No RTCPeerConnection could be made (the runtime refused its configuration — an ICE
   * server URL it does not take — or has no WebRTC): as that will not change, no direct
   * route is tried again. The app is told why (`NO_WEBRTC`, naming the peer); the relay
   * carries the peer if there is one, else the link fails. Told in a task of its own: this
   * may run inside the constructor, before anyone listens.
   */
  #refuseDirect(error: unknown): void {
    this.#directRefused = true;
    this.#early = false;
    clearTimeout(this.#fallbackTimer);
    clearTimeout(this.#retryTimer);
    const why = error instanceof Error ? error.message : String(error);
    const cause = error instanceof PeerlaneError && error.cause !== undefined ? error.cause : error;
    const reason = `no direct connection can be made here: ${why}`;
    setTimeout(() => {
      if (this.#closed) return;
      if (!this.#relay) {
        this.#fail(reason, cause, 'NO_WEBRTC');
        return;
      }
      this.options.onError(this.#about(new PeerlaneError('NO_WEBRTC', reason, { cause })));
      this.#use('relay');
      this.#updateState();
    }, 0);
  }

  /** relayFallbackMs passed and the first direct route is not open: retries start. */
  #giveUpEarly(): void {
    if (this.#closed || !this.#early) return;
    this.#early = false;
    this.#scheduleRetry();
    this.#updateState();
  }

  /**
   * Initiator, on the relay: a fresh direct route every `directRetryMs` — unless the one
   * there is open (then use it) or being restored (left to finish).
   */
  #scheduleRetry(): void {
    if (!this.options.initiator || this.options.mode === 'relay' || this.#directRefused) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      if (this.#closed || this.#sending !== 'relay') return;
      const state = this.#direct?.state;
      // Open here while the other side moved away from it: offer it again.
      if (state === 'connected') this.#use('direct');
      else if (state !== 'reconnecting') this.#newDirect();
      this.#scheduleRetry();
    }, this.options.directRetryMs);
  }

  /** The route in use moved no data since `since` (for stallMs). */
  #onStall(since: number): void {
    if (this.#sending === 'direct') {
      // Unless the peer was heard there well after the data stopped — frames already on
      // their way when a path dies land just after, so a quarter of stallMs later — restart
      // ICE; the direct route goes `reconnecting`, and the relay takes over.
      this.#direct?.stalled(since + this.options.stallMs / 4);
    } else if (this.#sending === 'relay') {
      // Frames lost on the way (e.g. before the peer knew us), or acknowledgements sent
      // where we do not read: announce again, which also asks the peer to follow.
      this.#announce('relay');
    }
  }

  /** Sends on `route` from now on (`handover.ts`). */
  #use(route: RouteName): void {
    if (this.#closed || this.#sending === route) return;
    if (route === 'relay' && !this.#relay) return;
    if (route === 'direct' && this.#direct?.state !== 'connected') return;
    this.#sending = route;
    this.#announce(route);
    this.#stall.start();
    clearInterval(this.#keepalive);
    this.#keepalive = undefined;
    if (route === 'relay') {
      this.#keepalive = setInterval(() => this.#relayKeepalive(), KEEPALIVE_MS);
    }
    this.#updateBulk();
    this.#updateState();
    this.#updateTransport();
  }

  /** Files use the route messages use. */
  #updateBulk(): void {
    const useRelay = this.#sending === 'relay';
    const bulk = useRelay ? this.#relay?.bulk : (this.#direct?.bulk ?? this.#relay?.bulk);
    if (!bulk || bulk === this.#bulk) return;
    this.#bulk = bulk;
    this.options.onBulk(bulk);
  }

  /** On the relay: keep the peer hearing from us, and notice when it has gone silent. */
  #relayKeepalive(): void {
    try {
      this.#relay?.message.send(encodePing());
    } catch {
      // The relay is closing with the room.
    }
    this.#updateState();
  }

  #receive(frame: Uint8Array, route: RouteName): void {
    if (this.#closed) return;
    this.#heardAt = Date.now();
    if (this.#state === 'reconnecting') this.#updateState();
    this.#stream.receive(frame, route);
  }

  /** SWITCH to `route` (`handover.ts`), saying whether direct works here. */
  #announce(route: RouteName): void {
    this.#stream.announce(route, this.#direct?.state !== 'connected');
  }

  /**
   * The other side moved to `route`: follow it. To direct once it is open here (#use
   * checks). To the relay when direct does not work on one side or the other (`down`):
   * our acknowledgements and file credit must then reach the peer there. A peer that
   * merely chose the relay while direct works on both sides (its SWITCH crossed ours) is
   * not followed, so two sides never swap forever.
   */
  #followed(route: RouteName, down: boolean): void {
    if (route === 'direct' || down || this.#direct?.state !== 'connected') this.#use(route);
  }

  /** The lanes the stall watch looks at: the route in use (the relay's bulk lane is paced). */
  #watchedLanes(): Lane[] {
    if (this.#sending === 'direct' && this.#direct)
      return [this.#direct.message, this.#direct.bulk];
    if (this.#sending === 'relay' && this.#relay) return [this.#relay.message];
    return [];
  }

  /** The message lane of the route in use, if it can take frames now. */
  #lane(): Lane | undefined {
    if (this.#sending === 'relay') return this.#relay?.message;
    const direct = this.#direct;
    if (this.#sending === 'direct' && direct?.state === 'connected' && direct.message.open)
      return direct.message;
    return undefined;
  }

  #updateState(): void {
    if (this.#closed || this.#state === 'failed') return;
    const direct = this.#direct?.state;
    let state: ConnectionState;
    if (this.#sending === 'relay') {
      const silent = Date.now() - this.#heardAt >= RELAY_SILENCE_MS;
      state = silent && direct !== 'connected' ? 'reconnecting' : 'connected';
    } else if (this.#sending === 'direct')
      state = direct === 'connected' || direct === 'reconnecting' ? direct : 'failed';
    else state = 'connecting';
    this.#setState(state);
    this.#updateMedia();
  }

  /**
   * Media takes the relay while messages do and no direct route carries it: with
   * `transport: 'relay'`, once the first direct route was given up on, or while a broken
   * one is restored. Not in the first `relayFallbackMs`: a direct route usually opens
   * within them, and the stream would flip from relay to direct at once.
   */
  #relayMediaWanted(): boolean {
    if (!this.#relayMedia || this.#closed || this.#sending !== 'relay') return false;
    if (this.#direct?.state === 'connected') return false;
    return this.options.mode === 'relay' || !this.#early;
  }

  #updateMedia(): void {
    if (this.#closed) return;
    const relayed = this.#relayMediaWanted();
    this.#relayMedia?.setActive(relayed);
    // Calls first (see the file's comment).
    if (this.#relay) {
      this.#relay.bulk.pace = this.#relayMedia?.live ? this.options.callFilePace : undefined;
    }
    const media = mediaState(
      this.options.mode,
      this.#direct?.state,
      this.#early,
      relayed ? this.#relayMedia?.media : undefined,
    );
    if (media === this.#media) return;
    this.#media = media;
    this.options.onMedia(media);
  }

  /** `relay` at once; for direct, the selected candidate pair says `direct` or `turn`. */
  #updateTransport(): void {
    if (this.#sending === 'relay') {
      this.#setTransport('relay');
      return;
    }
    const direct = this.#direct;
    if (!direct || this.#sending !== 'direct') return;
    direct.transportKind().then((kind) => {
      if (this.#sending === 'direct' && this.#direct === direct) this.#setTransport(kind);
    });
  }

  #setTransport(transport: TransportKind): void {
    if (this.#closed || transport === this.#transport) return;
    this.#transport = transport;
    this.options.onTransport(transport);
  }

  #setState(state: ConnectionState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.options.onState(state);
  }

  /** No route where one is needed: the peer is unreachable; queued messages are dropped. */
  #fail(
    reason: string,
    cause?: unknown,
    code: 'PEER_UNREACHABLE' | 'E2EE_MISMATCH' | 'NO_WEBRTC' = 'PEER_UNREACHABLE',
  ): void {
    if (this.#closed || this.#state === 'failed') return;
    const dropped = this.#stream.clear();
    const unsent = dropped ? `; ${dropped} queued message(s) were not sent` : '';
    this.#stall.stop();
    clearInterval(this.#keepalive);
    this.#setState('failed');
    this.options.onError(this.#about(new PeerlaneError(code, `${reason}${unsent}`, { cause })));
  }

  /** The same error, naming the peer. */
  #about(error: PeerlaneError): PeerlaneError {
    const { remoteId } = this.options;
    return new PeerlaneError(error.code, `peer ${remoteId}: ${error.message}`, {
      peerId: remoteId,
      cause: error.cause,
    });
  }
}
