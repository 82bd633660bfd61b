/**
 * Where the call happens: the room comes from the URL's hash (`/#team-standup`), a fresh
 * random one when there is none — then with a random room secret after a `/`
 * (`#sunny-otter-4821/<secret>`), which end-to-end encrypts the call; the signaling server is the page's own origin at `/ws`,
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
  let raw = hash.replace(/^#/, '').split('/')[0] ?? '';
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

/**
 * The room secret in `hash` (`#name/secret`: the fragment never reaches the server), or
 * undefined when there is none or it is not 16–128 base64url characters.
 */
export function secretFromHash(hash: string): string | undefined {
  const secret = hash.replace(/^#/, '').split('/')[1];
  return secret && /^[A-Za-z0-9_-]{16,128}$/.test(secret) ? secret : undefined;
}

/**
 * What makes the link in `hash` unusable as it is: `room`, a room name with nothing a room
 * can use (`#会议`: each page would start a random room of its own); `secret`, a secret
 * that is not 16–128 base64url characters (cut short or mangled on its way: a call without
 * it would not be end-to-end encrypted, and the others would refuse it). Undefined when the
 * link is fine, or there is none.
 */
export type LinkProblem = 'room' | 'secret';

export function linkProblem(hash: string): LinkProblem | undefined {
  const [room = '', secret = ''] = hash.replace(/^#/, '').split('/');
  if (room !== '' && roomFromHash(hash) === undefined) return 'room';
  if (secret !== '' && secretFromHash(hash) === undefined) return 'secret';
  return undefined;
}

/** A new room secret: 16 random bytes, base64url (22 characters). */
export function randomSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

/** This page's room and, for end-to-end encryption, its secret. */
export interface CallPlace {
  room: string;
  /** Undefined for a link without one (`#name`): the call is then not end-to-end encrypted. */
  secret: string | undefined;
  /** What was wrong with the link (see {@link linkProblem}); the page must say so. */
  problem: LinkProblem | undefined;
}

/**
 * The room (and secret) of this page. A page without a room (or with a room name that
 * cannot be used) starts a new call: a random name and a random secret, written into the
 * URL (`#sunny-otter-4821/<secret>`). A damaged secret is left in the URL, to be seen and
 * corrected: the page has no secret then, and `problem` says why.
 */
export function currentRoom(): CallPlace {
  const problem = linkProblem(location.hash);
  const named = roomFromHash(location.hash);
  if (named) {
    if (problem === 'secret') return { room: named, secret: undefined, problem };
    const secret = secretFromHash(location.hash);
    const hash = secret ? `#${named}/${secret}` : `#${named}`;
    if (hash !== location.hash) history.replaceState(null, '', hash);
    return { room: named, secret, problem };
  }
  const fresh = { room: randomRoomName(), secret: randomSecret(), problem };
  history.replaceState(null, '', `#${fresh.room}/${fresh.secret}`);
  return fresh;
}

/** The signaling WebSocket URL: `?signal=`, else `ws(s)://<this host>/ws`. */
export function signalingUrl(): string {
  const given = new URL(location.href).searchParams.get('signal');
  if (given) return given;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}

/** The link others open to join this room (with its secret, in the fragment). */
export function inviteLink(place: CallPlace): string {
  const url = new URL(location.href);
  url.hash = place.secret ? `${place.room}/${place.secret}` : place.room;
  return url.toString();
}

/** True when the link asks for the relay only (`?transport=relay`). */
export function relayOnlyAsked(): boolean {
  return new URL(location.href).searchParams.get('transport') === 'relay';
}
