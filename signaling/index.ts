export type { AuthOptions, RoomClaims } from './auth.js';
export type { SignalingServerOptions } from './options.js';
export { DEFAULT_OPTIONS } from './options.js';
export * from './protocol.js';
export { createSignalingServer, type SignalingServer, type SignalingStats } from './server.js';
export { createRoomToken, type RoomTokenOptions } from './tokens.js';
export { applyServerV8Flags, SERVER_V8_FLAGS } from './v8-flags.js';
