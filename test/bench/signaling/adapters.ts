import type { ServerKind } from './kinds.js';
import type { SignalKind } from './payloads.js';

/**
 * What the load generator needs to know of one server's protocol: how a socket joins,
 * how the join is acknowledged, and how a signal to another peer is framed.
 */
export interface Adapter {
  /** URL a socket speaking as `name` connects to. */
  url(base: string, name: string): string;
  /** Frame sent once the socket is open; null when opening the socket is the join. */
  join(name: string, room: string): string | null;
  /** The id other peers address this socket by, if `text` acknowledges its join. */
  joined(text: string, name: string): string | undefined;
  /** A signal frame to peer `to` carrying `data` (JSON text). */
  signal(to: string, kind: SignalKind, data: string): string;
}

const peerlane: Adapter = {
  url: (base) => base,
  join: (_name, room) => `{"type":"join","room":"${room}"}`,
  joined(text) {
    if (!text.startsWith('{"type":"welcome"')) return undefined;
    const welcome: unknown = JSON.parse(text);
    const id = (welcome as { peerId?: unknown }).peerId;
    return typeof id === 'string' ? id : undefined;
  },
  signal: (to, _kind, data) => `{"type":"signal","to":"${to}","data":${data}}`,
};

const bare: Adapter = {
  url: (base) => base,
  join: (name) => `{"type":"join","id":"${name}"}`,
  joined: (text, name) => (text === '{"type":"welcome"}' ? name : undefined),
  signal: (to, _kind, data) => `{"to":"${to}","data":${data}}`,
};

/** PeerJS server 1.0: the id is chosen by the client, and the socket opening is the join. */
const peerserver: Adapter = {
  url: (base, name) => `${base}?key=peerjs&id=${name}&token=bench`,
  join: () => null,
  joined: (text, name) => (text.startsWith('{"type":"OPEN"') ? name : undefined),
  signal: (to, kind, data) => `{"type":"${kind.toUpperCase()}","dst":"${to}","payload":${data}}`,
};

export const ADAPTERS: Record<ServerKind, Adapter> = { peerlane, bare, peerserver };
