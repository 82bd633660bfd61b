import { WebSocket } from 'ws';
import type { ServerFrame } from '../../signaling/protocol.js';

type FrameOf<T extends ServerFrame['type']> = Extract<ServerFrame, { type: T }>;

/**
 * A bare `ws` client that records every frame it receives, for tests that speak the
 * wire protocol directly. `next(type)` waits for the next frame of that type.
 */
export class RawClient {
  readonly frames: ServerFrame[] = [];
  /** Binary (relay) frames received, in order. */
  readonly binary: Buffer[] = [];
  #waiters: Array<() => void> = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) this.binary.push(data as Buffer);
      else this.frames.push(JSON.parse(String(data)) as ServerFrame);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        for (const wake of this.#waiters.splice(0)) wake();
      });
    });
  }

  /**
   * `localAddress` picks the loopback address to connect from (127.0.0.2 is "another
   * address"); `ca` is the certificate to trust for a `wss://` URL (a test's self-signed one).
   */
  static async connect(
    url: string,
    options: { autoPong?: boolean; localAddress?: string; ca?: string | Buffer } = {},
  ): Promise<RawClient> {
    const ws = new WebSocket(url, {
      autoPong: options.autoPong ?? true,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      ...(options.ca ? { ca: options.ca } : {}),
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new RawClient(ws);
  }

  send(frame: unknown): void {
    this.ws.send(
      typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame),
    );
  }

  /** Joins `room` and returns the welcome. */
  async join(room: string, extra: Record<string, unknown> = {}): Promise<FrameOf<'welcome'>> {
    this.send({ type: 'join', room, ...extra });
    return this.next('welcome');
  }

  /**
   * Resolves with the next not-yet-consumed frame of `type` for which `matches` holds
   * (frames of other types stay available). Rejects after `timeoutMs`, or if the socket closes first.
   */
  async next<T extends ServerFrame['type']>(
    type: T,
    timeoutMs = 3000,
    matches: (frame: FrameOf<T>) => boolean = () => true,
  ): Promise<FrameOf<T>> {
    // performance.now, not Date.now: tests that freeze Date (token buckets) keep their timeouts.
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const index = this.frames.findIndex(
        (f, i) => f.type === type && !this.#taken.has(i) && matches(f as FrameOf<T>),
      );
      if (index !== -1) {
        this.#taken.add(index);
        return this.frames[index] as FrameOf<T>;
      }
      if (this.ws.readyState === WebSocket.CLOSED)
        throw new Error(`socket closed while waiting for "${type}"`);
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new Error(
          `no "${type}" frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames)}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  #taken = new Set<number>();

  /** Frames of `type` received so far and not consumed by `next`. */
  unread<T extends ServerFrame['type']>(type: T): FrameOf<T>[] {
    return this.frames.filter((f, i) => f.type === type && !this.#taken.has(i)) as FrameOf<T>[];
  }

  /** Sends a relay frame: kind byte, the receiver's id, the payload. */
  relay(to: string, payload: Uint8Array): void {
    this.ws.send(Buffer.concat([Buffer.from([1]), Buffer.from(to, 'latin1'), payload]));
  }

  /** Sends a credit sync numbered `n` for the pair towards `to` (kind byte 2, a u32). */
  sync(to: string, n: number): void {
    const number = Buffer.alloc(4);
    number.writeUInt32BE(n);
    this.ws.send(Buffer.concat([Buffer.from([2]), Buffer.from(to, 'latin1'), number]));
  }

  /** Waits until `count` relay frames have arrived (or `timeoutMs` passes) and returns them. */
  async relayed(count: number, timeoutMs = 5000): Promise<Buffer[]> {
    const deadline = performance.now() + timeoutMs;
    while (this.binary.length < count) {
      if (performance.now() > deadline)
        throw new Error(`got ${this.binary.length} of ${count} relay frames in ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.binary.slice(0, count);
  }

  close(code?: number): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.close(code);
    return this.closed;
  }

  /** Drops the TCP connection without a closing handshake, like a lost network. */
  kill(): void {
    this.ws.terminate();
  }
}
