import { byId } from './dom.js';

/** What the call controls show. */
export interface ControlsState {
  /** Whether a microphone / camera is published at all. */
  hasAudio: boolean;
  hasVideo: boolean;
  audioOn: boolean;
  videoOn: boolean;
  sharing: boolean;
  /** More than one camera: the switch button shows. */
  canSwitchCamera: boolean;
  /** getDisplayMedia exists (not on most phones). */
  canShareScreen: boolean;
  chatOpen: boolean;
  unread: number;
}

export interface ControlsActions {
  toggleMic(): void;
  toggleCamera(): void;
  switchCamera(): void;
  toggleScreen(): void;
  toggleChat(): void;
  leave(): void;
}

/**
 * The bar of call buttons. Each is a real `<button>` (keyboard and screen-reader ready)
 * whose label says what a press does ("Mute", "Unmute"); `data-off` marks the ones whose
 * device is off, for the red look. The chat button says whether the panel is open with
 * `aria-expanded`.
 */
export class Controls {
  readonly #mic = byId('mic', HTMLButtonElement);
  readonly #camera = byId('camera', HTMLButtonElement);
  readonly #switch = byId('switch-camera', HTMLButtonElement);
  readonly #screen = byId('screen', HTMLButtonElement);
  readonly #chat = byId('chat-toggle', HTMLButtonElement);
  readonly #leave = byId('leave', HTMLButtonElement);
  readonly #unread = byId('unread', HTMLElement);

  /** Removes the buttons' listeners: the page keeps its buttons for the next call. */
  readonly #wired = new AbortController();

  constructor(actions: ControlsActions) {
    const options = { signal: this.#wired.signal };
    this.#mic.addEventListener('click', () => actions.toggleMic(), options);
    this.#camera.addEventListener('click', () => actions.toggleCamera(), options);
    this.#switch.addEventListener('click', () => actions.switchCamera(), options);
    this.#screen.addEventListener('click', () => actions.toggleScreen(), options);
    this.#chat.addEventListener('click', () => actions.toggleChat(), options);
    this.#leave.addEventListener('click', () => actions.leave(), options);
  }

  /** The call is over: its actions no longer answer the buttons (a rejoined call's do). */
  stop(): void {
    this.#wired.abort();
  }

  render(state: ControlsState): void {
    toggle(this.#mic, {
      off: state.hasAudio && !state.audioOn,
      disabled: !state.hasAudio,
      label: !state.hasAudio ? 'No microphone' : state.audioOn ? 'Mute' : 'Unmute',
      icon: state.hasAudio && state.audioOn ? 'mic' : 'mic-off',
    });
    toggle(this.#camera, {
      off: state.hasVideo && !state.videoOn,
      disabled: !state.hasVideo,
      label: !state.hasVideo ? 'No camera' : state.videoOn ? 'Stop video' : 'Start video',
      icon: state.hasVideo && state.videoOn ? 'camera' : 'camera-off',
    });
    this.#switch.hidden = !state.canSwitchCamera;
    this.#screen.hidden = !state.canShareScreen;
    toggle(this.#screen, {
      off: false,
      disabled: false,
      label: state.sharing ? 'Stop sharing' : 'Share screen',
      icon: 'screen',
    });
    this.#screen.classList.toggle('active', state.sharing);
    toggle(this.#chat, { off: false, disabled: false, label: 'Chat', icon: 'chat' });
    this.#chat.setAttribute('aria-expanded', String(state.chatOpen));
    // The red count is for the eyes; the name says it in words.
    const unread = state.chatOpen ? 0 : state.unread;
    if (unread > 0) this.#chat.setAttribute('aria-label', `Chat, ${unread} unread`);
    else this.#chat.removeAttribute('aria-label');
    this.#chat.classList.toggle('active', state.chatOpen);
    this.#unread.hidden = state.chatOpen || state.unread === 0;
    this.#unread.textContent = state.unread > 9 ? '9+' : String(state.unread);
  }
}

function toggle(
  button: HTMLButtonElement,
  options: { off: boolean; disabled: boolean; label: string; icon: string },
): void {
  button.toggleAttribute('data-off', options.off);
  button.disabled = options.disabled;
  button.title = options.label;
  const label = button.querySelector('.control-label');
  if (label) label.textContent = options.label;
  button.querySelector('use')?.setAttribute('href', `#icon-${options.icon}`);
}
