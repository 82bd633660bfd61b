import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { FileSource, RemotePeer, SendFileOptions } from '../../sdk/index.js';
import { type OutgoingContext, OutgoingTransfer } from '../../sdk/transfer/file-sender.js';
import type { ControlFrame } from '../../sdk/transfer/transfer-protocol.js';

/** A sender with no lane behind it: records the control frames it would send. */
function sender(source: FileSource, options: SendFileOptions = {}) {
  const sent: ControlFrame[] = [];
  // The sender only reads `peer.id` (for error messages); nothing here reaches a network.
  const peer = { id: 'bob' } as Pick<RemotePeer, 'id'> as RemotePeer;
  const context: OutgoingContext = {
    peer,
    sendControl: (frame) => sent.push(frame),
    wake: () => {},
    chunkBytes: () => 16 * 1024,
    finished: () => {},
  };
  return { transfer: new OutgoingTransfer(1, source, options, context), sent };
}

describe('a sent file is described from its first moment', () => {
  it('takes a File’s name, type and size before the source is opened', async () => {
    const file = new File([new Uint8Array(1234)], 'holiday.png', { type: 'image/png' });
    const { transfer, sent } = sender(file);
    // Synchronously after sendFile(): no 'file' placeholder, no unknown size.
    expect(transfer.handle.name).toBe('holiday.png');
    expect(transfer.handle.type).toBe('image/png');
    expect(transfer.handle.size).toBe(1234);
    expect(transfer.handle.state).toBe('offered');
    await expect.poll(() => sent.length).toBe(1);
    expect(sent[0]).toEqual({
      t: 'offer',
      id: 1,
      name: 'holiday.png',
      size: 1234,
      type: 'image/png',
    });
    transfer.abort('TRANSFER_CANCELLED', 'test over', false);
  });

  it('lets the options win over what the File says', () => {
    const file = new File([new Uint8Array(10)], 'a.txt', { type: 'text/plain' });
    const { transfer } = sender(file, { name: 'b.bin', type: 'application/x-b' });
    expect(transfer.handle.name).toBe('b.bin');
    expect(transfer.handle.type).toBe('application/x-b');
    expect(transfer.handle.size).toBe(10);
    transfer.abort('TRANSFER_CANCELLED', 'test over', false);
  });

  it('names a Node path by its base name at once', async () => {
    const dir = await mkdtemp(joinPath(tmpdir(), 'peerlane-sender-'));
    try {
      const path = joinPath(dir, 'report.pdf');
      await writeFile(path, new Uint8Array(99));
      const { transfer, sent } = sender(path);
      expect(transfer.handle.name).toBe('report.pdf');
      await expect.poll(() => sent.length).toBe(1);
      // The size comes once the file is open (a stat), and the offer carries it.
      expect(sent[0]).toMatchObject({ t: 'offer', name: 'report.pdf', size: 99 });
      transfer.abort('TRANSFER_CANCELLED', 'test over', false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('calls a nameless stream "file" unless the options name it', () => {
    const stream = () => new ReadableStream<Uint8Array>({ pull: (c) => c.close() });
    const unnamed = sender(stream());
    expect(unnamed.transfer.handle.name).toBe('file');
    expect(unnamed.transfer.handle.size).toBeUndefined();
    const named = sender(stream(), { name: 'log.txt', size: 0 });
    expect(named.transfer.handle.name).toBe('log.txt');
    expect(named.transfer.handle.size).toBe(0);
    unnamed.transfer.abort('TRANSFER_CANCELLED', 'test over', false);
    named.transfer.abort('TRANSFER_CANCELLED', 'test over', false);
  });
});

describe('reading ahead leaves the page its turn', () => {
  it('goes on in a new task after 10 ms of reading and hashing (a window is not one long task)', async () => {
    let pulled = 0;
    async function* source() {
      for (let i = 0; i < 512; i += 1) {
        pulled += 16 * 1024;
        yield new Uint8Array(16 * 1024);
      }
    }
    const { transfer, sent } = sender(source());
    await expect.poll(() => sent.length).toBe(1); // offered: the source is open
    // A slow machine: every reading of the clock is 4 ms later than the one before.
    let clock = 0;
    const now = vi.spyOn(performance, 'now').mockImplementation(() => (clock += 4));
    try {
      transfer.receive({ t: 'accept', id: 1, offset: 0, window: 4 * 1024 * 1024 });
      // A task queued now runs once reading yields, not after the whole window is read.
      const atNextTask = await new Promise<number>((resolve) =>
        setImmediate(() => resolve(pulled)),
      );
      expect(atNextTask).toBeGreaterThan(0);
      expect(atNextTask).toBeLessThanOrEqual(4 * 16 * 1024);
      await expect.poll(() => pulled).toBe(4 * 1024 * 1024); // and then it reads on
    } finally {
      now.mockRestore();
      transfer.abort('TRANSFER_CANCELLED', 'test over', false);
    }
  });
});
