/**
 * One client socket's inbound pipeline, in order: frame limits, parsing, ordering behind
 * asynchronous frames, and dispatch to membership and delivery. The socket's own life is
 * its base class's (`client-socket.ts`). Just over 300 lines: the pipeline reads best as
 * one sequence.
 */
import type { WebSocket } from 'ws';
import type { Admission } from './admission.js';
import type { createTokenVerifier } from './auth.js';
import { ClientSocket, type Ending, type Transport } from './client-socket.js';
import type { Delivery } from './delivery.js';
import { FrameLimits } from './frame-limits.js';
import { errorFrame, type FrameRejection, parseClientFrame } from './frames.js';
import type { LocalPeer, Session } from './local-peers.js';
import type { Logger } from './logger.js';
import type { JoinResult, Membership } from './membership.js';
import type { Metrics } from './metrics.js';
import type { ResolvedOptions } from './options.js';
import {
  CLOSE_CODES,
  type ClientFrame,
  ERROR_CODES,
  type JoinFrame,
  type ServerFrame,
} from './protocol.js';
import { RelayPacing } from './relay-pacing.js';

/** What every connection of one server shares. */
export interface ConnectionContext {
  membership: Membership;
  delivery: Delivery;
  options: ResolvedOptions;
  admission: Admission;
  /** Checks room tokens; absent when the server does not require them. */
  verify: ReturnType<typeof createTokenVerifier> | undefined;
  metrics: Metrics;
  /** The node's log; a connection adds its id, and its peer's once joined, to each line. */
  log: Logger;
  onClosed: (connection: Connection) => void;
}

type LogLevel = 'debug' | 'info' | 'warn' | 'error';

type Outcome = FrameRejection | undefined | Promise<FrameRejection | undefined>;

/** Frames held while an asynchronous one finishes (relay frames too), and refusals of frames after them. */
type Held = Array<ClientFrame | { relay: Buffer } | { refusal: ServerFrame }>;

/**
 * One WebSocket client's inbound pipeline: rate limits and validates its frames, keeps
 * them in order while an asynchronous one (a join) finishes, hands them to membership
 * and delivery, answers refusals, and closes persistent abusers. The socket's own life
 * (sending, heartbeat, ending) is its base {@link ClientSocket}'s. Nothing thrown in
 * here escapes. Its helpers are TypeScript `private` methods, not `#` ones: a `#` method
 * costs each instance a field (see `TokenBucket`).
 */
export class Connection extends ClientSocket implements Session {
  #member: LocalPeer | null = null;
  readonly #limits: FrameLimits;
  /**
   * While an asynchronous frame (join, meta, leave) finishes: the frames waiting their
   * turn, and the refusals of frames that came after them (a kick for too many refusals
   * must not overtake the accepted frames before it). Undefined the rest of the time.
   */
  #held: Held | undefined;
  /** Made on first use: most connections never relay. */
  #pacing: RelayPacing | undefined;

  // Read from the shared context rather than copied into every connection: at tens of
  // thousands of sockets, each field per connection is memory.
  private get membership(): Membership {
    return this.context.membership;
  }
  private get delivery(): Delivery {
    return this.context.delivery;
  }
  protected get options(): ResolvedOptions {
    return this.context.options;
  }
  protected get metrics(): Metrics {
    return this.context.metrics;
  }

  constructor(
    ws: WebSocket,
    /** The connection `ws` speaks over. */
    transport: Transport,
    /** The client's IP address, for per-address limits. */
    readonly address: string,
    private readonly context: ConnectionContext,
    /** This connection's number on this node, named in its log lines (base 36, `conn`). */
    readonly id: number,
  ) {
    super(ws, transport);
    this.#limits = new FrameLimits(context.options);
  }

  /** From the socket: a message arrived. */
  receive(data: Buffer, isBinary: boolean): void {
    try {
      this.onMessage(data, isBinary);
    } catch (error) {
      this.internalError(error);
    }
  }

  /** From the socket: it closed. */
  socketClosed(code: number, ending: Ending): void {
    try {
      this.onClose(code, ending);
    } catch (error) {
      this.internalError(error);
    }
  }

