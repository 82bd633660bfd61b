import type { RawData, WebSocket } from 'ws';
import type { Admission } from './admission.js';
import type { createTokenVerifier } from './auth.js';
import { errorFrame, type FrameRejection, parseClientFrame } from './frames.js';
import type { Hub, LocalPeer, Session } from './hub.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { ResolvedOptions } from './options.js';
import {
  CLOSE_CODES,
  type ClientFrame,
  ERROR_CODES,
  type JoinFrame,
  type ServerFrame,
} from './protocol.js';
import { TokenBucket } from './token-bucket.js';

/** What every connection of one server shares. */
export interface ConnectionContext {
  hub: Hub;
  options: ResolvedOptions;
  admission: Admission;
  /** Checks room tokens; absent when the server does not require them. */
  verify: ReturnType<typeof createTokenVerifier> | undefined;
  metrics: Metrics;
  onClosed: (connection: Connection) => void;
}

type Outcome = FrameRejection | undefined | Promise<FrameRejection | undefined>;

const CONNECTION = Symbol('peerlane.connection');
type OwnedSocket = WebSocket & { [CONNECTION]: Connection };

// One set of listeners for every socket (`this` is the socket) rather than four closures per
// connection: at tens of thousands of sockets, per-connection objects are the memory cost.
function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  (this as OwnedSocket)[CONNECTION].receive(data as Buffer, isBinary);
}
function onPong(this: WebSocket): void {
  (this as OwnedSocket)[CONNECTION].ponged();
}
function onClose(this: WebSocket, code: number): void {
  (this as OwnedSocket)[CONNECTION].socketClosed(code);
}
function onError(this: WebSocket): void {
  (this as OwnedSocket)[CONNECTION].protocolError();
}

const RELAY_CREDIT_PREFIX = Buffer.from('{"type":"relay-credit"');

/** Frames held while a join is under way; a client has no reason to send more. */
const MAX_HELD_FRAMES = 64;

/** How a connection ended, which decides what the room is told. */
type Ending = 'client' | 'timeout' | 'dropped' | 'kicked' | 'retired' | 'shutdown';

/**
 * One WebSocket client: rate limits and validates its frames, hands them to the hub,
 * keeps its heartbeat, and tells the hub how it ended. Nothing thrown in here escapes.
 */
export class Connection implements Session {
  #member: LocalPeer | null = null;
  #ending: Ending = 'client';
  #pongTimer: NodeJS.Timeout | undefined;
  readonly #rate: TokenBucket;
  // Made on first use: most connections never misbehave, hold frames, or get waited on,
  // and at tens of thousands of sockets every object per connection counts.
  #violations: TokenBucket | undefined;
  /** Frames waiting their turn while an asynchronous frame (a join) finishes. */
  #held: ClientFrame[] | undefined;
  #pumping = false;
  #relayRate: TokenBucket | undefined;
  #creditRate: TokenBucket | undefined;
  /** Relay bytes handed to ws and not yet written, so they do not count as not reading. */
  #relayQueued = 0;
  #pausedUntil = 0;
  #resumeTimer: NodeJS.Timeout | undefined;
  #isClosed = false;
  #closed: { promise: Promise<void>; resolve: () => void } | undefined;

  private readonly hub: Hub;
  private readonly options: ResolvedOptions;
  private readonly metrics: Metrics;

  constructor(
    private readonly ws: WebSocket,
    /** The client's IP address, for per-address limits. */
    readonly address: string,
    private readonly context: ConnectionContext,
    /** This connection's log, with its id (and its peer id once joined) on every line. */
    private log: Logger,
  ) {
    const { hub, options, metrics } = context;
    this.hub = hub;
    this.options = options;
    this.metrics = metrics;
    this.#rate = new TokenBucket(options.rateBurst, options.rateLimit);
    (ws as OwnedSocket)[CONNECTION] = this;
    ws.on('message', onMessage);
    ws.on('pong', onPong);
    ws.on('close', onClose);
    ws.on('error', onError);
  }

