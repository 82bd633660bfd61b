import { describe, expect, it } from 'vitest';
import type { MemberRecord, RoomEvent } from '../../signaling/room-store.js';
import { RoomView } from '../../signaling/room-view.js';

const record = (id: string): MemberRecord => ({ id, room: 'r', meta: {}, node: 'n1' });
const joined = (seq: number, id: string): RoomEvent => ({
  seq,
  kind: 'joined',
  record: record(id),
});

/** A view made live by a first join (snapshot at `seq`, members `ids`), with no join waiting. */
function liveView(seq: number, ids: string[]): RoomView {
  const view = new RoomView();
  view.joinStarted();
  view.catchUp({ seq, members: ids.map(record) });
  view.joinEnded();
  return view;
}

describe('RoomView', () => {
  it('applies events that come before its first snapshot once the snapshot is there', () => {
    const view = new RoomView();
    view.joinStarted();
    expect(view.apply(joined(4, 'c'))).toBe(false); // not live yet: kept
    const missed = view.catchUp({ seq: 3, members: [record('a'), record('b')] });
    expect([...view.members.keys()]).toEqual(['a', 'b', 'c']);
    expect(view.seq).toBe(4);
    expect(missed.map((e) => e.seq)).toEqual([4]);
  });

  it('catches a join up with the events that came while it waited for the store', () => {
    const view = liveView(2, ['a']);
    view.joinStarted(); // b's join asks the store: its snapshot will be at seq 3
    expect(view.apply(joined(3, 'b'))).toBe(true);
    expect(view.apply(joined(4, 'c'))).toBe(true); // came before b's answer
    expect(view.catchUp({ seq: 3, members: [record('a'), record('b')] })).toEqual([joined(4, 'c')]);
    view.joinEnded();
  });

  it('keeps no events once no join waits, so an idle room holds none', () => {
    const view = liveView(0, []);
    // Events with no join waiting (members joining elsewhere, or joins already answered).
    for (let seq = 1; seq <= 10; seq += 1) view.apply(joined(seq, `p${seq}`));
    view.joinStarted();
    // A join that started after them is never owed them: its snapshot is newer.
    expect(view.catchUp({ seq: 10, members: [] })).toEqual([]);
    view.apply(joined(11, 'late'));
    expect(view.catchUp({ seq: 10, members: [] }).map((e) => e.seq)).toEqual([11]);
    view.joinEnded();
    // Let go once the last waiting join ended: a later one sees nothing of them.
    view.joinStarted();
    expect(view.catchUp({ seq: 5, members: [] })).toEqual([]);
    view.joinEnded();
  });

  it('keeps events while any of several joins waits', () => {
    const view = liveView(0, []);
    view.joinStarted();
    view.joinStarted();
    view.apply(joined(1, 'x'));
    view.joinEnded(); // one answered; the other still waits
    expect(view.catchUp({ seq: 0, members: [] }).map((e) => e.seq)).toEqual([1]);
    view.joinEnded();
  });
});
