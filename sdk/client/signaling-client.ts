import {
  CLOSE_CODES,
  type ClientFrame,
  type ErrorCode,
  type PeerId,
  type PeerMeta,
  PROTOCOL_VERSION,
  type ResumeCredentials,
  type ServerFrame,
  type WelcomeFrame,
} from '../../signaling/protocol.js';
import { Emitter } from '../emitter.js';
import { PeerlaneError } from '../errors.js';
import { type ReconnectSettings, reconnectDelay } from './backoff.js';
import { Heartbeat } from './heartbeat.js';
import {
  decodeRelayFrame,
  OPEN,
  parseServerFrame,
  type WebSocketConstructor,
  type WebSocketLike,
} from './web-socket.js';

/** How the signaling connection is doing. `connecting` only happens before the first welcome. */
export type SignalingState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** Options of a {@link SignalingClient}, resolved. */
/** A room token, or a function that fetches a fresh one for each (re)connect. */
export type TokenSource = string | (() => string | Promise<string>);

export interface SignalingClientOptions {
  url: string;
  room: string;
  meta: PeerMeta | undefined;
  token: TokenSource | undefined;
  WebSocket: WebSocketConstructor;
  connectTimeoutMs: number;
  /** null: never reconnect. */
  reconnect: ReconnectSettings | null;
  pingIntervalMs: number;
  pingTimeoutMs: number;
}

/** Frames about other peers, which the client hands on untouched. */
export type RoomFrame = Extract<
  ServerFrame,
  { type: 'peer-joined' | 'peer-left' | 'peer-updated' | 'signal' }
>;

export interface SignalingClientEvents {
  /** Every welcome: the first one, and one after each reconnect. */
  welcome: (frame: WelcomeFrame) => void;
  frame: (frame: RoomFrame) => void;
  state: (state: SignalingState) => void;
  error: (error: PeerlaneError) => void;
  /** A binary relay frame from peer `from` (`link/relay/` reads the payload). */
  'relay-data': (from: PeerId, payload: Uint8Array) => void;
  /** Peer `from` lets this peer send it `bytes` more relay bytes. */
  'relay-credit': (from: PeerId, bytes: number) => void;
  /** The server's count of this peer's credit towards `from`, answering sync number `n`. */
  'relay-sync': (from: PeerId, credit: number, n: number) => void;
  /** The server refused a frame sent with this `ref` (other than the join's). */
  refused: (ref: string, code: ErrorCode) => void;
}

const JOIN_REF = 'join';
/** Frames kept while disconnected; older ones go first (stale signals matter least). */
const MAX_QUEUED_FRAMES = 512;
/**
 * Join refusals that last a moment (a node shutting down, a burst of joins from one
 * address, the shared state or the token check away): retried, the first join too.
 */
const MOMENTARY_JOIN_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'SHUTTING_DOWN',
  'RATE_LIMITED',
  'INTERNAL_ERROR',
  'UNAVAILABLE',
  'AUTH_UNAVAILABLE',
]);
/**
 * Join refusals worth retrying when reconnecting (the peer was in the room): the
 * momentary ones, and a room that filled up meanwhile. Any other refusal is final, and
 * these two are for the first join: its caller should know the room is full now.
 */
const RETRYABLE_JOIN_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ...MOMENTARY_JOIN_ERRORS,
  'ROOM_FULL',
  'TOO_MANY_ROOMS',
]);
/** Close codes after which reconnecting would only be refused again. */
const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  CLOSE_CODES.POLICY_VIOLATION,
  CLOSE_CODES.MESSAGE_TOO_BIG,
  CLOSE_CODES.SESSION_REPLACED,
]);

/**
 * The signaling connection of one room: joins, reconnects with backoff and jitter when
 * the socket drops, resumes the same peer id with the welcome's secret, queues outgoing
 * frames while disconnected, and replaces a socket that stops answering `ping`.
 *
 * Over 300 lines on purpose: one socket's life (connect, join, refusal, close, backoff,
 * resume) is one state machine, easiest to check in one place.
 */
