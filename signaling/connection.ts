import type { WebSocket } from 'ws';
import { errorFrame, type FrameRejection, parseClientFrame } from './frames.js';
import type { Hub, HubMember, Session } from './hub.js';
import type { ResolvedOptions } from './options.js';
import { CLOSE_CODES, type ClientFrame, type ServerFrame } from './protocol.js';
import { TokenBucket } from './token-bucket.js';

/** How a connection ended, which decides what the room is told. */
type Ending = 'client' | 'timeout' | 'dropped' | 'kicked' | 'retired' | 'shutdown';

/**
 * One WebSocket client: rate limits and validates its frames, hands them to the hub,
 * keeps its heartbeat, and tells the hub how it ended. Nothing thrown in here escapes.
 */
export class Connection implements Session {
  #member: HubMember | null = null;
  #ending: Ending = 'client';
  #pongTimer: NodeJS.Timeout | undefined;
  readonly #rate: TokenBucket;
  readonly #violations: TokenBucket;
  #markClosed: () => void = () => {};
  /** Settles once the socket has closed. */
  readonly closed = new Promise<void>((resolve) => {
    this.#markClosed = resolve;
  });

  constructor(
    private readonly ws: WebSocket,
    private readonly hub: Hub,
    private readonly options: ResolvedOptions,
    private readonly onClosed: (connection: Connection) => void,
  ) {
    this.#rate = new TokenBucket(options.rateBurst, options.rateLimit);
    this.#violations = new TokenBucket(options.maxViolations, options.maxViolations / 10);
    ws.on('message', (data, isBinary) =>
      this.#guard(() => this.#onMessage(data as Buffer, isBinary)),
    );
    ws.on('pong', () => this.#clearPongTimer());
    ws.on('close', (code) => this.#guard(() => this.#onClose(code)));
    // ws emits 'error' only for protocol violations (oversize, bad opcode, bad UTF-8), then
    // closes with 1002/1007/1009; listening also keeps the error from being thrown.
    ws.on('error', () => {
      if (this.#ending === 'client') this.#ending = 'kicked';
    });
  }

  send(text: string): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > this.options.maxBufferedBytes) {
      this.#end('dropped', CLOSE_CODES.SLOW_CONSUMER, 'client is not reading', true);
      return;
    }
    this.ws.send(text);
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
    if (!this.#rate.take()) {
      this.#violation(
        errorFrame(
          'RATE_LIMITED',
          `more than ${this.options.rateLimit} frames per second; frame dropped`,
        ),
      );
      return;
    }
    const parsed = parseClientFrame(data, isBinary, this.options.maxPayload);
    if (!parsed.ok) {
      this.#violation(errorFrame(parsed.code, parsed.message, parsed.ref));
      return;
    }
    const rejection = this.#dispatch(parsed.frame);
    if (rejection)
      this.#reply(errorFrame(rejection.code, rejection.message, rejection.ref ?? parsed.frame.ref));
  }

  #dispatch(frame: ClientFrame): FrameRejection | undefined {
    if (frame.type === 'ping') {
      this.#reply(frame.ref === undefined ? { type: 'pong' } : { type: 'pong', ref: frame.ref });
      return undefined;
    }
    if (frame.type === 'join') {
      if (this.#member) {
        return {
          code: 'ALREADY_JOINED',
          message: `already in room "${this.#member.room}"; send leave first`,
        };
      }
      const result = this.hub.join(this, frame);
      if ('code' in result) return result;
      this.#member = result;
      return undefined;
    }
    const member = this.#member;
    if (!member)
      return { code: 'NOT_JOINED', message: `${frame.type} needs a room; send join first` };
    switch (frame.type) {
      case 'signal':
        return this.hub.signal(member, frame);
      case 'meta':
        this.hub.updateMeta(member, frame.meta);
        return undefined;
      case 'leave':
        this.#member = null;
        this.hub.leave(member, 'left');
        this.#reply(
          frame.ref === undefined
            ? { type: 'left', room: member.room }
            : { type: 'left', room: member.room, ref: frame.ref },
        );
        return undefined;
    }
  }

  #reply(frame: ServerFrame): void {
    this.send(JSON.stringify(frame));
  }

  /** Answers a bad frame; a client that keeps sending them is closed with 1008. */
  #violation(frame: ServerFrame): void {
    this.#reply(frame);
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
    this.#clearPongTimer();
    this.onClosed(this);
    this.#markClosed();
    const member = this.#member;
    this.#member = null;
    if (!member || member.attachment !== this) return;
    if (this.#ending === 'kicked') this.hub.leave(member, 'kicked');
    else if (this.#ending === 'timeout') this.hub.detach(member, 'timeout');
    else if (this.#ending === 'shutdown') member.attachment = null;
    else if (code === CLOSE_CODES.NORMAL || code === CLOSE_CODES.GOING_AWAY)
      this.hub.leave(member, 'left');
    else this.hub.detach(member, 'disconnected');
  }

  #clearPongTimer(): void {
    clearTimeout(this.#pongTimer);
    this.#pongTimer = undefined;
  }

  #guard(work: () => void): void {
    try {
      work();
    } catch {
      // A bug must cost this client one frame, never the process or another client.
      this.#reply(errorFrame('INTERNAL_ERROR'));
    }
  }
}
