import { describe, expect, it } from 'vitest';
import { decodeChat, encodeChat, MAX_CHAT_CHARS } from '../../demo/chat.js';
import { encodeFileMessage, readFileMessage } from '../../demo/file-drop.js';

describe('the demo’s messages between peers', () => {
  it('carries chat text as JSON, and ignores what is not a chat message', () => {
    expect(decodeChat(encodeChat('hello <b>there</b>'))).toBe('hello <b>there</b>');
    expect(decodeChat(encodeChat('x'.repeat(MAX_CHAT_CHARS + 10)))).toHaveLength(MAX_CHAT_CHARS);
    for (const other of ['not json', '42', 'null', '{"type":"chat"}', '{"type":"x","text":"a"}']) {
      expect(decodeChat(other)).toBeUndefined();
    }
    expect(decodeChat(encodeChat('   '))).toBeUndefined();
  });

  it('carries a file as one binary message: name, and bytes intact', async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const { message } = await encodeFileMessage(
      new File([bytes], 'photo.png', { type: 'image/png' }),
    );
    const file = readFileMessage(message);
    expect(file).toMatchObject({ name: 'photo.png', size: 5 });
    const download = await (await fetch(file?.downloadUrl ?? '')).blob();
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(bytes);
    // Downloads never render as a page of ours; pictures get a preview of their own type.
    expect(download.type).toBe('application/octet-stream');
    expect((await (await fetch(file?.imageUrl ?? '')).blob()).type).toBe('image/png');
  });

  it('keeps a sender’s file name from naming a path, and previews only pictures', async () => {
    const { message } = await encodeFileMessage(
      new File(['<script>'], '../../etc/pass\u0000wd.html', { type: 'text/html' }),
    );
    expect(readFileMessage(message)).toMatchObject({ name: 'passwd.html', imageUrl: undefined });
  });

  it('ignores binary messages that are not files', () => {
    expect(readFileMessage(new Uint8Array([1, 2]))).toBeUndefined();
    expect(readFileMessage(new Uint8Array([0, 0, 0, 200, 1]))).toBeUndefined();
    const notJson = new Uint8Array([0, 0, 0, 2, 123, 123]);
    expect(readFileMessage(notJson)).toBeUndefined();
  });
});
