import { describe, expect, it } from 'vitest';
import { Emitter } from '../../sdk/emitter.js';
import { PeerlaneError } from '../../sdk/errors.js';

interface Events {
  tick: (n: number) => void;
}

class Ticker extends Emitter<Events> {
  tick(n: number): void {
    this.emit('tick', n);
  }
}

describe('Emitter', () => {
  it('refuses a listener that is not a function when it is added, not when it would be called', () => {
    const ticker = new Ticker();
    for (const listener of [5, null, undefined, 'f', {}]) {
      let error: unknown;
      try {
        ticker.on('tick', listener as unknown as Events['tick']);
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(PeerlaneError);
      expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect((error as Error).message).toContain("on('tick', listener)");
    }
    const seen: number[] = [];
    ticker.on('tick', (n) => seen.push(n));
    ticker.tick(1);
    expect(seen).toEqual([1]);
  });
});
