import { describe, expect, it } from 'vitest';
import { safetyText, seeSafety } from '../../demo/connection-panel.js';

describe("the connection panel's safety number", () => {
  it('shows nothing without a room secret or before the first number is known', () => {
    expect(safetyText(undefined)).toBeUndefined();
    expect(safetyText({ now: undefined, before: undefined })).toBeUndefined();
  });

  it('shows the number to compare once known', () => {
    expect(safetyText({ now: '1234 5678 9012', before: undefined })).toBe(
      '1234 5678 9012 — the same on both screens: no one in between',
    );
  });

  it('says a renewed connection is being agreed instead of dropping the row, then asks to compare again', () => {
    expect(safetyText({ now: undefined, before: '1234 5678 9012' })).toMatch(
      /^being agreed for a new connection — compare it again/,
    );
    expect(safetyText({ now: '4321 8765 2109', before: '1234 5678 9012' })).toMatch(
      /^4321 8765 2109 — a new connection, a new number: compare it again/,
    );
  });

  it('remembers the number shown before across a renewed connection, and forgets it when the new one is the same', () => {
    const first = seeSafety(undefined, 'A');
    expect(first).toEqual({ now: 'A', before: undefined });
    expect(seeSafety(first, 'A')).toBe(first);
    const renewing = seeSafety(first, undefined);
    expect(renewing).toEqual({ now: undefined, before: 'A' });
    expect(seeSafety(renewing, 'B')).toEqual({ now: 'B', before: 'A' });
    expect(seeSafety(renewing, 'A')).toEqual({ now: 'A', before: undefined });
    expect(seeSafety(seeSafety(first, 'B'), 'C')).toEqual({ now: 'C', before: 'B' });
  });
});
