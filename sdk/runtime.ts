/** True in Node (and runtimes that offer its modules): a file path can be sent. */
export function isNode(): boolean {
  const scope = globalThis as { process?: { versions?: { node?: string } } };
  return typeof scope.process?.versions?.node === 'string';
}

/**
 * Resolves in a new task of the event loop (not a microtask), so that what waits — input,
 * rendering, other peers' frames — runs first: `scheduler.yield()` where there is one
 * (Chromium), else `setImmediate` (Node), else a `MessageChannel` message (no timer clamp).
 */
export function nextTask(): Promise<void> {
  const scope = globalThis as { scheduler?: { yield?: () => Promise<void> } };
  if (typeof scope.scheduler?.yield === 'function') return scope.scheduler.yield();
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