  /** From the socket's listeners: a message arrived. */
  receive(data: Buffer, isBinary: boolean): void {
    try {
      this.#onMessage(data, isBinary);
    } catch (error) {
      this.#internalError(error);
    }
  }

  /** From the socket's listeners: the socket closed. */
  socketClosed(code: number): void {
    try {
      this.#onClose(code);
    } catch (error) {
      this.#internalError(error);
    }
  }

  /** From the socket's listeners: the client answered a ping. */
  ponged(): void {
    this.#clearPongTimer();
  }

  /**
   * From the socket's listeners: ws emits 'error' only for protocol violations (oversize,
   * bad opcode, bad UTF-8), then closes with 1002/1007/1009.
   */
  protocolError(): void {
    if (this.#ending === 'client') this.#ending = 'kicked';
  }

  /** Settles once the socket has closed. */
  get closed(): Promise<void> {
    if (this.#isClosed) return Promise.resolve();
    if (!this.#closed) {
      let resolve = (): void => {};
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      this.#closed = { promise, resolve };
    }
    return this.#closed.promise;
  }

  send(data: string | Buffer): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (typeof data !== 'string') {
      // Relay frames are bounded by the receiver's credit, not by maxBufferedBytes.
      this.#relayQueued += data.length;
      this.metrics.frameOut('{"type":"relay"');
      this.ws.send(data, () => {
        this.#relayQueued -= data.length;
      });
      return;
    }
    if (this.ws.bufferedAmount - this.#relayQueued > this.options.maxBufferedBytes) {
      this.#end('dropped', CLOSE_CODES.SLOW_CONSUMER, 'client is not reading', true);
      return;
    }
    this.metrics.frameOut(data);
    this.ws.send(data);
  }

  retire(): void {
    this.#member = null;
    this.#end('retired', CLOSE_CODES.SESSION_REPLACED, 'another connection resumed this peer');
  }

  /** Pings the client; if no pong comes within the timeout, the connection is presumed dead. */
  heartbeat(): void {
    if (this.#pongTimer || this.ws.readyState !== this.ws.OPEN) return;
    this.#pongTimer = setTimeout(() => {
      this.#pongTimer = undefined;
      this.#end('timeout', CLOSE_CODES.HEARTBEAT_TIMEOUT, 'heartbeat timeout', true);
    }, this.options.heartbeatTimeoutMs);
    this.#pongTimer.unref();
    this.ws.ping();
  }

  /** Closes with 1001 so the client reconnects and resumes elsewhere; the room hears nothing. */
  shutdown(): void {
    this.#end('shutdown', CLOSE_CODES.GOING_AWAY, 'server shutting down');
  }

  /** Cuts the connection without a closing handshake. */
  terminate(): void {
    this.ws.terminate();
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      this.#onRelayFrame(data);
      return;
    }
    if (!this.#bucketFor(data).take()) {
      const message = `more than ${this.options.rateLimit} frames per second; frame dropped`;
      this.#violation(errorFrame('RATE_LIMITED', message));
      return;
    }
    const parsed = parseClientFrame(data, this.options.maxPayload);
    this.metrics.frameIn(parsed.ok ? parsed.frame.type : 'invalid');
    if (!parsed.ok) {
      this.log.debug({ code: parsed.code }, 'invalid frame');
      this.#violation(errorFrame(parsed.code, parsed.message, parsed.ref));
      return;
    }
    if (this.#pumping) {
      this.#held ??= [];
      if (this.#held.length < MAX_HELD_FRAMES) this.#held.push(parsed.frame);
      else {
        const message = 'too many frames while a join is under way; frame dropped';
        this.#violation(errorFrame('RATE_LIMITED', message, parsed.frame.ref));
      }
      return;
    }
    const busy = this.#handle(parsed.frame);
    if (busy) void this.#pump(busy);
  }

