import { describe, expect, it } from 'vitest';
import { nameOf, uniqueNames } from '../../demo/names.js';
import { encodeBeat, GONE_AFTER_MS, isBeat, Liveness, LOST_AFTER_MS } from '../../demo/presence.js';
import { transferFailureText } from '../../demo/transfer-text.js';

describe('liveness', () => {
  it('marks a silent person lost after 6 s and gone after 20 s; any message revives them', () => {
    let now = 1000;
    const liveness = new Liveness(() => now);
    expect(liveness.presence('bob')).toBe('live'); // never heard: the SDK alone judges
    expect(liveness.known('bob')).toBe(false);
    liveness.heard('bob');
    now += LOST_AFTER_MS - 1;
    expect(liveness.presence('bob')).toBe('live');
    now += 1;
    expect(liveness.presence('bob')).toBe('lost');
    now += GONE_AFTER_MS - LOST_AFTER_MS;
    expect(liveness.presence('bob')).toBe('gone');
    liveness.heard('bob');
    expect(liveness.presence('bob')).toBe('live');
    liveness.forget('bob');
    expect(liveness.known('bob')).toBe(false);
  });

  it('knows its beat and nothing else', () => {
    expect(isBeat(encodeBeat())).toBe(true);
    expect(isBeat(JSON.stringify({ type: 'chat', text: 'beat' }))).toBe(false);
    expect(isBeat('{"type": "beat"}')).toBe(false);
  });
});

describe('names', () => {
  it('gives the second and third of a name a suffix, the same on every page (by peer id)', () => {
    const people = [
      { id: 'c', name: 'Ada' },
      { id: 'a', name: 'ada' },
      { id: 'b', name: 'Bob' },
      { id: 'd', name: 'Ada' },
    ];
    const labels = uniqueNames(people);
    expect(Object.fromEntries(labels)).toEqual({ a: 'ada', b: 'Bob', c: 'Ada (2)', d: 'Ada (3)' });
    // Another page lists the same people in another order: same labels.
    expect(uniqueNames([...people].reverse())).toEqual(labels);
  });

  it('reads a name from metadata, whatever another app put there', () => {
    expect(nameOf({ name: '  Ada   Lovelace ' })).toBe('Ada Lovelace');
    expect(nameOf({ name: 42 })).toBe('Guest');
    expect(nameOf({})).toBe('Guest');
    expect(nameOf({ name: 'x'.repeat(60) })).toHaveLength(40);
  });

  it('tells a name with invisible characters apart from the one it copies', () => {
    // The server refuses controls and bidi overrides in metadata, not zero-width characters:
    // "Ada\u200B" looks like "Ada" and must become "Ada (2)", as two "Ada"s do.
    const labels = uniqueNames([
      { id: 'a', name: nameOf({ name: 'Ada' }) },
      { id: 'b', name: nameOf({ name: 'Ada\u200B' }) },
      { id: 'c', name: nameOf({ name: 'A\u200Dd\u2060a\u00AD' }) },
      { id: 'd', name: nameOf({ name: 'Ada\u200F\u061C' }) },
    ]);
    expect(Object.fromEntries(labels)).toEqual({
      a: 'Ada',
      b: 'Ada (2)',
      c: 'Ada (3)',
      d: 'Ada (4)',
    });
    // Other apps (or another server) may send anything: no overrides, controls, or only them.
    expect(nameOf({ name: '\u202EMallory\u0085\u2028' })).toBe('Mallory');
    expect(nameOf({ name: '\u200B\u2066' })).toBe('Guest');
    // Emoji sequences and other scripts stay as they are.
    expect(nameOf({ name: 'Zoë 👩\u200D💻 مريم' })).toBe('Zoë 👩\u200D💻 مريم');
  });
});

describe('file transfer outcomes in words', () => {
  const receiving = { sending: false, other: 'Ada', endedHere: false };
  const sending = { sending: true, other: 'Bob', endedHere: false };
  it('names who ended it', () => {
    expect(transferFailureText('TRANSFER_CANCELLED', receiving)).toBe('Ada cancelled');
    expect(transferFailureText('TRANSFER_CANCELLED', { ...receiving, endedHere: true })).toBe(
      'You cancelled',
    );
    expect(transferFailureText('TRANSFER_REJECTED', sending)).toBe('Bob declined');
    expect(transferFailureText('PEER_LEFT', sending)).toBe('Bob left before it finished');
  });

  it('says what broke, never a code', () => {
    expect(transferFailureText('SOURCE_UNREADABLE', sending)).toBe(
      'The file changed or could not be read while sending',
    );
    expect(transferFailureText('SOURCE_UNREADABLE', receiving)).toBe(
      "Ada's file changed or could not be read while sending",
    );
    expect(transferFailureText('INTEGRITY_FAILED', receiving)).toMatch(/^It arrived damaged/);
    expect(transferFailureText('SOMETHING_NEW', receiving)).toBe('The transfer broke off');
  });
});
