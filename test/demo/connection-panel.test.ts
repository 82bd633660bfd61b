import { describe, expect, it } from 'vitest';
import { safetyText } from '../../demo/connection-panel.js';

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
});