  retire(): void {
    this.#member = null;
    this.end('retired', CLOSE_CODES.SESSION_REPLACED, 'another connection resumed this peer');
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      this.onRelayFrame(data);
      return;
    }
    const charged = this.#limits.takeText(data);
    if (!charged) {
      const message = `more than ${this.options.rateLimit} frames per second; frame dropped`;
      this.violation(errorFrame('RATE_LIMITED', message));
      return;
    }
    const parsed = parseClientFrame(data, this.options.maxPayload);
    this.metrics.frameIn(parsed.ok ? parsed.frame.type : 'invalid');
    if (!parsed.ok) {
      this.log('debug', { code: parsed.code }, 'invalid frame');
      this.violation(errorFrame(parsed.code, parsed.message, parsed.ref));
      return;
    }
    const { type } = parsed.frame;
    if (!this.#limits.takeParsed(charged, type)) {
      const message = `more than ${this.options.rateLimit} frames per second; frame dropped`;
      this.violation(errorFrame('RATE_LIMITED', message, parsed.frame.ref));
      return;
    }
    if ((type === 'meta' || type === 'join' || type === 'leave') && !this.#limits.takePresence()) {
      const message = `more than ${this.options.metaRateLimit} presence changes (join, leave, meta) per second; frame dropped`;
      this.violation(errorFrame('RATE_LIMITED', message, parsed.frame.ref));
      return;
    }
    if (this.#held) {
      // Already paid for by the rate limit, and bounded by the one read under way.
      this.#held.push(parsed.frame);
      return;
    }
    const busy = this.handle(parsed.frame, parsed.dataJson);
    if (busy) void this.pump(busy);
  }

  /**
   * A binary frame: relayed peer data, paced by its bytes rather than counted as a frame.
   * A refused one counts like a text frame (rate and, if malformed, a violation), so error
   * replies to binary frames are bounded as text ones are.
   */
  private onRelayFrame(frame: Buffer): void {
    this.metrics.frameIn('relay');
    if (frame.length > this.options.maxPayload) {
      const message = `frame is ${frame.length} bytes; the limit is ${this.options.maxPayload}`;
      this.violation(errorFrame('FRAME_TOO_LARGE', message));
      return;
    }
    if (this.#held) {
      // Behind a frame under way (a meta change, a join): relayed in order once it is done,
      // not refused as if the client were not joined.
      this.#held.push({ relay: frame });
      return;
    }
    this.relayNow(frame);
  }

  /** Hands a relay frame to delivery, paces the sender, or answers the refusal. */
  private relayNow(frame: Buffer): void {
    const member = this.#member;
    const outcome = member
      ? this.delivery.relay(member, frame)
      : { code: 'NOT_JOINED' as const, message: 'relay frames need a room; send join first' };
    if (typeof outcome === 'number') {
      this.#pacing ??= new RelayPacing(this.options.relayRateLimit, this);
      this.#pacing.accepted(frame.length, outcome);
    } else if (outcome.code === 'INVALID_FRAME' || outcome.code === 'FRAME_TOO_LARGE') {
      this.violation(errorFrame(outcome.code, outcome.message));
    } else if (!this.#limits.takeFrame()) {
      const message = `more than ${this.options.rateLimit} frames per second; relay frame dropped`;
      this.violation(errorFrame('RATE_LIMITED', message));
    } else this.reply(errorFrame(outcome.code, outcome.message));
  }

  /**
   * Frames that need the shared state or a token check finish asynchronously; until they
   * do, later frames wait here so that each client's frames take effect in order.
   */
  private async pump(busy: Promise<void>): Promise<void> {
    const held: Held = [];
    this.#held = held;
    // Reading stops meanwhile: what waits is what had already arrived, not a queue a
    // client can grow. Its frames took their share of the rate limit when they came.
    this.pause();
    try {
      await busy;
      for (let next = held.shift(); next; next = held.shift()) {
        if (!this.open) break;
        if ('refusal' in next) this.violationNow(next.refusal);
        else if ('relay' in next) this.relayNow(next.relay);
        else await this.handle(next);
      }
    } finally {
      this.#held = undefined;
      this.resume();
    }
  }

  /**
   * Dispatches a frame and answers a refusal; a promise when it finishes later. `dataJson`:
   * a signal's data as it came, to forward as it is (see `ParsedFrame`).
   */
  private handle(frame: ClientFrame, dataJson?: string): Promise<void> | undefined {
    const outcome = this.dispatch(frame, dataJson);
    if (!(outcome instanceof Promise)) {
      this.refuse(outcome, frame);
      return undefined;
    }
    return outcome.then(
      (rejection) => this.refuse(rejection, frame),
      () => this.refuse({ code: 'UNAVAILABLE', message: ERROR_CODES.UNAVAILABLE }, frame),
    );
  }

  private refuse(rejection: FrameRejection | undefined, frame: ClientFrame): void {
    if (rejection)
      this.reply(errorFrame(rejection.code, rejection.message, rejection.ref ?? frame.ref));
  }

  private dispatch(frame: ClientFrame, dataJson: string | undefined): Outcome {
    if (frame.type === 'ping') {
      this.reply(frame.ref === undefined ? { type: 'pong' } : { type: 'pong', ref: frame.ref });
      return undefined;
    }
    if (frame.type === 'join') return this.join(frame);
    const member = this.#member;
    if (!member)
      return { code: 'NOT_JOINED', message: `${frame.type} needs a room; send join first` };
    switch (frame.type) {
      case 'signal':
        return this.delivery.signal(member, frame, dataJson);
      case 'meta':
        return this.membership.updateMeta(member, frame.meta).then(() => undefined);
      case 'relay-credit':
        return this.delivery.relayCredit(member, frame);
      case 'leave': {
        this.#member = null;
        const { room } = member.record;
        return this.membership.leave(member, 'left').then(() => {
          this.reply(
            frame.ref === undefined
              ? { type: 'left', room }
              : { type: 'left', room, ref: frame.ref },
          );
          return undefined;
        });
      }
    }
  }

  private join(frame: JoinFrame): Outcome {
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
          verdict.ok ? this.membership.join(this, frame, verdict.grant) : verdict.rejection,
        )
      : this.membership.join(this, frame);
    // In memory a join finishes at once: then so does its frame, and reading goes on.
    return joining instanceof Promise
      ? joining.then((peer) => this.joined(peer, frame, started))
      : this.joined(joining, frame, started);
  }

  private joined(peer: JoinResult, frame: JoinFrame, started: number): Outcome {
    if ('code' in peer) {
      this.metrics.joined(peer.code);
      this.log('info', { room: frame.room, code: peer.code }, 'join refused');
      return peer;
    }
    this.metrics.joined(frame.resume ? 'resumed' : 'ok', (performance.now() - started) / 1000);
    this.log(
      'info',
      { peer: peer.record.id, room: peer.record.room, resuming: frame.resume !== undefined },
      'joined',
    );
    if (!this.open) {
      // The client left while its join was under way: it is gone, not reconnecting. Unless
      // another connection has resumed the peer since: the peer is that connection's now.
      if (peer.session !== this) return undefined;
      return this.membership.leave(peer, 'left').then(() => undefined);
    }
    this.#member = peer;
    return undefined;
  }

  private reply(frame: ServerFrame): void {
    this.send(JSON.stringify(frame));
  }

  /**
   * Refuses a frame that broke the rules, in order with the frames held before it; a client
   * that keeps sending them is closed with 1008.
   */
  private violation(frame: ServerFrame): void {
    if (this.#held) {
      this.#held.push({ refusal: frame });
      return;
    }
    this.violationNow(frame);
  }

  /** Answers a refusal and counts it; too many close the connection. */
  private violationNow(frame: ServerFrame): void {
    this.reply(frame);
    if (!this.#limits.tolerate()) {
      this.end('kicked', CLOSE_CODES.POLICY_VIOLATION, 'too many invalid or rate-limited frames');
    }
  }

  private onClose(code: number, ending: Ending): void {
    this.log(ending === 'kicked' ? 'warn' : 'info', { code, ending }, 'closed');
    this.#pacing?.stop();
    this.context.onClosed(this);
    const member = this.#member;
    this.#member = null;
    if (!member || member.session !== this) return;
    this.membership.ended(member, code, ending);
  }

  private internalError(error: unknown): void {
    // A bug must cost this client one frame, never the process or another client.
    this.log('error', { err: error }, 'internal error');
    this.reply(errorFrame('INTERNAL_ERROR'));
  }

  /**
   * Logs a line of this connection: its id, its peer's once joined, then `fields`. Fields
   * on the node's logger rather than a child logger per connection: a pino child is
   * ~0.4 KiB of heap, and a connection lives for hours while it logs a few lines.
   */
  private log(level: LogLevel, fields: object, message: string): void {
    const conn = this.id.toString(36);
    const peer = this.#member?.record.id;
    this.context.log[level](
      peer === undefined ? { conn, ...fields } : { conn, peer, ...fields },
      message,
    );
  }
}
