import { describe, expect, it } from 'vitest';
import {
  linkProblem,
  randomRoomName,
  randomSecret,
  roomFromHash,
  secretFromHash,
} from '../../demo/room-link.js';
import { RoomName } from '../../signaling/protocol.js';

describe('the room in the URL', () => {
  it('takes the hash as the room, made valid for the server', () => {
    expect(roomFromHash('#team-standup')).toBe('team-standup');
    expect(roomFromHash('#Ünïcode room!')).toBe('n-code-room');
    expect(roomFromHash('#caf%C3%A9%20talk')).toBe('caf-talk');
    expect(roomFromHash('#bad%escape')).toBe('bad-escape');
    expect(roomFromHash(`#${'x'.repeat(100)}`)).toBe('x'.repeat(64));
    expect(roomFromHash('#a.b~c_d')).toBe('a.b~c_d');
  });

  it('has no room for an empty hash (a fresh one is made)', () => {
    expect(roomFromHash('')).toBeUndefined();
    expect(roomFromHash('#')).toBeUndefined();
    expect(roomFromHash('#%20!!')).toBeUndefined();
  });

  it('makes random names the server accepts, easy to read out', () => {
    const names = new Set(Array.from({ length: 50 }, randomRoomName));
    expect(names.size).toBeGreaterThan(40);
    for (const name of names) {
      expect(name).toMatch(/^[a-z]+-[a-z]+-\d{4}$/);
      expect(RoomName.safeParse(name).success).toBe(true);
    }
  });

  it('reads the room secret after a slash in the fragment, and makes random ones', () => {
    expect(roomFromHash('#team-standup/Abc_def-0123456789xyz')).toBe('team-standup');
    expect(secretFromHash('#team-standup/Abc_def-0123456789xyz')).toBe('Abc_def-0123456789xyz');
    expect(secretFromHash('#team-standup')).toBeUndefined();
    expect(secretFromHash('#team-standup/short')).toBeUndefined(); // under 16 characters
    expect(secretFromHash('#team-standup/not a secret at all!')).toBeUndefined();
    const secrets = new Set(Array.from({ length: 20 }, randomSecret));
    expect(secrets.size).toBe(20);
    for (const secret of secrets) expect(secretFromHash(`#r/${secret}`)).toBe(secret);
  });

  it('says when the link names a room or a secret that cannot be used, instead of going on silently', () => {
    // A secret cut short or mangled (a chat app wrapping the link): not a call without one.
    expect(linkProblem('#team-standup/Abc_def-0123')).toBe('secret');
    expect(linkProblem('#team-standup/Abc_def+0123456789xyz')).toBe('secret');
    // A room name with nothing a room can use: not a random room of one's own, alone.
    expect(linkProblem('#会议')).toBe('room');
    expect(linkProblem('#%E4%BC%9A%E8%AE%AE/Abc_def-0123456789xyz')).toBe('room');
    expect(linkProblem('#%20!!')).toBe('room');
    // Links that are fine, or no link at all.
    for (const fine of ['', '#', '#team-standup', '#team-standup/', '#r/Abc_def-0123456789xyz']) {
      expect(linkProblem(fine)).toBeUndefined();
    }
  });
});
