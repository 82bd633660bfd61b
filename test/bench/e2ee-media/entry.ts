/**
 * What `npm run bench e2ee-media` runs in the page: the SDK's own sealed media route
 * (`sdk/e2ee/`), bundled alone for the benchmark (the SDK's public bundle does not export it).
 */
export { RoomKeys } from '../../../sdk/e2ee/room-keys.js';
export { sealRoute } from '../../../sdk/e2ee/sealed-route.js';
