/** True in Node (and runtimes that offer its modules): paths can be read, `node:crypto` used. */
export function isNode(): boolean {
  const scope = globalThis as { process?: { versions?: { node?: string } } };
  return typeof scope.process?.versions?.node === 'string';
}
