import type { FrameRejection } from './frames.js';
import { innerMap, innerSet } from './nested-map.js';
import {
  isMediaTag,
  PEER_ID_PATTERN,
  type PeerId,
  RELAY_DATA,
  RELAY_HEADER_BYTES,
  RELAY_SYNC,
  RELAY_SYNC_BYTES,
  type ServerFrame,
} from './protocol.js';
import type { MemberRecord } from './room-store.js';

/** The relay's settings, from the server options. */
export interface RelaySettings {
  /** Bytes a sender may have in flight to one receiver before the receiver grants more. */
  window: number;
  /** Largest payload of one relay frame. */
  maxChunk: number;
  /** Whether media frames (the SDK's media lane) are relayed too. */
  media: boolean;
}

/** What a relayed payload carries, for the metrics: audio/video, or messages and files. */
export type RelayKind = 'media' | 'data';

/** What the relay needs from delivery: the routing table and delivery. */
export interface RelayHost {
  /** The member `id` of `room`, as this node sees the room. */
  member(room: string, id: PeerId): MemberRecord | undefined;
  /**
   * Delivers to a peer on this node (held while it reconnects); false if it cannot.
   * `written` is called once the data has left this process (or been dropped).
   */
  deliverLocal(id: PeerId, data: string | Buffer, written?: () => void): boolean;
  /** Sends a text frame to a peer wherever it is. */
  sendText(record: MemberRecord, text: string): void;
  /**
   * Sends a relay frame to a peer on another node; answers how many ms the sender should
   * pause for the link between the nodes to stay within its rate (0: none).
   */
  sendRelay(node: string, to: PeerId, frame: Buffer): number;
  /** Counts relayed payload bytes of one kind. */
  counted(bytes: number, kind: RelayKind): void;
  /** The room of a peer on this node. */
  roomOf(id: PeerId): string | undefined;
}

/**
 * The WebSocket relay: peer data for peers that cannot reach each other directly, as
 * opaque binary frames. Flow control is credit-based and end to end: a sender starts
 * with `window` bytes towards each receiver and the receiver grants more as it reads.
 * Credit is kept on the receiver's node, which sees both the data and the grants, so
 * whatever the server holds for a receiver is bounded by window × senders however slow
 * it reads — and however much credit it grants: a grant only counts up to what the
 * server has actually written to the receiver.
 */
export class Relay {
  /** receiver → sender → bytes the sender may still send. */
  readonly #credit = new Map<PeerId, Map<PeerId, number>>();
  /** receiver → sender → bytes delivered to the receiver's socket and not yet written. */
  readonly #unwritten = new Map<PeerId, Map<PeerId, number>>();
  /** sender → the receivers on this node that keep credit for it (to forget it there too). */
  readonly #receiversOf = new Map<PeerId, Set<PeerId>>();

  constructor(
    readonly settings: RelaySettings,
    private readonly host: RelayHost,
  ) {}

  /**
   * How many peers this node keeps relay books for: as receivers of credit, as receivers
   * of bytes not yet written, and as senders. Each falls to 0 once the peers are forgotten.
   */
  get books(): { credit: number; unwritten: number; senders: number } {
    return {
      credit: this.#credit.size,
      unwritten: this.#unwritten.size,
      senders: this.#receiversOf.size,
    };
  }

  /**
   * A binary frame from `sender`: checks it and routes it to its receiver. Answers a
   * refusal, or how many ms the sender should pause for the inter-node link (0 on one node).
   */
  fromClient(sender: MemberRecord, frame: Buffer): FrameRejection | number {
    const sync = frame[0] === RELAY_SYNC;
    if (frame.length < RELAY_HEADER_BYTES || !(sync || frame[0] === RELAY_DATA)) {
      return {
        code: 'INVALID_FRAME',
        message: `a relay frame is 1 kind byte (${RELAY_DATA}, or ${RELAY_SYNC} for a credit sync), a 22-byte peer id, then the payload`,
      };
    }
    if (sync && frame.length !== RELAY_SYNC_BYTES) {
      return {
        code: 'INVALID_FRAME',
        message: `a credit sync's payload is a u32; this one has ${frame.length - RELAY_HEADER_BYTES} bytes`,
      };
    }
    const payload = frame.length - RELAY_HEADER_BYTES;
    if (payload > this.settings.maxChunk) {
      return {
        code: 'FRAME_TOO_LARGE',
        message: `relay payload is ${payload} bytes; the limit is ${this.settings.maxChunk}`,
      };
    }
    if (!sync && isMediaTag(frame[RELAY_HEADER_BYTES]) && !this.settings.media) {
      return {
        code: 'RELAY_MEDIA_DISABLED',
        message: 'this server relays messages and files only; the audio/video frame was dropped',
      };
    }
    const to = frame.toString('latin1', 1, RELAY_HEADER_BYTES);
    const target = PEER_ID_PATTERN.test(to) ? this.host.member(sender.room, to) : undefined;
    if (!target || target.id === sender.id) {
      return { code: 'PEER_NOT_FOUND', message: `peer ${to} is not in room "${sender.room}"` };
    }
    // The frame is ours now: stamp the sender over the receiver's id and pass it on as is.
    frame.write(sender.id, 1, 'latin1');
    if (target.node !== sender.node) return this.host.sendRelay(target.node, target.id, frame);
    return this.#deliver(target.id, frame) ?? 0;
  }

