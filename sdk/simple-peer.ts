/**
 * The only module that imports simple-peer. Everything else in the SDK imports it from
 * here.
 *
 * simple-peer is written for Node and browserify: it extends readable-stream's `Duplex`
 * and uses `Buffer`, `process`, `global` and the `events` module. In Node all of them
 * exist, and this file is what runs. For browsers the build (`npm run build:simple-peer`,
 * `vite.simple-peer.config.ts`) bundles simple-peer with the small stand-ins in
 * `sdk/stand-ins/` into `dist/sdk/simple-peer.browser.js`, and the `browser` field of
 * package.json puts that file in this one's place. Vite, esbuild and webpack follow that
 * field by default, so an app that bundles the SDK needs no configuration, no polyfill and
 * no global of its own.
 */
import SimplePeer from 'simple-peer';

export default SimplePeer;
