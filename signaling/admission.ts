import type { IncomingMessage } from 'node:http';
import { TokenBucket } from './token-bucket.js';

/** Why an upgrade request was turned away, as an HTTP status and text. */
export interface Refusal {
  status: number;
  text: string;
}

interface AdmissionOptions {
  allowedOrigins: readonly string[] | undefined;
  maxConnectionsPerIp: number;
  joinRateLimit: number;
  joinRateBurst: number;
  trustProxy: boolean | number;
}

interface Address {
  connections: number;
  joins: TokenBucket;
}

/**
 * Who may connect and how often they may join: the origin allow-list, per-IP connection
 * caps and per-IP join rates. State per address lives while it has connections or its
 * join bucket has not refilled, so reconnecting does not reset the join rate.
 */
export class Admission {
  readonly #addresses = new Map<string, Address>();
  readonly #sweep: NodeJS.Timeout;

  constructor(private readonly options: AdmissionOptions) {
    this.#sweep = setInterval(() => this.#forgetIdle(), 10_000);
    this.#sweep.unref();
  }

  /**
   * The client's address: the socket's, or with `trustProxy` the one the trusted proxy
   * appended to `X-Forwarded-For` — the last hop (with `trustProxy: n`, n proxies in a
   * chain: the n-th from the end). Hops before it were written by the client.
   */
  addressOf(request: IncomingMessage): string {
    const proxies = this.options.trustProxy === true ? 1 : Number(this.options.trustProxy);
    if (proxies > 0) {
      const forwarded = request.headers['x-forwarded-for'];
      const hops = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? '')).split(',');
      const hop = hops[hops.length - proxies]?.trim();
      if (hop) return hop;
    }
    return request.socket.remoteAddress ?? 'unknown';
  }

  /** Checks origin and connection cap; on success counts the connection until `release`. */
  admit(request: IncomingMessage, address: string): Refusal | undefined {
    const origin = request.headers.origin;
    const allowed = this.options.allowedOrigins;
    // Only browsers send Origin; the allow-list protects users' browsers, not the server.
    if (allowed && origin !== undefined && !allowed.includes('*') && !allowed.includes(origin)) {
      return { status: 403, text: 'Forbidden' };
    }
    const entry = this.#entry(address);
    if (entry.connections >= this.options.maxConnectionsPerIp) {
      return { status: 429, text: 'Too Many Requests' };
    }
    entry.connections++;
    return undefined;
  }

  release(address: string): void {
    const entry = this.#addresses.get(address);
    if (entry) entry.connections--;
  }

  /** Spends one join from the address's bucket; false when it is empty. */
  takeJoin(address: string): boolean {
    return this.#entry(address).joins.take();
  }

  close(): void {
    clearInterval(this.#sweep);
  }

  #entry(address: string): Address {
    let entry = this.#addresses.get(address);
    if (!entry) {
      entry = {
        connections: 0,
        joins: new TokenBucket(this.options.joinRateBurst, this.options.joinRateLimit),
      };
      this.#addresses.set(address, entry);
    }
    return entry;
  }

  #forgetIdle(): void {
    for (const [address, entry] of this.#addresses) {
      if (entry.connections === 0 && entry.joins.full) this.#addresses.delete(address);
    }
  }
}
