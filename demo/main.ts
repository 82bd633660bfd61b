/**
 * The demo page: a lobby (name, camera preview), then the call (see call.ts), then a
 * "you left" screen. DOM wiring only; the call itself is the SDK.
 */
import { joinRoom, PeerlaneError, type Room } from '../sdk/index.js';
import { type Call, runCall } from './call.js';
import { CallGrid } from './call-grid.js';
import { ChatPanel } from './chat.js';
import { byId } from './dom.js';
import { wireDropZone } from './file-drop.js';
import { captureCameraAndMic, type LocalCapture, problemText } from './local-media.js';
import { Notices } from './notices.js';
import { currentRoom, inviteLink, signalingUrl } from './room-link.js';

declare global {
  interface Window {
    /** The room of the call in progress, for poking around in DevTools (and for the e2e tests). */
    peerlaneRoom?: Room | undefined;
  }
}

const NAME_KEY = 'peerlane:name';
/** Chat starts open where there is room for it beside the videos. */
const WIDE = window.matchMedia('(min-width: 900px)');

const roomName = currentRoom();
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
const copyButton = byId('copy-link', HTMLButtonElement);
copyButton.addEventListener('click', async () => {
  const link = inviteLink(roomName);
  const label = copyButton.querySelector('.chip-label');
  try {
    await navigator.clipboard.writeText(link);
    if (label) label.textContent = 'Copied!';
    setTimeout(() => {
      if (label) label.textContent = 'Copy link';
    }, 2000);
  } catch {
    notices.show('copy', `Copy this link to invite others: ${link}`, { tone: 'info' });
  }
});

// ── lobby ──────────────────────────────────────────────────────────────────────
nameInput.value = localStorage.getItem(NAME_KEY) ?? '';
let capture: LocalCapture = { stream: undefined, problem: undefined };
const capturing = captureCameraAndMic().then((result) => {
  capture = result;
  preview.srcObject = result.stream ?? null;
  const hasVideo = (result.stream?.getVideoTracks().length ?? 0) > 0;
  previewStatus.textContent = hasVideo ? '' : 'Camera off';
  previewStatus.hidden = hasVideo;
  if (result.problem) notices.show('media', problemText(result.problem), { tone: 'warning' });
});

const joinForm = byId('join-form', HTMLFormElement);
joinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  void join();
});
if (nameInput.value) joinButton.focus();
else nameInput.focus();

// ── the call ───────────────────────────────────────────────────────────────────
const grid = new CallGrid(byId('grid', HTMLElement), () =>
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
);
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
let chatOpen = WIDE.matches;
const toggleChat = (open = !chatOpen): boolean => {
  chatOpen = open;
  callView.classList.toggle('chat-open', chatOpen);
  return chatOpen;
};
byId('chat-close', HTMLButtonElement).addEventListener('click', () => {
  toggleChat(false);
  byId('chat-toggle', HTMLButtonElement).focus();
});

async function join(): Promise<void> {
  joinButton.disabled = true;
  joinButton.textContent = 'Joining…';
  await capturing;
  const name = nameInput.value.trim().replace(/\s+/g, ' ').slice(0, 40) || 'Guest';
  localStorage.setItem(NAME_KEY, name);
  const hasAudio = (capture.stream?.getAudioTracks().length ?? 0) > 0;
  const hasVideo = (capture.stream?.getVideoTracks().length ?? 0) > 0;
  let room: Room;
  try {
    room = await joinRoom({
      url: signalingUrl(),
      room: roomName,
      meta: { name, audio: hasAudio, video: hasVideo, screen: false },
    });
  } catch (error) {
    notices.show('join', joinFailure(error), { tone: 'error' });
    joinButton.disabled = false;
    joinButton.textContent = 'Join call';
    return;
  }
  notices.hide('join');
  window.peerlaneRoom = room;
  preview.srcObject = null;
  lobby.hidden = true;
  callView.hidden = false;
  toggleChat(chatOpen);
  call = runCall(
    room,
    name,
    capture.stream,
    {
      grid,
      chat,
      notices,
      fileTarget: byId('file-target', HTMLSelectElement),
      toggleChat,
      isChatOpen: () => chatOpen,
    },
    () => {
      call = undefined;
      window.peerlaneRoom = undefined;
      callView.hidden = true;
      leftView.hidden = false;
      byId('rejoin', HTMLButtonElement).focus();
    },
  );
}

byId('rejoin', HTMLButtonElement).addEventListener('click', () => location.reload());

function joinFailure(error: unknown): string {
  const code = error instanceof PeerlaneError ? error.code : undefined;
  switch (code) {
    case 'ROOM_FULL':
      return 'This room is full. Ask someone to leave, or start a new call.';
    case 'SIGNALING_UNREACHABLE':
    case 'JOIN_TIMEOUT':
      return 'The server cannot be reached. Check your connection and try again.';
    default:
      return `Could not join: ${error instanceof Error ? error.message : String(error)}`;
  }
}