export class SignalingClient extends Emitter<SignalingClientEvents> {
  #state: SignalingState = 'connecting';
  #socket: WebSocketLike | null = null;
  #credentials: ResumeCredentials | undefined;
  #queue: string[] = [];
  #attempt = 0;
  #attemptTimer: ReturnType<typeof setTimeout> | undefined;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #heartbeat: Heartbeat;
  /** When the first join gives up retrying momentary refusals (ms since the epoch). */
  #firstDeadline: number | undefined;
  /** The momentary refusal the first join is being retried after, if it is. */
  #firstRefusal: PeerlaneError | undefined;
  #first: { resolve: (welcome: WelcomeFrame) => void; reject: (error: unknown) => void } | null =
    null;
  #onLeft: (() => void) | null = null;
  /** {@link leave} was called: a socket lost meanwhile ends the wait, never reconnects. */
  #leaving = false;
  /** This peer's presence metadata: sent with every join, changed by {@link setMeta}. */
  #meta: PeerMeta | undefined;
  /**
   * Frames that arrived right after a welcome, held for one task. Node's `ws` may deliver
   * several frames in one task, and the first messages of the room's peers would then
   * reach the room before `await joinRoom()` returned and the application listened; a
   * browser delivers each frame in a task of its own. Holding them one task does the same.
   */
  #held: unknown[] | undefined;
  /** Whether the current socket has had its welcome (before it, only a welcome or an error may come). */
  #welcomed = false;
  #resumed = false;

  constructor(private readonly options: SignalingClientOptions) {
    super();
    this.#meta = options.meta;
    this.#heartbeat = new Heartbeat(
      options.pingIntervalMs,
      options.pingTimeoutMs,
      () => {
        const socket = this.#socket;
        if (socket?.readyState !== OPEN) return false;
        socket.send(JSON.stringify({ type: 'ping' } satisfies ClientFrame));
        return true;
      },
      () => {
        // No pong: the socket is dead even if it looks open. Drop it and start over.
        if (this.#socket) this.#abandon(this.#socket);
        this.#scheduleReconnect();
      },
    );
  }

  /** Whether the current session resumed the one before it (`welcome.resumed`). */
  get resumed(): boolean {
    return this.#resumed;
  }

  get state(): SignalingState {
    return this.#state;
  }

  /**
   * Connects and joins. A refusal that lasts a moment (`MOMENTARY_JOIN_ERRORS`) is tried
   * again on a new connection, after the reconnect delays, for as long as
   * `connectTimeoutMs` from now allows; anything else fails at once. Resolves with the
   * welcome, rejects with a PeerlaneError.
   */
  start(): Promise<WelcomeFrame> {
    return new Promise((resolve, reject) => {
      this.#first = { resolve, reject };
      this.#firstDeadline = Date.now() + this.options.connectTimeoutMs;
      this.#connect();
    });
  }

