/**
 * One call, from join to leave: the room's events wired to the people (call-people.ts),
 * the files (call-files.ts), the chat and the controls.
 */
import type { Room } from '../sdk/index.js';
import { CallFiles } from './call-files.js';
import type { CallGrid, TileState } from './call-grid.js';
import { People } from './call-people.js';
import { type ChatPanel, decodeChat, encodeChat } from './chat.js';
import { Controls } from './controls.js';
import { cameras } from './local-media.js';
import type { Notices } from './notices.js';
import { isBeat } from './presence.js';

export interface CallParts {
  grid: CallGrid;
  chat: ChatPanel;
  notices: Notices;
  /** Who dropped or picked files go to: "" for everyone, or a peer id (kept up to date here). */
  fileTarget: HTMLSelectElement;
  /** "3 of 6 people" in the top bar. */
  count: HTMLElement;
  /** The "waiting for others" panel. */
  empty: HTMLElement;
  /** The connection panel's `<dialog>`. */
  panel: HTMLDialogElement;
  /** Opens or closes the chat panel; returns whether it is open now. */
  toggleChat(open?: boolean): boolean;
  isChatOpen(): boolean;
  /** Joins this room again, keeping the chat (the "Rejoin" of a lost server). */
  rejoin(): void;
}

/** What the page drives in a running call. */
export interface Call {
  /** Sends a chat message; false when it could not go (the input keeps the text). */
  sendChat(text: string): boolean;
  /** Sends each file to the peer chosen in `fileTarget`, or to everyone. */
  sendFiles(files: File[]): void;
  /** Redraws the controls (after the chat was opened or closed from outside). */
  render(): void;
  /** Leaves the call (then `onLeft`). */
  leave(): Promise<void>;
  /** Opens the connection panel of the person `id` (from their badge). */
  showConnection(id: string): void;
}

/**
 * Runs the call in `room` until the user leaves (then `onLeft`) or the server gives up on
 * this peer (then a notice offers to rejoin). `stream` (camera and microphone, if any) is
 * published at once.
 */
