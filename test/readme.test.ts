import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
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

const root = join(import.meta.dirname, '..');
const readme = await readFile(join(root, 'README.md'), 'utf8');
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

/** The table rows of one `## ` section of the README. */
function sectionRows(title: string): string[][] {
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) return [];
  const end = readme.indexOf('\n## ', start + 4);
  return readme
    .slice(start, end < 0 ? undefined : end)
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| ---'))
    .slice(1) // the header
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
}

/** The file and folder names a cell puts in backticks (`x.ts`, `sdk/link/`). */
const pathsIn = (cell: string): string[] =>
  [...cell.matchAll(/`([^`\s]+)`/g)]
    .map((m) => m[1] ?? '')
    .filter((name) => /\.(ts|md)$/.test(name) || name.endsWith('/'));

/** Every folder below `dir` that holds a source file (.ts, .html, .css). */
async function sourceFolders(dir: string): Promise<string[]> {
  const entries = await readdir(join(root, dir), { withFileTypes: true });
  const here = entries.some((e) => e.isFile() && /\.(ts|html|css)$/.test(e.name))
    ? [`${dir}/`]
    : [];
  const below = await Promise.all(
    entries.filter((e) => e.isDirectory()).map((e) => sourceFolders(`${dir}/${e.name}`)),
  );
  return [...here, ...below.flat()];
}

describe('README project layout', () => {
  const layout = sectionRows('Project layout');
  const folders = layout.map((row) => row[0]?.replace(/`/g, '') ?? '');

  it('names folders that exist, and files in them that exist', () => {
    expect(folders.length).toBeGreaterThan(10);
    for (const [cell, job = ''] of layout) {
      const folder = cell?.replace(/`/g, '') ?? '';
      expect(existsSync(join(root, folder)), folder).toBe(true);
      for (const name of pathsIn(job)) {
        const path = name.includes('/') ? name : join(folder, name);
        expect(existsSync(join(root, path)), `${path} (row ${folder})`).toBe(true);
      }
    }
  });

  it.each(['sdk', 'signaling', 'demo', 'test'])(
    'lists every source folder under %s/',
    async (top) => {
      for (const folder of await sourceFolders(top)) expect(folders).toContain(folder);
    },
  );

  it('has a glossary whose every "where" exists', () => {
    const glossary = sectionRows('Glossary');
    expect(glossary.map((row) => row[0])).toEqual(
      expect.arrayContaining(['link', 'route', 'lane', 'relay', 'TURN', 'transport']),
    );
    for (const row of glossary) {
      for (const path of pathsIn(row[2] ?? ''))
        expect(existsSync(join(root, path)), path).toBe(true);
    }
  });
});
