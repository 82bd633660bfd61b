/**
 * The demo page: a lobby (name, camera preview, connection settings), then the call (see
 * call.ts), then a "you left" screen from which Rejoin returns to the same call and chat.
 * DOM wiring only; the call itself is the SDK.
 */
import { joinRoom, PeerlaneError, type Room } from '../sdk/index.js';
import { type Call, runCall } from './call.js';
import { CallGrid } from './call-grid.js';
import { MAX_PEOPLE } from './call-people.js';
import { ChatPanel } from './chat.js';
import { byId } from './dom.js';
import { fillEmptyState } from './empty-state.js';
import { wireDropZone } from './file-drop.js';
import { captureCameraAndMic, type LocalCapture, problemText } from './local-media.js';
import { nameOf } from './names.js';
import { Notices } from './notices.js';
import { currentRoom, inviteLink, relayOnlyAsked, signalingUrl } from './room-link.js';

declare global {
  interface Window {
    /** The room of the call in progress, for poking around in DevTools (and for the e2e tests). */
    peerlaneRoom?: Room | undefined;
  }
}

const NAME_KEY = 'peerlane:name';
const RELAY_KEY = 'peerlane:relay-only';
/** Chat starts open where there is room for it beside the videos. */
const WIDE = window.matchMedia('(min-width: 900px)');

const place = currentRoom();
const roomName = place.room;
const notices = new Notices(byId('notices', HTMLElement));
const lobby = byId('lobby', HTMLElement);
const callView = byId('call', HTMLElement);
const leftView = byId('left', HTMLElement);
const side = byId('side', HTMLElement);
const preview = byId('preview', HTMLVideoElement);
const previewStatus = byId('preview-status', HTMLElement);
const nameInput = byId('name', HTMLInputElement);
const joinButton = byId('join', HTMLButtonElement);

byId('room-name', HTMLElement).textContent = roomName;
document.title = `${roomName} · Peerlane`;
// Another room typed into the address bar: start over there.
window.addEventListener('hashchange', () => location.reload());

// ── copy link ──────────────────────────────────────────────────────────────────
/** Copies the invite link; `label` says "Copied!" for 2 s, or a notice shows the link. */
async function copyLink(label: Element | null, idle: string): Promise<void> {
  const link = inviteLink(place);
  try {
    await navigator.clipboard.writeText(link);
    if (label) label.textContent = 'Copied!';
    setTimeout(() => {
      if (label) label.textContent = idle;
    }, 2000);
  } catch {
    notices.show('copy', `Copy this link to invite others: ${link}`, { tone: 'info' });
  }
}
const copyButton = byId('copy-link', HTMLButtonElement);
copyButton.addEventListener(
  'click',
  () => void copyLink(copyButton.querySelector('.chip-label'), 'Copy link'),
);
const emptyCopy = byId('empty-copy', HTMLButtonElement);
emptyCopy.addEventListener('click', () => void copyLink(emptyCopy, 'Copy link'));
fillEmptyState(byId('empty', HTMLElement), inviteLink(place));

// ── lobby ──────────────────────────────────────────────────────────────────────
nameInput.value = localStorage.getItem(NAME_KEY) ?? '';
let capture: LocalCapture = { stream: undefined, problem: undefined };
/** Camera and microphone, for the preview and the call (again for a rejoin: leaving stops them). */
const startCapture = () =>
  captureCameraAndMic().then((result) => {
    capture = result;
    preview.srcObject = result.stream ?? null;
    const hasVideo = (result.stream?.getVideoTracks().length ?? 0) > 0;
    previewStatus.textContent = hasVideo ? '' : 'Camera off';
    previewStatus.hidden = hasVideo;
    if (result.problem) notices.show('media', problemText(result.problem), { tone: 'warning' });
  });
let capturing = startCapture();

// "Use the relay only": remembered, or asked for by the link (`?transport=relay`).
const relayOnly = byId('relay-only', HTMLInputElement);
relayOnly.checked = relayOnlyAsked() || localStorage.getItem(RELAY_KEY) === 'true';
relayOnly.addEventListener('change', () =>
  localStorage.setItem(RELAY_KEY, String(relayOnly.checked)),
);
if (relayOnly.checked) relayOnly.closest('details')?.setAttribute('open', '');
const lobbyError = byId('lobby-error', HTMLElement);

// A link that cannot be used as it is: say so, never go on as if it were fine.
if (place.problem === 'room') {
  notices.show(
    'link',
    'The link names no room that can be used (a room name is letters, digits and - _ . ~), so this is a new call of your own. To join the others, ask them for the link again.',
    { tone: 'warning' },
  );
}
if (place.problem === 'secret') {
  // Without its secret the call would not be end-to-end encrypted, the others would refuse
  // it, and the link copied from here would have no secret either.
  lobbyError.textContent =
    "This link's encryption key is damaged (cut short or changed on its way), so it cannot join the call. Ask for the link again, and open it whole.";
  lobbyError.hidden = false;
  joinButton.disabled = true;
  copyButton.disabled = true;
  emptyCopy.disabled = true;
}

const joinForm = byId('join-form', HTMLFormElement);
joinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  if (place.problem !== 'secret') void join();
});
if (nameInput.value) joinButton.focus();
else nameInput.focus();