export function runCall(
  room: Room,
  name: string,
  stream: MediaStream | undefined,
  parts: CallParts,
  onLeft: () => void,
): Call {
  const { grid, chat, notices, fileTarget } = parts;
  let cameraList: MediaDeviceInfo[] = [];
  let unread = 0;
  let leaving = false;

  const media = room.media;
  const people = new People(room, name, {
    grid,
    notices,
    fileTarget,
    count: parts.count,
    empty: parts.empty,
    panel: parts.panel,
    event: (text) => chat.addEvent(text),
    changed: () => render(),
  });
  const files = new CallFiles(room, people, chat, notices);
  const selfState = (): TileState => ({
    name: people.selfLabel,
    audioOff: !media.audioEnabled || !media.stream?.getAudioTracks().length,
    videoOff: !media.videoEnabled,
    screen: media.screenSharing,
  });
  const hasMicrophone = Boolean(stream?.getAudioTracks().length);
  const hasCamera = Boolean(stream?.getVideoTracks().length);

  const controls = new Controls({
    toggleMic: () => media.setAudioEnabled(!media.audioEnabled),
    toggleCamera: () => media.setVideoEnabled(!media.videoEnabled),
    switchCamera: () => void switchCamera(),
    toggleScreen: () => void toggleScreen(),
    toggleChat: () => {
      parts.toggleChat();
      render();
    },
    leave: () => void leave(),
  });

  function render(): void {
    if (parts.isChatOpen()) unread = 0;
    controls.render({
      hasAudio: hasMicrophone,
      hasVideo: hasCamera,
      audioOn: media.audioEnabled,
      videoOn: media.videoEnabled,
      sharing: media.screenSharing,
      canSwitchCamera: cameraList.length > 1 && !media.screenSharing,
      canShareScreen: typeof navigator.mediaDevices?.getDisplayMedia === 'function',
      chatOpen: parts.isChatOpen(),
      unread,
    });
  }

  async function switchCamera(): Promise<void> {
    const current = media.stream?.getVideoTracks()[0]?.getSettings().deviceId;
    const index = cameraList.findIndex((camera) => camera.deviceId === current);
    const next = cameraList[(index + 1) % cameraList.length];
    if (!next) return;
    try {
      await media.switchCamera(next.deviceId);
    } catch {
      notices.show('camera', `Could not switch to ${next.label || 'the other camera'}.`, {
        tone: 'warning',
      });
    }
  }

  async function toggleScreen(): Promise<void> {
    if (media.screenSharing) {
      media.stopScreenShare();
      return;
    }
    try {
      await media.shareScreen();
      notices.hide('screen');
    } catch (error) {
      // The browser says NotAllowedError both when the person closes its picker and when
      // sharing is blocked (a policy, the system's screen-recording permission): say both.
      const cause = error instanceof Error ? error.cause : undefined;
      const denied = cause instanceof DOMException && cause.name === 'NotAllowedError';
      notices.show(
        'screen',
        denied
          ? 'Screen sharing was cancelled or is blocked. If you did not cancel it, allow screen recording for this browser (system settings, or the site settings in the address bar) and try again.'
          : 'The screen could not be shared: this browser or device does not allow it.',
        { tone: 'warning' },
      );
    }
  }

  async function leave(): Promise<void> {
    if (leaving) return;
    leaving = true;
    controls.stop();
    people.stop();
    await room.leave();
    grid.clear();
    onLeft();
  }

  // ── you ────────────────────────────────────────────────────────────────────────
  const self = grid.add(room.selfId, true, selfState());
  let shownStream: MediaStream | undefined;
  media.on('change', () => {
    if (leaving) return;
    if (media.stream !== shownStream) {
      shownStream = media.stream;
      self.setStream(shownStream);
    }
    const state = selfState();
    self.update(state);
    grid.layout();
    room.setMeta({ name, audio: !state.audioOff, video: !state.videoOff, screen: state.screen });
    render();
  });
  if (stream) media.publish(stream);
  void cameras().then((list) => {
    cameraList = list;
    render();
  });

  // ── the others ─────────────────────────────────────────────────────────────────
  for (const option of [...fileTarget.options]) if (option.value) option.remove();
  people.start();
  room.on('peer-updated', () => grid.layout());
  room.on('stream', (remote, peer) => people.tile(peer.id)?.setStream(remote));
  room.on('stream-ended', (_, peer) => people.tile(peer.id)?.setStream(undefined));
  room.on('signaling-state', (state) => {
    if (state === 'reconnecting') {
      notices.show('signaling', 'Lost the connection to the server — reconnecting…', {
        tone: 'warning',
        busy: true,
        dismissible: false,
      });
    } else if (state === 'connected') {
      notices.hide('signaling');
    } else if (!leaving) {
      people.stop();
      notices.show('signaling', 'Disconnected from the server.', {
        tone: 'error',
        dismissible: false,
        action: { label: 'Rejoin', run: () => parts.rejoin() },
      });
    }
  });
  room.on('error', (error) => {
    // Unreachable peers and signaling trouble have their own notices; the rest is for DevTools.
    if (error.code !== 'PEER_UNREACHABLE')
      console.warn(`peerlane: ${error.code}: ${error.message}`);
  });

  // ── chat and files ─────────────────────────────────────────────────────────────
  chat.onEntry = () => {
    if (!parts.isChatOpen()) {
      unread += 1;
      render();
    }
  };
  room.on('message', (data, peer) => {
    people.heard(peer);
    if (typeof data !== 'string' || isBeat(data)) return;
    const text = decodeChat(data);
    if (text !== undefined && people.tile(peer.id))
      chat.addText({ name: people.label(peer), self: false }, text);
  });
  files.start();
  render();

  return {
    sendChat(text) {
      if (leaving) return false;
      try {
        room.broadcast(encodeChat(text));
      } catch {
        notices.show('chat', 'The message could not be sent.', { tone: 'warning' });
        return false;
      }
      chat.addText({ name, self: true }, text);
      return true;
    },
    sendFiles(list) {
      if (leaving) return;
      if (fileTarget.value && !room.peer(fileTarget.value)) fileTarget.value = '';
      files.send(list, fileTarget.value, name);
    },
    render,
    leave,
    showConnection: (id) => people.panel.open(id),
  };
}
