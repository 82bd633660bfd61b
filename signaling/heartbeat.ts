/** What the heartbeat needs of a socket (`ClientSocket` is one). */
export interface Pingable {
  /** Pings the client; answers the mark to check it against later, undefined when closed. */
  ping(): number | undefined;
  /** Cuts the connection as dead (a heartbeat timeout) unless the client sent anything since `mark`. */
  endIfSilentSince(mark: number): void;
}

/**
 * The server's heartbeat: every `intervalMs` it pings each open socket, and `timeoutMs`
 * later cuts each one that has sent nothing since — no pong, and no frame either (any
 * bytes from the client prove it alive). One interval, and one timer per round for all
 * sockets, where a pong listener and a timer per socket would cost every idle connection
 * memory: the fourth listener on a `ws` socket grows its listener table by 96 B.
 */
export class Heartbeat {
  readonly #interval: NodeJS.Timeout;
  /** The pending check of each round, cleared on {@link stop}. */
  readonly #checks = new Set<NodeJS.Timeout>();

  constructor(
    /** The open sockets, read at each round. */
    private readonly sockets: Iterable<Pingable>,
    /** How long after its ping a socket has to have sent something, in ms (`heartbeatTimeoutMs`). */
    private readonly timeoutMs: number,
    /** How often a round of pings starts, in ms (`heartbeatIntervalMs`). */
    intervalMs: number,
  ) {
    this.#interval = setInterval(() => this.#round(), intervalMs);
    this.#interval.unref();
  }

  /** Stops pinging; pending checks are dropped (nothing is cut after this). */
  stop(): void {
    clearInterval(this.#interval);
    for (const check of this.#checks) clearTimeout(check);
    this.#checks.clear();
  }

  #round(): void {
    const sockets: Pingable[] = [];
    const marks: number[] = [];
    for (const socket of this.sockets) {
      const mark = socket.ping();
      if (mark === undefined) continue;
      sockets.push(socket);
      marks.push(mark);
    }
    if (sockets.length === 0) return;
    const check = setTimeout(() => {
      this.#checks.delete(check);
      for (let i = 0; i < sockets.length; i += 1) sockets[i]?.endIfSilentSince(marks[i] as number);
    }, this.timeoutMs);
    check.unref();
    this.#checks.add(check);
  }
}
