import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SDK_ERROR_CODES } from '../sdk/errors.js';
import { SETTINGS } from '../signaling/cli-options.js';
import {
  CLIENT_FRAME_TYPES,
  CLOSE_CODES,
  ERROR_CODES,
  SERVER_FRAME_TYPES,
} from '../signaling/protocol.js';

const readme = await readFile(join(import.meta.dirname, '..', 'README.md'), 'utf8');
/** The cells of every table row, trimmed. */
const rows = readme
  .split('\n')
  .filter((line) => line.startsWith('|'))
  .map((line) =>
    line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim()),
  );
const hasRow = (...cells: string[]): boolean =>
  rows.some((row) => cells.every((cell, i) => row[i] === cell));

/** The README is the operator's and client author's reference: it must not drift from the code. */
describe('README', () => {
  it.each(Object.keys(ERROR_CODES))('documents error code %s', (code) => {
    expect(hasRow(`\`${code}\``)).toBe(true);
  });

  it.each(Object.keys(SDK_ERROR_CODES))('documents SDK error code %s', (code) => {
    expect(hasRow(`\`${code}\``)).toBe(true);
  });

  it.each(SETTINGS.map((s) => [s.flag, s.env] as const))('documents --%s / %s', (flag, env) => {
    expect(hasRow(`\`--${flag}\``, `\`${env}\``)).toBe(true);
  });

  it.each(Object.values(CLOSE_CODES))('documents close code %i', (code) => {
    expect(hasRow(String(code))).toBe(true);
  });

  const frameTypes = [
    ...CLIENT_FRAME_TYPES.map((type) => `client ${type}`),
    ...SERVER_FRAME_TYPES.map((type) => `server ${type}`),
  ];
  it.each(frameTypes)('documents the %s frame', (name) => {
    const type = name.split(' ')[1];
    expect(hasRow(`\`${type}\``)).toBe(true);
  });
});
