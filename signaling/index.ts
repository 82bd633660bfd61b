export type { AuthOptions, RoomClaims } from './auth.js';
export type { SignalingServerOptions } from './options.js';
export { DEFAULT_OPTIONS } from './options.js';
export * from './protocol.js';
export { createSignalingServer, type SignalingServer, type SignalingStats } from './server.js';
export { createRoomToken, type RoomTokenOptions } from './tokens.js';
