import { describe, expect, it } from 'vitest';
import { decodeChat, encodeChat, MAX_CHAT_CHARS } from '../../demo/chat.js';
import { chatFile, cleanName } from '../../demo/file-drop.js';

describe('the demo’s messages between peers', () => {
  it('carries chat text as JSON, and ignores what is not a chat message', () => {
    expect(decodeChat(encodeChat('hello <b>there</b>'))).toBe('hello <b>there</b>');
    expect(decodeChat(encodeChat('x'.repeat(MAX_CHAT_CHARS + 10)))).toHaveLength(MAX_CHAT_CHARS);
    for (const other of ['not json', '42', 'null', '{"type":"chat"}', '{"type":"x","text":"a"}']) {
      expect(decodeChat(other)).toBeUndefined();
    }
    expect(decodeChat(encodeChat('   '))).toBeUndefined();
  });

  it('makes a received file a download that never renders, and previews pictures', async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const file = chatFile('photo.png', 'image/png', new Blob([bytes]));
    expect(file).toMatchObject({ name: 'photo.png', size: 5 });
    const download = await (await fetch(file.downloadUrl)).blob();
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(bytes);
    // Downloads never render as a page of ours; pictures get a preview of their own type.
    expect(download.type).toBe('application/octet-stream');
    expect((await (await fetch(file.imageUrl ?? '')).blob()).type).toBe('image/png');
  });

  it('keeps a sender’s file name from naming a path, and previews only pictures', () => {
    const file = chatFile('../../etc/pass\u0000wd.html', 'text/html', new Blob(['<script>']));
    expect(file).toMatchObject({ name: 'passwd.html', imageUrl: undefined });
    expect(cleanName('C:\\Users\\x\\a\u0007.txt')).toBe('a.txt');
    expect(cleanName(' /\u0001 ')).toBe('file');
    expect(cleanName('x'.repeat(300))).toHaveLength(120);
  });

  it('shows a file name the way it is saved: no direction overrides or invisible characters', () => {
    // "photo\u202Egpj.exe" reads "photoexe.jpg" on screen: the receiver would accept a program.
    expect(cleanName('photo\u202Egpj.exe')).toBe('photogpj.exe');
    expect(cleanName('a\u2066b\u2069\u200F\u061C.txt')).toBe('ab.txt');
    expect(cleanName('report\u200B\uFEFF.pdf')).toBe('report.pdf');
    // C1 controls and line separators, like C0 ones.
    expect(cleanName('x\u0085y\u009B\u2028z.txt')).toBe('xyz.txt');
    expect(cleanName('\u202E\u202C')).toBe('file');
    // What is legitimately there stays: accents, scripts, emoji sequences.
    expect(cleanName('café فاتورة 👩\u200D💻.txt')).toBe('café فاتورة 👩\u200D💻.txt');
    expect(chatFile('photo\u202Egpj.exe', 'image/png', new Blob([])).name).toBe('photogpj.exe');
  });
});
