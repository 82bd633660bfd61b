/**
 * The browser stand-ins for simple-peer's Node modules (`sdk/stand-ins/`), on their own.
 * Every browser test also runs them inside simple-peer (the e2e bundles use them).
 */
import { describe, expect, it } from 'vitest';
import { Duplex, EventEmitter } from '../../sdk/stand-ins/duplex.js';
import { Buffer, debug, randombytes } from '../../sdk/stand-ins/node-bits.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('Duplex stand-in', () => {
  it('keeps chunks pushed before the first data listener, then delivers in order, then end', async () => {
    const stream = new Duplex();
    stream.push('a');
    stream.push('b');
    const seen: unknown[] = [];
    stream.on('end', () => seen.push('END'));
    stream.on('data', (chunk: unknown) => seen.push(chunk));
    stream.push(null);
    expect(stream._readableState.ended).toBe(true);
    await tick();
    expect(seen).toEqual(['a', 'b', 'END']);
    expect(stream.push('late')).toBe(false);
  });

  it('delivers at once while flowing', () => {
    const stream = new Duplex();
    const seen: unknown[] = [];
    stream.on('data', (chunk: unknown) => seen.push(chunk));
    stream.push('x');
    expect(seen).toEqual(['x']);
  });

  it('hands written chunks to _write one at a time, and finishes after the last', async () => {
    const accepted: unknown[] = [];
    const callbacks: (() => void)[] = [];
    class Sink extends Duplex {
      override _write(chunk: unknown, _encoding: string, callback: (e?: Error | null) => void) {
        accepted.push(chunk);
        callbacks.push(() => callback(null));
      }
    }
    const sink = new Sink();
    const done: string[] = [];
    sink.write(1, () => done.push('1'));
    sink.write(2, () => done.push('2'));
    sink.end(() => done.push('finish'));
    expect(accepted).toEqual([1]);
    callbacks.shift()?.();
    expect(accepted).toEqual([1, 2]);
    expect(sink._writableState.finished).toBe(false);
    callbacks.shift()?.();
    await tick();
    expect(done).toEqual(['1', '2', 'finish']);
    expect(sink._writableState.finished).toBe(true);
    const late: unknown[] = [];
    sink.write(3, (error) => late.push(error));
    await tick();
    expect(String(late[0])).toBe('Error: write after end');
  });
});

describe('EventEmitter stand-in', () => {
  it('removes a once listener by the function given, and runs it only once', () => {
    const emitter = new EventEmitter();
    const calls: number[] = [];
    const listener = (n: number) => calls.push(n);
    emitter.once('x', listener);
    emitter.emit('x', 1);
    emitter.emit('x', 2);
    emitter.once('y', listener);
    emitter.removeListener('y', listener);
    expect(emitter.emit('y', 3)).toBe(false);
    expect(calls).toEqual([1]);
  });

  it('throws an error event nobody listens to, as Node does', () => {
    const emitter = new EventEmitter();
    expect(() => emitter.emit('error', new Error('boom'))).toThrow('boom');
    emitter.on('error', () => {});
    expect(emitter.emit('error', new Error('boom'))).toBe(true);
  });
});

describe('node bits', () => {
  it('wraps ArrayBuffers, makes hex ids, and logs nothing', () => {
    const bytes = Buffer.from(new Uint8Array([1, 2]).buffer);
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect([...bytes]).toEqual([1, 2]);
    const id = randombytes(20).toString('hex');
    expect(id).toMatch(/^[0-9a-f]{40}$/);
    expect(randombytes(20).toString('hex')).not.toBe(id);
    expect(debug('simple-peer')('x')).toBeUndefined();
  });
});
