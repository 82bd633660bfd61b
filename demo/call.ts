/**
 * One call, from join to leave: the room's events wired to the grid, the chat, the badges
 * and the controls.
 */
import type { RemotePeer, Room } from '../sdk/index.js';
import { ConnectionBadges } from './badges.js';
import type { CallGrid, Tile, TileState } from './call-grid.js';
import { type ChatPanel, decodeChat, encodeChat } from './chat.js';
import { Controls } from './controls.js';
import { el } from './dom.js';
import { cameras } from './local-media.js';
import type { Notices } from './notices.js';

export interface CallParts {
  grid: CallGrid;
  chat: ChatPanel;
  notices: Notices;
  /** Who dropped or picked files go to: "" for everyone, or a peer id (kept up to date here). */
  fileTarget: HTMLSelectElement;
  /** Opens or closes the chat panel; returns whether it is open now. */
  toggleChat(open?: boolean): boolean;
  isChatOpen(): boolean;
}

/** What a peer's metadata says about it (other apps in the room may send anything). */
export function tileStateOf(meta: RemotePeer['meta']): TileState {
  const name = typeof meta.name === 'string' && meta.name.trim() ? meta.name.trim() : 'Guest';
  return {
    name: name.slice(0, 40),
    audioOff: meta.audio === false,
    videoOff: meta.video === false,
    screen: meta.screen === true,
  };
}

/** What the chat form and the drop zone send through. */
export interface Call {
  /** Sends a chat message; false when it could not go (the input keeps the text). */
  sendChat(text: string): boolean;
  /** Sends each file to the peer chosen in `fileTarget`, or to everyone. */
  sendFiles(files: File[]): void;
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
  const badges = new ConnectionBadges(room, grid);
  let cameraList: MediaDeviceInfo[] = [];
  let unread = 0;
  let leaving = false;

  const nameOf = (peer: RemotePeer) => tileStateOf(peer.meta).name;
  const media = room.media;
  const selfState = (): TileState => ({
    name,
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
    } catch (error) {
      // Cancelling the browser's picker is a choice, not a failure.
      const cause = error instanceof Error ? error.cause : undefined;
      if (cause instanceof DOMException && cause.name === 'NotAllowedError') return;
      notices.show('screen', 'The screen could not be shared.', { tone: 'warning' });
    }
  }

  async function leave(): Promise<void> {
    if (leaving) return;
    leaving = true;
    badges.stop();
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
    room.setMeta({ name, audio: !state.audioOff, video: !state.videoOff, screen: state.screen });
    render();
  });
  if (stream) media.publish(stream);
  void cameras().then((list) => {
    cameraList = list;
    render();
  });

  // ── the others ─────────────────────────────────────────────────────────────────
  const targetOption = (id: string) =>
    [...fileTarget.options].find((option) => option.value === id);
  for (const option of [...fileTarget.options]) if (option.value) option.remove();
  chat.peerName = (id) => {
    const peer = room.peer(id);
    return peer ? nameOf(peer) : 'a peer who left';
  };
  const addPeer = (peer: RemotePeer): Tile => {
    fileTarget.append(el('option', { text: nameOf(peer), attrs: { value: peer.id } }));
    const tile = grid.add(peer.id, false, tileStateOf(peer.meta));
    tile.setStream(peer.stream);
    void badges.refresh(peer);
    return tile;
  };
  for (const peer of room.peers) addPeer(peer);
  room.on('peer-joined', (peer) => {
    addPeer(peer);
    chat.addEvent(`${nameOf(peer)} joined`);
  });
  room.on('peer-left', (peer) => {
    grid.remove(peer.id);
    targetOption(peer.id)?.remove(); // a selected one: the select falls back to everyone
    notices.hide(`unreachable-${peer.id}`);
    chat.addEvent(`${nameOf(peer)} left`);
  });
  room.on('peer-updated', (peer) => {
    grid.get(peer.id)?.update(tileStateOf(peer.meta));
    const option = targetOption(peer.id);
    if (option) option.textContent = nameOf(peer);
  });
  room.on('stream', (remote, peer) => grid.get(peer.id)?.setStream(remote));
  room.on('stream-ended', (_, peer) => grid.get(peer.id)?.setStream(undefined));
  room.on('transport-change', (peer) => void badges.refresh(peer));
  room.on('connection-state', (peer, state) => {
    void badges.refresh(peer);
    if (state === 'failed') {
      notices.show(
        `unreachable-${peer.id}`,
        `Can't reach ${nameOf(peer)}: no direct path between your networks. The others are not affected.`,
        { tone: 'error' },
      );
    } else if (state === 'connected') {
      notices.hide(`unreachable-${peer.id}`);
    }
  });
  room.on('signaling-state', (state) => {
    if (state === 'reconnecting') {
      notices.show('signaling', 'Signaling lost — reconnecting…', {
        tone: 'warning',
        busy: true,
        dismissible: false,
      });
    } else if (state === 'connected') {
      notices.hide('signaling');
    } else if (!leaving) {
      notices.show('signaling', 'Disconnected from the server.', {
        tone: 'error',
        dismissible: false,
        action: { label: 'Rejoin', run: () => location.reload() },
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
    if (typeof data !== 'string') return;
    const text = decodeChat(data);
    if (text !== undefined) chat.addText({ name: nameOf(peer), self: false }, text);
  });
  // Every file offered is taken (into memory: a Blob); its row offers Cancel.
  room.on('incoming-file', (incoming) => {
    chat.addTransfer({ name: nameOf(incoming.from), self: false }, incoming.accept());
  });

  badges.start();
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
    sendFiles(files) {
      if (leaving) return;
      const to = fileTarget.value ? room.peer(fileTarget.value) : undefined;
      if (fileTarget.value && !to) fileTarget.value = '';
      if (!to && room.peers.length === 0) {
        notices.show('file', 'No one else is here yet to send files to.', { tone: 'warning' });
        return;
      }
      for (const file of files) {
        try {
          const transfers = to ? [to.sendFile(file)] : room.sendFile(file);
          for (const transfer of transfers) chat.addTransfer({ name, self: true }, transfer, file);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          notices.show(`file-${file.name}`, message, { tone: 'warning' });
        }
      }
    },
  };
}
