/**
 * The link to one remote peer: everything that connects this peer to it. It owns the
 * ordered message stream (`message-stream.ts`), which outlives routes, and chooses the
 * route that carries it — `direct` (a WebRTC connection, `direct/`) or `relay` (the
 * server's WebSocket relay, `relay/`). Both routes offer the same two lanes (`lane.ts`),
 * so the link treats them alike; moving between them follows `handover.ts`.
 *
 * When to move: the relay takes over when the direct route is not open within
 * `relayFallbackMs` (Chromium reports nothing at all when no path exists), when it broke
 * and is not restored within `relayFallbackMs` (the ICE restart goes on meanwhile), or
 * when it fails. While on the relay, the initiator tries a fresh direct route every
 * `directRetryMs`; once one is open, both sides move back to it. File transfers follow
 * the bulk lane of the route in use (`onBulk`).
 *
 * Over 300 lines on purpose: the route choice is one state machine (timers, states, the
 * follow rule), and its transitions are easier to check side by side than across files.
 */
import type { PeerId, SignalData } from '../../signaling/protocol.js';
import type { ConnectionState, MessageData, TransportKind, TransportMode } from '../api.js';
import { PeerlaneError } from '../errors.js';
import type { DirectRoute, DirectRouteOptions } from './direct/direct-route.js';
import { Handover, type RouteName } from './handover.js';
import { type Lane, NoLane, type Route } from './lane.js';

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
>;

/** What the link hears from a direct route it made. */
export type DirectHooks = Pick<DirectRouteOptions, 'onState' | 'onFail'>;

/** Options of a {@link Link}. */
export interface LinkOptions {
  remoteId: PeerId;
  /** True on the side that makes offers (and so retries direct routes). */
  initiator: boolean;
  mode: TransportMode;
  maxMessageBytes: number;
  relayFallbackMs: number;
  directRetryMs: number;
  /** The relay route to the peer, or undefined when the server does not relay for us. */
  relay: Route | undefined;
  /** Makes a direct route (a new RTCPeerConnection) reporting to `hooks`. */
  createDirect(hooks: DirectHooks): Direct;
  onMessage(data: MessageData, broadcast: boolean): void;
  onState(state: ConnectionState): void;
  onError(error: PeerlaneError): void;
  onTransport(transport: TransportKind): void;
  /** The bulk lane changed: file transfers move to it. */
  onBulk(lane: Lane): void;
}

const NO_LANE = new NoLane();

/** One remote peer's link (see the file's comment). */
export class Link {
  readonly #stream: Handover;
  readonly #relay: Route | undefined;
  #direct: Direct | undefined;
  #sending: RouteName | undefined;
  #bulk: Lane | undefined;
  #state: ConnectionState = 'connecting';
  #transport: TransportKind | undefined;
  #fallbackTimer: ReturnType<typeof setTimeout> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  readonly #onRelayFrame = (frame: Uint8Array) => this.#receive(frame, 'relay');
  readonly #onRelayDrain = () => this.#stream.flush();

