/**
 * Where the call happens: the room comes from the URL's hash (`/#team-standup`), a fresh
 * random one when there is none; the signaling server is the page's own origin at `/ws`,
 * unless `?signal=ws://host:port/ws` says otherwise (development against another server).
 */

const ROOM_CHARS = /[^A-Za-z0-9_.~-]+/g;
const ADJECTIVES = [
  'amber',
  'brave',
  'calm',
  'clever',
  'cosy',
  'eager',
  'gentle',
  'golden',
  'happy',
  'lucky',
  'mellow',
  'quiet',
  'rapid',
  'sunny',
  'swift',
  'witty',
];
const ANIMALS = [
  'badger',
  'beaver',
  'crane',
  'dolphin',
  'falcon',
  'fox',
  'heron',
  'koala',
  'lynx',
  'otter',
  'owl',
  'panda',
  'puffin',
  'robin',
  'seal',
  'wren',
];

function pick(words: readonly string[]): string {
  const index = crypto.getRandomValues(new Uint32Array(1))[0] ?? 0;
  return words[index % words.length] ?? 'room';
}

/** A new room name that is easy to read out: `sunny-otter-4821`. */
export function randomRoomName(): string {
  const number = (crypto.getRandomValues(new Uint16Array(1))[0] ?? 0) % 10_000;
  return `${pick(ADJECTIVES)}-${pick(ANIMALS)}-${number.toString().padStart(4, '0')}`;
}

/**
 * The room named by `hash` (`#name`), made valid for the server (1–64 characters of
 * `A–Z a–z 0–9 _ . ~ -`), or undefined when there is none.
 */
export function roomFromHash(hash: string): string | undefined {
  let raw = hash.replace(/^#/, '');
  try {
    raw = decodeURIComponent(raw);
  } catch {
    // A malformed %-escape: use the text as it is.
  }
  const name = raw
    .trim()
    .replace(ROOM_CHARS, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  return name || undefined;
}

/** The room of this page, writing a new random one into the URL when there is none. */
export function currentRoom(): string {
  const named = roomFromHash(location.hash);
  if (named) {
    if (`#${named}` !== location.hash) history.replaceState(null, '', `#${named}`);
    return named;
  }
  const fresh = randomRoomName();
  history.replaceState(null, '', `#${fresh}`);
  return fresh;
}

/** The signaling WebSocket URL: `?signal=`, else `ws(s)://<this host>/ws`. */
export function signalingUrl(): string {
  const given = new URL(location.href).searchParams.get('signal');
  if (given) return given;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}

/** The link others open to join this room. */
export function inviteLink(room: string): string {
  const url = new URL(location.href);
  url.hash = room;
  return url.toString();
}

/** True when the link asks for the relay only (`?transport=relay`). */
export function relayOnlyAsked(): boolean {
  return new URL(location.href).searchParams.get('transport') === 'relay';
}