  /** Sends a frame now, or once the connection is back. Dropped after close. */
  send(frame: ClientFrame): void {
    if (this.#state === 'closed') return;
    const text = JSON.stringify(frame);
    const socket = this.#socket;
    if (this.#state === 'connected' && socket?.readyState === OPEN) {
      socket.send(text);
      return;
    }
    this.#queue.push(text);
    if (this.#queue.length > MAX_QUEUED_FRAMES) this.#queue.shift();
  }

  /** Replaces the presence metadata: sent now (or when back), and with every rejoin. */
  setMeta(meta: PeerMeta): void {
    this.#meta = meta;
    this.send({ type: 'meta', meta });
  }

  /** True while binary relay frames can be sent now. */
  get canRelay(): boolean {
    return this.#state === 'connected' && this.#socket?.readyState === OPEN;
  }

  /** Bytes the socket holds that are not yet on the network (0 without a socket). */
  get bufferedAmount(): number {
    return this.#socket?.bufferedAmount ?? 0;
  }

  /** Sends one binary relay frame now; false (nothing sent) unless {@link canRelay}. */
  sendRelay(frame: Uint8Array<ArrayBuffer>): boolean {
    if (!this.canRelay) return false;
    this.#socket?.send(frame);
    return true;
  }

  /**
   * Leaves the room: sends `leave`, waits for `left` (at most `timeoutMs`), then closes.
   * Resolves in every case, at once when the socket is already gone.
   */
  async leave(timeoutMs: number): Promise<void> {
    this.#leaving = true;
    const socket = this.#socket;
    if (this.#state === 'connected' && socket?.readyState === OPEN) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.#onLeft = () => {
          clearTimeout(timer);
          resolve();
        };
        socket.send(JSON.stringify({ type: 'leave' } satisfies ClientFrame));
      });
    }
    this.close();
  }

  /** Closes at once (1000: the server announces our departure). Idempotent. */
  close(): void {
    this.#shutDown(CLOSE_CODES.NORMAL, 'closed by the client');
  }

  #connect(): void {
    const { url, connectTimeoutMs } = this.options;
    let socket: WebSocketLike;
    try {
      socket = new this.options.WebSocket(url);
    } catch (error) {
      this.#attemptFailed(
        new PeerlaneError('SIGNALING_UNREACHABLE', `cannot open ${url}`, { cause: error }),
      );
      return;
    }
    this.#socket = socket;
    this.#welcomed = false;
    socket.binaryType = 'arraybuffer';
    let opened = false;
    const current = () => socket === this.#socket;
    // The first join's retries share its connectTimeoutMs: the last gets what is left.
    const deadline = this.#first ? this.#firstDeadline : undefined;
    const timeoutMs =
      deadline === undefined ? connectTimeoutMs : Math.max(0, deadline - Date.now());
    this.#attemptTimer = setTimeout(() => {
      this.#abandon(socket);
      // A retry of the first join that ran out its time: the refusal it retried is why.
      const refusal = deadline === undefined ? undefined : this.#firstRefusal;
      if (refusal) {
        this.#attemptFailed(refusal);
        return;
      }
      this.#attemptFailed(
        opened
          ? new PeerlaneError(
              'JOIN_TIMEOUT',
              `no welcome from ${url} within ${connectTimeoutMs} ms`,
            )
          : new PeerlaneError(
              'SIGNALING_UNREACHABLE',
              `${url} did not open within ${connectTimeoutMs} ms`,
            ),
      );
    }, timeoutMs);
    socket.addEventListener('open', () => {
      if (!current()) return;
      opened = true;
      const { token } = this.options;
      if (typeof token !== 'function') {
        socket.send(JSON.stringify(this.#joinFrame(token)));
        return;
      }
      Promise.resolve()
        .then(token)
        .then(
          (fresh) => {
            if (current()) socket.send(JSON.stringify(this.#joinFrame(fresh)));
          },
          (error: unknown) => {
            if (!current()) return;
            this.#abandon(socket);
            this.#attemptFailed(
              new PeerlaneError('TOKEN_UNAVAILABLE', 'the token function failed', { cause: error }),
            );
          },
        );
    });
    socket.addEventListener('message', (event) => {
      if (!current()) return;
      if (this.#held) this.#held.push(event.data);
      else this.#onMessage(event.data);
    });
    socket.addEventListener('close', (event) => {
      if (current()) this.#onClose(event.code, event.reason, opened);
    });
    // A 'close' always follows an 'error'; listening keeps `ws` from throwing it.
    socket.addEventListener('error', () => {});
  }

  #joinFrame(token: string | undefined): ClientFrame {
    const { room } = this.options;
    const meta = this.#meta;
    return {
      type: 'join',
      room,
      v: PROTOCOL_VERSION,
      ...(meta === undefined ? {} : { meta }),
      ...(token === undefined ? {} : { token }),
      ...(this.#credentials === undefined ? {} : { resume: this.#credentials }),
      ref: JOIN_REF,
    };
  }

  #onMessage(data: unknown): void {
    if (!this.#welcomed) {
      this.#beforeWelcome(data);
      return;
    }
    if (data instanceof ArrayBuffer) {
      const relayed = decodeRelayFrame(data);
      if (relayed) this.emit('relay-data', relayed.from, relayed.payload);
      return;
    }
    const parsed = parseServerFrame(data);
    if (parsed instanceof PeerlaneError) {
      this.emit('error', parsed);
      return;
    }
    this.#onFrame(parsed);
  }

  /**
   * Before its welcome a Peerlane server sends the welcome or an error, nothing else.
   * Anything else (an echo of the join, another protocol's frames, bytes) means the URL is
   * not a Peerlane signaling server: the attempt fails at once with `PROTOCOL_ERROR`,
   * saying what came, rather than waiting out `connectTimeoutMs`.
   */
  #beforeWelcome(data: unknown): void {
    const parsed = data instanceof ArrayBuffer ? undefined : parseServerFrame(data);
    if (parsed && !(parsed instanceof PeerlaneError)) {
      if (parsed.type === 'welcome' || parsed.type === 'error') {
        this.#onFrame(parsed);
        return;
      }
    }
    const what =
      data instanceof ArrayBuffer
        ? `${data.byteLength} bytes of binary`
        : parsed instanceof PeerlaneError
          ? parsed.message
          : `a "${parsed?.type}" frame`;
    if (this.#socket) this.#abandon(this.#socket);
    this.#attemptFailed(
      new PeerlaneError(
        'PROTOCOL_ERROR',
        `${this.options.url} does not answer as a Peerlane signaling server: before a welcome it sent ${what}`,
      ),
    );
  }

  #onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'welcome':
        this.#onWelcome(frame);
        return;
      case 'error':
        if (frame.ref === JOIN_REF) this.#onJoinRefused(frame.code, frame.message);
        else if (frame.ref !== undefined) this.emit('refused', frame.ref, frame.code);
        // PEER_NOT_FOUND answers a signal to a peer that just left; presence says the rest.
        else if (frame.code !== 'PEER_NOT_FOUND')
          this.emit('error', new PeerlaneError(frame.code, frame.message));
        return;
      case 'pong':
        this.#heartbeat.answered();
        return;
      case 'left':
        this.#onLeft?.();
        return;
      case 'relay-credit':
        this.emit('relay-credit', frame.from, frame.bytes);
        return;
      case 'relay-sync':
        this.emit('relay-sync', frame.from, frame.credit, frame.n);
        return;
      default:
        this.emit('frame', frame);
    }
  }

  #onWelcome(welcome: WelcomeFrame): void {
    clearTimeout(this.#attemptTimer);
    this.#welcomed = true;
    this.#resumed = welcome.resumed;
    this.#credentials = { peerId: welcome.peerId, secret: welcome.secret };
    this.#attempt = 0;
    this.#setState('connected');
    for (const text of this.#queue.splice(0)) this.#socket?.send(text);
    this.#heartbeat.start();
    this.emit('welcome', welcome);
    this.#first?.resolve(welcome);
    this.#first = null;
    const socket = this.#socket;
    this.#held ??= [];
    setTimeout(() => {
      const held = this.#held ?? [];
      this.#held = undefined;
      // Frames of a socket that was replaced meanwhile are dropped, as they would have been.
      if (this.#socket === socket) for (const data of held) this.#onMessage(data);
    }, 0);
  }

  #onJoinRefused(code: ErrorCode, message: string): void {
    const error = new PeerlaneError(code, message);
    // An expired token is as momentary as the others when a fresh one can be fetched.
    const momentary =
      MOMENTARY_JOIN_ERRORS.has(code) ||
      (code === 'TOKEN_EXPIRED' && typeof this.options.token === 'function');
    if (this.#first) {
      this.#firstRefusal = momentary ? error : undefined;
      if (!momentary || !this.#retryFirstJoin()) this.#fail(error);
      return;
    }
    if (!momentary && !RETRYABLE_JOIN_ERRORS.has(code)) {
      this.#fail(error);
      return;
    }
    // A momentary refusal is the SDK's to hide, as a failed connection attempt is; a room
    // that filled up while this peer was away is the app's to know (it is tried again).
    if (!momentary) this.emit('error', error);
    const socket = this.#socket;
    if (socket) this.#abandon(socket);
    this.#scheduleReconnect();
  }

  #onClose(code: number, reason: string, opened: boolean): void {
    this.#socket = null;
    this.#stopTimers();
    this.#onLeft?.();
    if (this.#leaving) return; // leave() closes next
    const why = `${code}${reason ? ` ${reason}` : ''}`;
    if (this.#first) {
      this.#fail(
        new PeerlaneError(
          'SIGNALING_UNREACHABLE',
          opened
            ? `${this.options.url} closed before the welcome (${why})`
            : `cannot connect to ${this.options.url} (${why})`,
        ),
      );
    } else if (FINAL_CLOSE_CODES.has(code)) {
      this.#fail(
        new PeerlaneError('SIGNALING_CLOSED', `the server closed the connection (${why})`),
      );
    } else {
      this.#scheduleReconnect();
    }
  }

  /**
   * The first join was refused for a moment: join again on a new connection after the
   * next reconnect delay, if that is within the first join's `connectTimeoutMs` (and
   * reconnecting is on). False: it is not, and the refusal stands.
   */
  #retryFirstJoin(): boolean {
    const settings = this.options.reconnect;
    const deadline = this.#firstDeadline;
    if (!settings || deadline === undefined || this.#attempt >= settings.maxAttempts) return false;
    const delay = reconnectDelay(this.#attempt, settings);
    if (Date.now() + delay >= deadline) return false;
    if (this.#socket) this.#abandon(this.#socket);
    this.#connectAfter(delay);
    return true;
  }

  #attemptFailed(error: PeerlaneError): void {
    if (this.#first) this.#fail(error);
    else this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    this.#stopTimers();
    if (this.#leaving) {
      // The socket died while leave() waited for `left`: stop waiting, leave() closes.
      this.#onLeft?.();
      return;
    }
    const settings = this.options.reconnect;
    if (!settings || this.#attempt >= settings.maxAttempts) {
      this.#fail(
        new PeerlaneError(
          'SIGNALING_UNREACHABLE',
          settings
            ? `gave up reconnecting to ${this.options.url} after ${this.#attempt} attempts`
            : `lost the connection to ${this.options.url} (reconnect is off)`,
        ),
      );
      return;
    }
    this.#setState('reconnecting');
    this.#connectAfter(reconnectDelay(this.#attempt, settings));
  }

  /** The next attempt: a new connection after `delay` ms (the current one's timers end). */
  #connectAfter(delay: number): void {
    this.#stopTimers();
    this.#attempt += 1;
    this.#reconnectTimer = setTimeout(() => this.#connect(), delay);
  }

  /** Forgets a socket (its events are ignored from now on) and closes it as lost. */
  #abandon(socket: WebSocketLike): void {
    if (socket === this.#socket) this.#socket = null;
    try {
      // Not 1000: that would make the server announce our departure at once.
      socket.close(CLOSE_CODES.HEARTBEAT_TIMEOUT, 'connection lost');
    } catch {
      // Already closing.
    }
  }

  /** The end: reject a pending start, report the error, close. */
  #fail(error: PeerlaneError): void {
    const first = this.#first;
    this.#first = null;
    if (!first) this.emit('error', error);
    this.#shutDown(CLOSE_CODES.NORMAL, 'giving up');
    first?.reject(error);
  }

  #shutDown(code: number, reason: string): void {
    if (this.#state === 'closed') return;
    this.#stopTimers();
    clearTimeout(this.#reconnectTimer);
    this.#queue = [];
    this.#onLeft = null;
    const socket = this.#socket;
    this.#socket = null;
    try {
      socket?.close(code, reason);
    } catch {
      // Already closing.
    }
    this.#setState('closed');
  }

  #stopTimers(): void {
    clearTimeout(this.#attemptTimer);
    this.#heartbeat.stop();
  }

  #setState(state: SignalingState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.emit('state', state);
  }
}
