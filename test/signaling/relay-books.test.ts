import { describe, expect, it } from 'vitest';
import { RELAY_DATA, RELAY_HEADER_BYTES } from '../../signaling/protocol.js';
import { Relay, type RelayHost } from '../../signaling/relay.js';
import type { MemberRecord } from '../../signaling/room-store.js';

const ALICE = 'A'.repeat(22);
const BOB = 'B'.repeat(22);
const ROOM = 'books';

function record(id: string, node: string): MemberRecord {
  return { id, room: ROOM, meta: {}, node };
}

/** A relay on node `here` whose room has Alice here and Bob on `bobNode`; `local` is who is on this node. */
function relayWith(bobNode: string, local: Set<string>) {
  const sent: string[] = [];
  const delivered: string[] = [];
  const members = new Map([
    [ALICE, record(ALICE, 'here')],
    [BOB, record(BOB, bobNode)],
  ]);
  const host: RelayHost = {
    member: (_room, id) => members.get(id),
    deliverLocal: (id, _data, written) => {
      if (!local.has(id)) return false;
      delivered.push(id);
      written?.();
      return true;
    },
    sendText: (to, text) => sent.push(`${to.id} ${text}`),
    sendRelay: () => 0,
    counted: () => {},
    roomOf: (id) => (local.has(id) ? ROOM : undefined),
  };
  const relay = new Relay({ window: 65536, maxChunk: 16384, media: true }, host);
  return { relay, sent, delivered, members };
}

/** A relay data frame from `from` as another node passes it on: the sender's id in the header. */
function dataFrame(from: string, bytes: number): Buffer {
  const frame = Buffer.alloc(RELAY_HEADER_BYTES + bytes);
  frame[0] = RELAY_DATA;
  frame.write(from, 1, 'latin1');
  return frame;
}

describe('Relay books', () => {
  it('keeps none for a receiver that is no longer on this node', () => {
    // Bob's record still says this node (the sender's node routed by it), but Bob has
    // gone: frames for him, from another node or a peer here, leave nothing behind.
    const { relay, sent, delivered } = relayWith('here', new Set([ALICE]));
    for (let i = 0; i < 3; i += 1) relay.toLocal(BOB, dataFrame(ALICE, 1000));
    const refusal = relay.fromClient(record(ALICE, 'here'), dataFrame(BOB, 1000));
    expect(refusal).toMatchObject({ code: 'PEER_NOT_FOUND' });
    expect(delivered).toEqual([]);
    expect(relay.books).toEqual({ credit: 0, unwritten: 0, senders: 0 });
    // Nothing was sent on: the frames from another node name no room to find their sender
    // by, and a sender whose credit stops coming asks for it (a credit sync) where Bob is.
    expect(sent).toEqual([]);
  });

  it('keeps a pair while both are here, and none once they are forgotten', () => {
    const { relay, delivered } = relayWith('here', new Set([ALICE, BOB]));
    expect(relay.fromClient(record(ALICE, 'here'), dataFrame(BOB, 1000))).toBe(0);
    expect(delivered).toEqual([BOB]);
    expect(relay.books).toEqual({ credit: 1, unwritten: 1, senders: 1 });
    relay.forget(BOB);
    expect(relay.books).toEqual({ credit: 0, unwritten: 0, senders: 0 });
  });
});