// ── the call ───────────────────────────────────────────────────────────────────
const grid = new CallGrid(byId('grid', HTMLElement), {
  onSoundBlocked: () =>
    notices.show('sound', 'Your browser held back the sound.', {
      tone: 'info',
      action: {
        label: 'Turn on sound',
        run: () => {
          grid.unmuteAll();
          notices.hide('sound');
        },
      },
    }),
  onBadge: (id) => call?.showConnection(id),
});
let call: Call | undefined;
const chat = new ChatPanel(
  byId('messages', HTMLElement),
  byId('chat-form', HTMLFormElement),
  byId('chat-input', HTMLInputElement),
  (text) => call?.sendChat(text) ?? false,
);
wireDropZone(
  side,
  byId('pick-file', HTMLButtonElement),
  byId('file-input', HTMLInputElement),
  (files) => call?.sendFiles(files),
);
const chatToggle = byId('chat-toggle', HTMLButtonElement);
let chatOpen = WIDE.matches;
const toggleChat = (open = !chatOpen): boolean => {
  chatOpen = open;
  callView.classList.toggle('chat-open', chatOpen);
  call?.render();
  return chatOpen;
};
const closeChat = () => {
  toggleChat(false);
  chatToggle.focus();
};
byId('chat-close', HTMLButtonElement).addEventListener('click', closeChat);
// Escape closes the chat (dialogs close themselves on Escape, before this sees it).
document.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape' || !call || !chatOpen || document.querySelector('dialog[open]'))
    return;
  closeChat();
});

// The logo starts a new call: in a call, ask first.
const leaveDialog = byId('leave-dialog', HTMLDialogElement);
byId('brand', HTMLAnchorElement).addEventListener('click', (event) => {
  if (!call) return;
  event.preventDefault();
  leaveDialog.returnValue = '';
  leaveDialog.showModal();
});
leaveDialog.addEventListener('close', async () => {
  if (leaveDialog.returnValue !== 'leave' || !call) return;
  await call.leave();
  location.href = './'; // no room in the URL: a fresh one
});

async function join(rejoining = false): Promise<void> {
  joinButton.disabled = true;
  joinButton.textContent = 'Joining…';
  lobbyError.hidden = true;
  await capturing;
  // As the others' pages read it (names.ts), so that all tell two "Ada"s apart alike.
  const name = nameOf({ name: nameInput.value });
  localStorage.setItem(NAME_KEY, name);
  const hasAudio = (capture.stream?.getAudioTracks().length ?? 0) > 0;
  const hasVideo = (capture.stream?.getVideoTracks().length ?? 0) > 0;
  let room: Room;
  try {
    room = await joinRoom({
      url: signalingUrl(),
      room: roomName,
      meta: { name, audio: hasAudio, video: hasVideo, screen: false },
      transport: relayOnly.checked ? 'relay' : 'auto',
      ...(place.secret ? { e2ee: { secret: place.secret } } : {}),
    });
  } catch (error) {
    showLobby(joinFailure(error));
    return;
  }
  // Six at most: the server adds joiners one at a time, so the seventh sees six here.
  if (room.peers.length >= MAX_PEOPLE) {
    await room.leave();
    showLobby(FULL);
    return;
  }
  notices.hide('join');
  window.peerlaneRoom = room;
  preview.srcObject = null;
  lobby.hidden = true;
  leftView.hidden = true;
  callView.hidden = false;
  if (rejoining) chat.addEvent('You rejoined');
  call = runCall(
    room,
    name,
    capture.stream,
    {
      grid,
      chat,
      notices,
      fileTarget: byId('file-target', HTMLSelectElement),
      count: byId('people', HTMLElement),
      empty: byId('empty', HTMLElement),
      panel: byId('connection-panel', HTMLDialogElement),
      toggleChat,
      isChatOpen: () => chatOpen,
      rejoin: () => void rejoin(),
    },
    () => {
      call = undefined;
      window.peerlaneRoom = undefined;
      callView.hidden = true;
      leftView.hidden = false;
      byId('people', HTMLElement).hidden = true;
      byId('rejoin', HTMLButtonElement).focus();
    },
  );
  toggleChat(chatOpen);
}

/** Back to the lobby with `error` said there (the room is full, the server is away…). */
function showLobby(error: string): void {
  callView.hidden = true;
  leftView.hidden = true;
  lobby.hidden = false;
  preview.srcObject = capture.stream ?? null;
  lobbyError.textContent = error;
  lobbyError.hidden = false;
  joinButton.disabled = false;
  joinButton.textContent = 'Join call';
}

/** The same call again, its chat kept (leaving stopped the camera: it starts again). */
async function rejoin(): Promise<void> {
  notices.hide('signaling');
  if (call) await call.leave();
  capturing = startCapture();
  await join(true);
}
byId('rejoin', HTMLButtonElement).addEventListener('click', () => void rejoin());

const FULL = `This room is full: it has ${MAX_PEOPLE} people, the most it takes. Try again when someone leaves, or start a new call.`;

function joinFailure(error: unknown): string {
  const code = error instanceof PeerlaneError ? error.code : undefined;
  switch (code) {
    case 'ROOM_FULL':
      return FULL;
    case 'SIGNALING_UNREACHABLE':
    case 'JOIN_TIMEOUT':
      return 'The server cannot be reached. Check your connection and try again.';
    default:
      return `Could not join: ${error instanceof Error ? error.message : String(error)}`;
  }
}