  /** A relay frame from another node for a peer on this one: a refusal goes back as an error frame. */
  toLocal(to: PeerId, frame: Buffer): void {
    const refusal = this.#deliver(to, frame);
    if (refusal) this.#tellSender(to, frame.toString('latin1', 1, RELAY_HEADER_BYTES), refusal);
  }

  /**
   * Spends the sender's credit and delivers a relay frame to a peer on this node; or, for
   * a credit sync, tells the sender the credit it has.
   */
  #deliver(to: PeerId, frame: Buffer): FrameRejection | undefined {
    // Before any books are opened for the pair: a receiver no longer on this node (it left,
    // or moved to another node since the sender's node routed the frame) must leave none.
    if (this.host.roomOf(to) === undefined) {
      return { code: 'PEER_NOT_FOUND', message: `peer ${to} is not reachable` };
    }
    const from = frame.toString('latin1', 1, RELAY_HEADER_BYTES);
    if (frame[0] === RELAY_SYNC) {
      const credit = this.#credit.get(to)?.get(from) ?? this.settings.window;
      const n = frame.readUInt32BE(RELAY_HEADER_BYTES);
      this.#toSender(to, from, { type: 'relay-sync', from: to, credit, n });
      return undefined;
    }
    const payload = frame.length - RELAY_HEADER_BYTES;
    const granted = innerMap(this.#credit, to);
    const left = granted.get(from) ?? this.settings.window;
    if (payload > left) {
      return {
        code: 'RELAY_NO_CREDIT',
        message: `peer ${to} has granted ${left} more bytes; ${payload} were sent`,
      };
    }
    const unwritten = innerMap(this.#unwritten, to);
    const written = (): void => {
      const still = (unwritten.get(from) ?? payload) - payload;
      if (still > 0) unwritten.set(from, still);
      else unwritten.delete(from);
    };
    unwritten.set(from, (unwritten.get(from) ?? 0) + payload);
    if (!this.host.deliverLocal(to, frame, written)) {
      written();
      return { code: 'PEER_NOT_FOUND', message: `peer ${to} is not reachable` };
    }
    this.#setCredit(granted, to, from, left - payload);
    this.host.counted(payload, isMediaTag(frame[RELAY_HEADER_BYTES]) ? 'media' : 'data');
    return undefined;
  }

  /** `receiver` lets `sender` send `bytes` more: record it and tell the sender. */
  credit(receiver: MemberRecord, sender: PeerId, bytes: number): FrameRejection | undefined {
    const target = this.host.member(receiver.room, sender);
    if (!target || target.id === receiver.id) {
      return {
        code: 'PEER_NOT_FOUND',
        message: `peer ${sender} is not in room "${receiver.room}"`,
      };
    }
    const granted = innerMap(this.#credit, receiver.id);
    const left = granted.get(sender) ?? this.settings.window;
    // Credit is the receiver's word that it read what it had; the server holds it to what
    // it has written to the receiver, so credit plus unwritten bytes never pass the window.
    const unwritten = this.#unwritten.get(receiver.id)?.get(sender) ?? 0;
    const now = Math.max(left, Math.min(left + bytes, this.settings.window - unwritten));
    this.#setCredit(granted, receiver.id, sender, now);
    if (now === left) return undefined;
    const frame: ServerFrame = { type: 'relay-credit', from: receiver.id, bytes: now - left };
    this.host.sendText(target, JSON.stringify(frame));
    return undefined;
  }

  /**
   * The peer left this node: the credit of every pair it is in goes with it, as receiver
   * and as sender. If it comes back (a new session: its SDK starts every pair again at the
   * window), so does this server.
   */
  forget(id: PeerId): void {
    for (const sender of this.#credit.get(id)?.keys() ?? []) {
      const receivers = this.#receiversOf.get(sender);
      receivers?.delete(id);
      if (receivers?.size === 0) this.#receiversOf.delete(sender);
    }
    this.#credit.delete(id);
    this.#unwritten.delete(id);
    for (const receiver of this.#receiversOf.get(id) ?? []) {
      this.#credit.get(receiver)?.delete(id);
      this.#unwritten.get(receiver)?.delete(id);
    }
    this.#receiversOf.delete(id);
  }

  /** Records what `sender` may still send `receiver` (`granted` is the receiver's map). */
  #setCredit(granted: Map<PeerId, number>, receiver: PeerId, sender: PeerId, bytes: number): void {
    if (!granted.has(sender)) innerSet(this.#receiversOf, sender).add(receiver);
    granted.set(sender, bytes);
  }

  #tellSender(receiver: PeerId, sender: PeerId, { code, message }: FrameRejection): void {
    this.#toSender(receiver, sender, { type: 'error', code, message });
  }

  #toSender(receiver: PeerId, sender: PeerId, frame: ServerFrame): void {
    const record = this.#find(receiver, sender);
    if (record) this.host.sendText(record, JSON.stringify(frame));
  }

  #find(receiver: PeerId, sender: PeerId): MemberRecord | undefined {
    // The receiver is local, so this node has its room's view, which has the sender.
    const room = this.host.roomOf(receiver);
    return room === undefined ? undefined : this.host.member(room, sender);
  }
}
