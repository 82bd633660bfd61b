/**
 * Files in a call: what this page sends (a row per receiver, named from the start) and
 * what others offer it (a row asking Accept / Decline; nothing arrives before Accept).
 */
import type { RemotePeer, Room } from '../sdk/index.js';
import type { People } from './call-people.js';
import type { ChatPanel } from './chat.js';
import type { Notices } from './notices.js';
import { followTransfer, offerRow } from './transfer-row.js';

export class CallFiles {
  /** Offers not yet answered, by sender, to close them when the sender leaves. */
  readonly #pending = new Map<string, Array<{ senderLeft(): void }>>();

  constructor(
    private readonly room: Room,
    private readonly people: People,
    private readonly chat: ChatPanel,
    private readonly notices: Notices,
  ) {}

  start(): void {
    this.room.on('incoming-file', (incoming) => {
      const from = incoming.from;
      const other = () => this.#name(from);
      const parts = this.chat.addFileRow(
        { name: other(), self: false },
        incoming.name,
        incoming.size,
        '',
      );
      const offer = offerRow(parts, incoming, { other, inCall: () => this.#inCall(from) });
      const list = this.#pending.get(from.id) ?? [];
      list.push(offer);
      this.#pending.set(from.id, list);
    });
    this.room.on('peer-left', (peer) => {
      for (const offer of this.#pending.get(peer.id) ?? []) offer.senderLeft();
      this.#pending.delete(peer.id);
    });
  }

  /** Sends each file to `to` (a peer id), or to everyone shown when `to` is "". */
  send(files: File[], to: string, selfName: string): void {
    const target = to ? this.room.peer(to) : undefined;
    const receivers = target
      ? [target]
      : this.room.peers.filter((peer) => this.people.tile(peer.id));
    if (receivers.length === 0) {
      this.notices.show('file', 'No one else is here yet to send files to.', { tone: 'warning' });
      return;
    }
    for (const file of files) {
      for (const peer of receivers) {
        try {
          const transfer = peer.sendFile(file);
          const parts = this.chat.addFileRow(
            { name: selfName, self: true },
            transfer.name,
            file.size,
            `to ${this.#name(peer)}`,
          );
          followTransfer(parts, transfer, {
            other: () => this.#name(peer),
            inCall: () => this.#inCall(peer),
            sent: file,
          });
        } catch (error) {
          const why = error instanceof Error ? error.message : String(error);
          this.notices.show(
            `file-${file.name}`,
            `${file.name} could not be sent to ${this.#name(peer)}: ${why}`,
            { tone: 'warning' },
          );
        }
      }
    }
  }

  /**
   * A call runs with `peer`: this page publishes or the peer's media arrives. The SDK then
   * holds files between the two to its `callFilePace`, and the row says why they are slow.
   */
  #inCall(peer: RemotePeer): boolean {
    return this.room.media.publishing || peer.stream !== undefined;
  }

  #name(peer: RemotePeer): string {
    return this.people.label(peer);
  }
}