  constructor(private readonly options: LinkOptions) {
    this.#stream = new Handover({
      maxMessageBytes: options.maxMessageBytes,
      lane: () => this.#lane(),
      onMessage: options.onMessage,
      onSwitch: (route) => this.#followed(route),
      onProblem: (error) => options.onError(this.#about(error)),
    });
    this.#relay = options.relay;
    this.#relay?.message.on('frame', this.#onRelayFrame).on('drain', this.#onRelayDrain);
    if (options.mode === 'relay') {
      this.#bulk = this.#relay?.bulk;
      // After the constructor: the room hands the bulk lane to transfers made after this.
      queueMicrotask(() => {
        if (this.#relay) this.#use('relay');
        else this.#fail('transport is "relay" but the server does not relay for this peer');
      });
      return;
    }
    this.#newDirect();
    this.#bulk = this.#direct?.bulk;
    this.#armFallback();
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** What carries the messages now; undefined until the first route is up. */
  get transport(): TransportKind | undefined {
    return this.#transport;
  }

  /** The direct route now, if there is one (for media and statistics). */
  get direct(): Direct | undefined {
    return this.#direct;
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
    if (this.#sending === 'relay') this.#stream.announce('relay');
  }

  /** Closes every route for good; no state event follows. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#state = 'closed';
    clearTimeout(this.#fallbackTimer);
    clearTimeout(this.#retryTimer);
    this.#relay?.message.off('frame', this.#onRelayFrame).off('drain', this.#onRelayDrain);
    this.#stream.clear();
    this.#direct?.close();
  }

  #newDirect(): void {
    this.#direct?.close();
    const created: Direct = this.options.createDirect({
      onState: (state) => this.#onDirectState(created, state),
      onFail: (reason, cause) => this.#onDirectFail(created, reason, cause),
    });
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
      clearTimeout(this.#fallbackTimer);
      clearTimeout(this.#retryTimer);
      if (this.#sending !== 'direct') this.#use('direct');
      else {
        // Restored after a break (its path may have changed, e.g. onto TURN), or a new
        // direct route replaced a failed one: transfers move to its bulk lane.
        this.#setBulk(direct.bulk);
        this.#updateTransport();
        this.#stream.flush();
      }
    } else if (state === 'reconnecting' && this.#sending === 'direct') {
      this.#armFallback();
    }
    this.#updateState();
  }

  /** The direct route failed: the relay takes over if there is one; else the link fails. */
  #onDirectFail(direct: Direct, reason: string, cause: unknown): void {
    if (this.#closed || direct !== this.#direct) return;
    if (this.#relay) {
      this.#direct = undefined;
      this.#use('relay');
      this.#scheduleRetry();
      return;
    }
    this.#fail(reason, cause);
  }

  /** The relay takes over unless the direct route is up by then. */
  #armFallback(): void {
    clearTimeout(this.#fallbackTimer);
    if (!this.#relay) return;
    this.#fallbackTimer = setTimeout(() => {
      if (this.#direct?.state !== 'connected' || this.#sending !== 'direct') {
        this.#use('relay');
        this.#scheduleRetry();
      }
    }, this.options.relayFallbackMs);
  }

  /** Initiator, on the relay: a fresh direct route every `directRetryMs`. */
  #scheduleRetry(): void {
    if (!this.options.initiator || this.options.mode === 'relay') return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      if (this.#closed || this.#sending !== 'relay') return;
      const state = this.#direct?.state;
      // Open here while the other side moved away from it: offer it again.
      if (state === 'connected') this.#use('direct');
      // A route still trying (ICE restart, or a first connection) is left to finish.
      else if (state !== 'connecting' && state !== 'reconnecting') this.#newDirect();
      this.#scheduleRetry();
    }, this.options.directRetryMs);
  }

  /** Sends on `route` from now on (`handover.ts`). */
  #use(route: RouteName): void {
    if (this.#closed || this.#sending === route) return;
    if (route === 'relay' && !this.#relay) return;
    if (route === 'direct' && this.#direct?.state !== 'connected') return;
    clearTimeout(this.#fallbackTimer);
    this.#sending = route;
    this.#stream.announce(route);
    const bulk = route === 'relay' ? this.#relay?.bulk : this.#direct?.bulk;
    if (bulk) this.#setBulk(bulk);
    this.#updateState();
    this.#updateTransport();
  }

  #setBulk(bulk: Lane): void {
    if (bulk === this.#bulk) return;
    this.#bulk = bulk;
    this.options.onBulk(bulk);
  }

  #receive(frame: Uint8Array, route: RouteName): void {
    if (!this.#closed) this.#stream.receive(frame, route);
  }

  /**
   * The other side moved to `route`: follow it, preferring direct. To direct once it is
   * open here (#use checks); to the relay unless direct works here. Following only towards
   * what works here keeps two sides that switched at the same moment from swapping forever.
   */
  #followed(route: RouteName): void {
    if (route === 'direct' || this.#direct?.state !== 'connected') this.#use(route);
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
    if (this.#sending === 'relay') state = 'connected';
    else if (this.#sending === 'direct')
      state = direct === 'connected' || direct === 'reconnecting' ? direct : 'failed';
    else state = 'connecting';
    this.#setState(state);
  }

  /** `relay` at once; for direct, the selected candidate pair says `direct` or `turn`. */
  #updateTransport(): void {
    if (this.#sending === 'relay') {
      this.#setTransport('relay');
      return;
    }
    const direct = this.#direct;
    if (!direct) return;
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
  #fail(reason: string, cause?: unknown): void {
    if (this.#closed || this.#state === 'failed') return;
    const dropped = this.#stream.clear();
    const unsent = dropped ? `; ${dropped} queued message(s) were not sent` : '';
    this.#setState('failed');
    this.options.onError(
      this.#about(new PeerlaneError('PEER_UNREACHABLE', `${reason}${unsent}`, { cause })),
    );
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
