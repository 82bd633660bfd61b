/**
 * The server's WebSocket relay, for peers that cannot (or must not) connect directly: the
 * room's side of it. Each remote peer reached through it gets a {@link RelayRoute} — the
 * same two lanes a direct route has, multiplexed on the signaling socket
 * (`relay-wire.ts`, `relay-route.ts`, `relay-lane.ts`).
 *
 * The relay talks to the signaling connection only through `RelaySocket` (`relay-socket.ts`).
 */
import type { PeerId } from '../../../signaling/protocol.js';
import { DrainPoll } from '../flow.js';
import { RelayRoute, type RelayTerms } from './relay-route.js';
import type { RelaySocket } from './relay-socket.js';
import { RELAY_CREDIT_REF } from './relay-wire.js';

/**
 * The relay of one room: the terms from the welcome, and a {@link RelayRoute} per remote
 * peer that has used it. Routes relay data and credit from the signaling connection.
 */
export class Relay {
  #terms: RelayTerms | undefined;
  #disabled = false;
  readonly #routes = new Map<PeerId, RelayRoute>();
  readonly #poll = new DrainPoll();

  constructor(private readonly socket: RelaySocket) {
    // Made on first use from either side: the peer may relay to us before our link to it
    // exists (it heard of us first), and its credit must come back all the same.
    socket.on('relay-data', (from, payload) => this.route(from)?.receive(payload));
    socket.on('relay-credit', (from, bytes) => this.#routes.get(from)?.credit(bytes));
    socket.on('relay-sync', (from, credit, n) => this.#routes.get(from)?.synced(credit, n));
    socket.on('refused', (ref, code) => {
      // A grant the server dropped (frame rate): grant those bytes again, later.
      if (!ref.startsWith(RELAY_CREDIT_REF)) return;
      const [to, bytes] = ref.slice(RELAY_CREDIT_REF.length).split(':');
      if (code === 'RATE_LIMITED' && to) this.#routes.get(to)?.regrant(Number(bytes));
    });
    socket.on('error', (error) => {
      if (error.code === 'RELAY_DISABLED') this.#disabled = true;
    });
    socket.on('state', (state) => {
      if (state !== 'connected') return;
      // A session the server started afresh holds no relay state of ours: every pair
      // starts again — before anything is sent on it, or credit would be counted twice —
      // and waits for the welcome or a `peer-joined` to say its peer is on this server
      // too (`release`). A peer that arrives after us would otherwise take frames we sent
      // it before we heard of its arrival, and the restart then would count them twice.
      if (!socket.resumed) {
        for (const route of this.#routes.values()) {
          route.hold();
          route.restart();
        }
      } else {
        // A resumed session: the server kept the pairs' credit, but what the last socket
        // had written when it died is lost with it — the peers' frames to us (which we
        // will never grant) and our grants — and that credit with it, for good.
        for (const route of this.#routes.values()) route.grantWindow();
      }
      this.pump();
    });
  }

  /** True when the server relays for this peer (its welcome had terms, and it never refused). */
  get available(): boolean {
    return this.#terms !== undefined && !this.#disabled;
  }

  /** Takes the relay terms of a (new) welcome. */
  setTerms(terms: RelayTerms | undefined): void {
    this.#terms = terms;
    if (terms) this.#disabled = false;
  }

  /** The relay route to `id`, made on first use; undefined while the relay is unavailable. */
  route(id: PeerId): RelayRoute | undefined {
    const terms = this.#terms;
    if (!terms || this.#disabled) return undefined;
    let route = this.#routes.get(id);
    if (!route) {
      route = new RelayRoute(id, terms, this.socket, () => this.#startPoll());
      this.#routes.set(id, route);
    }
    return route;
  }

  /** The peer left: its lanes close and its credit is forgotten (the server's goes too). */
  forget(id: PeerId): void {
    this.#routes.get(id)?.close();
    this.#routes.delete(id);
  }

  /**
   * The server's relay state of the pair with `id` is new: see `RelayRoute.restart`. The
   * new credit is the window of the current terms.
   */
  restart(id: PeerId): void {
    this.#routes.get(id)?.restart();
  }

  /** `id` is not on the server for now: its route queues (see `RelayRoute.hold`). */
  hold(id: PeerId): void {
    this.#routes.get(id)?.hold();
  }

  /** `id` is back on the server: its route sends again. */
  release(id: PeerId): void {
    this.#routes.get(id)?.release();
  }

  /** Sends what every route's credit and the socket allow. */
  pump(): void {
    for (const route of this.#routes.values()) route.pump();
  }

  close(): void {
    this.#poll.stop();
    for (const route of this.#routes.values()) route.close();
    this.#routes.clear();
  }

  /** Polls the socket's buffer while some lane waits for it (WebSockets have no drain event). */
  #startPoll(): void {
    this.#poll.start(
      () => {
        let waiting = false;
        for (const route of this.#routes.values()) waiting = route.poll() || waiting;
        return !waiting;
      },
      () => {},
    );
  }
}