  /**
   * Credit grants come with relay traffic, one per quarter window consumed, far more often
   * than anything else a client sends: they get a budget of their own (ten times the frame
   * rate). A frame that only pretends to be one gets that budget and fails validation.
   */
  #bucketFor(data: Buffer): TokenBucket {
    if (!data.subarray(0, RELAY_CREDIT_PREFIX.length).equals(RELAY_CREDIT_PREFIX))
      return this.#rate;
    this.#creditRate ??= new TokenBucket(this.options.rateBurst * 10, this.options.rateLimit * 10);
    return this.#creditRate;
  }

  /**
   * Relay frames skip the frame-rate limit (their size is what counts): over the byte
   * rate, the server stops reading this connection for a while instead of dropping data.
   */
  #onRelayFrame(frame: Buffer): void {
    this.metrics.frameIn('relay');
    if (frame.length > this.options.maxPayload) {
      const message = `frame is ${frame.length} bytes; the limit is ${this.options.maxPayload}`;
      this.#violation(errorFrame('FRAME_TOO_LARGE', message));
      return;
    }
    const member = this.#member;
    if (!member || this.#pumping) {
      this.#reply(errorFrame('NOT_JOINED', 'relay frames need a room; send join first'));
      return;
    }
    const outcome = this.hub.relay(member, frame);
    if (typeof outcome !== 'number') {
      this.#reply(errorFrame(outcome.code, outcome.message));
      return;
    }
    const limit = this.options.relayRateLimit;
    this.#relayRate ??= new TokenBucket(limit, limit);
    const pause = Math.max(outcome, this.#relayRate.consume(frame.length));
    if (pause > 0) this.#pauseReading(pause);
  }

  /**
   * Stops reading the socket for `ms`. Frames it had already buffered still arrive while
   * paused; each pushes the resume time out to cover its own cost.
   */
  #pauseReading(ms: number): void {
    const until = Date.now() + ms;
    if (until <= this.#pausedUntil) return;
    this.#pausedUntil = until;
    clearTimeout(this.#resumeTimer);
    this.ws.pause();
    this.#resumeTimer = setTimeout(() => {
      this.#pausedUntil = 0;
      if (this.ws.readyState === this.ws.OPEN) this.ws.resume();
    }, ms);
    this.#resumeTimer.unref();
  }

  /**
   * Frames that need the shared state or a token check finish asynchronously; until they
   * do, later frames wait here so that each client's frames take effect in order.
   */
  async #pump(busy: Promise<void>): Promise<void> {
    this.#pumping = true;
    try {
      await busy;
      for (let frame = this.#held?.shift(); frame; frame = this.#held?.shift()) {
        if (this.ws.readyState !== this.ws.OPEN) break;
        await this.#handle(frame);
      }
    } finally {
      this.#held = undefined;
      this.#pumping = false;
    }
  }

  /** Dispatches a frame and answers a refusal; a promise when it finishes later. */
  #handle(frame: ClientFrame): Promise<void> | undefined {
    const outcome = this.#dispatch(frame);
    if (!(outcome instanceof Promise)) {
      this.#refuse(outcome, frame);
      return undefined;
    }
    return outcome.then(
      (rejection) => this.#refuse(rejection, frame),
      () => this.#refuse({ code: 'UNAVAILABLE', message: ERROR_CODES.UNAVAILABLE }, frame),
    );
  }

  #refuse(rejection: FrameRejection | undefined, frame: ClientFrame): void {
    if (rejection)
      this.#reply(errorFrame(rejection.code, rejection.message, rejection.ref ?? frame.ref));
  }

  #dispatch(frame: ClientFrame): Outcome {
    if (frame.type === 'ping') {
      this.#reply(frame.ref === undefined ? { type: 'pong' } : { type: 'pong', ref: frame.ref });
      return undefined;
    }
    if (frame.type === 'join') return this.#join(frame);
    const member = this.#member;
    if (!member)
      return { code: 'NOT_JOINED', message: `${frame.type} needs a room; send join first` };
    switch (frame.type) {
      case 'signal':
        return this.hub.signal(member, frame);
      case 'meta':
        return this.hub.updateMeta(member, frame.meta).then(() => undefined);
      case 'relay-credit':
        return this.hub.relayCredit(member, frame);
      case 'leave': {
        this.#member = null;
        const { room } = member.record;
        return this.hub.leave(member, 'left').then(() => {
          this.#reply(
            frame.ref === undefined
              ? { type: 'left', room }
              : { type: 'left', room, ref: frame.ref },
          );
          return undefined;
        });
      }
    }
  }

  #join(frame: JoinFrame): Outcome {
    if (this.#member) {
      return {
        code: 'ALREADY_JOINED',
        message: `already in room "${this.#member.record.room}"; send leave first`,
      };
    }
    if (!this.context.admission.takeJoin(this.address)) {
      return {
        code: 'RATE_LIMITED',
        message: `more than ${this.options.joinRateLimit} joins per second from your address; try again shortly`,
      };
    }
    const started = performance.now();
    const verify = this.context.verify;
    const joining = verify
      ? verify(frame.token, frame.room).then((verdict) =>
          verdict.ok ? this.hub.join(this, frame, verdict.grant) : verdict.rejection,
        )
      : this.hub.join(this, frame);
    return this.#joined(joining, frame, started);
  }

  async #joined(
    result: LocalPeer | FrameRejection | Promise<LocalPeer | FrameRejection>,
    frame: JoinFrame,
    started: number,
  ): Promise<FrameRejection | undefined> {
    const peer = await result;
    if ('code' in peer) {
      this.metrics.joined(peer.code);
      this.log.info({ room: frame.room, code: peer.code }, 'join refused');
      return peer;
    }
    this.metrics.joined(frame.resume ? 'resumed' : 'ok', (performance.now() - started) / 1000);
    this.log = this.log.child({ peer: peer.record.id });
    this.log.info({ room: peer.record.room, resuming: frame.resume !== undefined }, 'joined');
    if (this.ws.readyState !== this.ws.OPEN) {
      // The client left while its join was under way: it is gone, not reconnecting.
      await this.hub.leave(peer, 'left');
      return undefined;
    }
    this.#member = peer;
    return undefined;
  }

  #reply(frame: ServerFrame): void {
    this.send(JSON.stringify(frame));
  }

  /** Answers a bad frame; a client that keeps sending them is closed with 1008. */
  #violation(frame: ServerFrame): void {
    this.#reply(frame);
    const { maxViolations } = this.options;
    this.#violations ??= new TokenBucket(maxViolations, maxViolations / 10);
    if (!this.#violations.take()) {
      this.#end('kicked', CLOSE_CODES.POLICY_VIOLATION, 'too many invalid or rate-limited frames');
    }
  }

  #end(ending: Ending, code: number, reason: string, abrupt = false): void {
    if (this.#ending !== 'client') return;
    this.#ending = ending;
    if (abrupt) this.ws.terminate();
    else this.ws.close(code, reason);
  }

  #onClose(code: number): void {
    this.log[this.#ending === 'kicked' ? 'warn' : 'info']({ code, ending: this.#ending }, 'closed');
    this.#clearPongTimer();
    this.context.onClosed(this);
    this.#isClosed = true;
    this.#closed?.resolve();
    const member = this.#member;
    this.#member = null;
    if (!member || member.session !== this) return;
    const ignore = (): void => {};
    if (this.#ending === 'kicked') void this.hub.leave(member, 'kicked').catch(ignore);
    else if (this.#ending === 'timeout') this.hub.detach(member, 'timeout');
    else if (this.#ending === 'shutdown') member.session = null;
    else if (code === CLOSE_CODES.NORMAL || code === CLOSE_CODES.GOING_AWAY) {
      void this.hub.leave(member, 'left').catch(ignore);
    } else this.hub.detach(member, 'disconnected');
  }

  #clearPongTimer(): void {
    clearTimeout(this.#pongTimer);
    this.#pongTimer = undefined;
  }

  #internalError(error: unknown): void {
    // A bug must cost this client one frame, never the process or another client.
    this.log.error({ err: error }, 'internal error');
    this.#reply(errorFrame('INTERNAL_ERROR'));
  }
}
