import { Emitter } from '../emitter.js';
import { PeerlaneError } from '../errors.js';
import type { RtcConnection } from '../link/direct/rtc-connection.js';
import { type MediaKind, PeerMedia, type SendState } from './peer-media.js';

/** Events of {@link LocalMedia}. */
export interface LocalMediaEvents {
  /**
   * What this peer sends changed: published or unpublished, muted or unmuted, camera
   * switched, screen share started or ended (also when the browser's own "Stop sharing"
   * ended it). `media.stream` and the flags have the new state.
   */
  change: () => void;
}

/** What a direct route's media needs to tell the room about the remote peer's media. */
export interface PeerMediaCallbacks {
  onStream(stream: MediaStream): void;
  onStreamEnded(stream: MediaStream): void;
}

/**
 * This peer's audio and video, sent to every peer of the room — those there now and those
 * who join later — as `room.media`.
 *
 * One stream at a time: one audio track (the microphone) and one video track (the camera,
 * or the screen while sharing it). Starting or stopping to send a kind renegotiates each
 * connection (serialized: one offer/answer round at a time per connection); switching
 * camera and screen sharing do not: they replace the track each connection sends
 * (`RTCRtpSender.replaceTrack`); nor does muting: it takes the track off each sender and
 * turns its encodings off (`active: false`), so nothing at all is sent in any browser.
 *
 * Tracks handed to `publish()` belong to the SDK from then on: it stops each one when it
 * is replaced, unpublished, or the room is left — as it does with the tracks it captures
 * itself (`switchCamera`, `shareScreen`).
 */
export class LocalMedia extends Emitter<LocalMediaEvents> {
  #audio: MediaStreamTrack | null = null;
  #camera: MediaStreamTrack | null = null;
  #screen: MediaStreamTrack | null = null;
  #audioEnabled = true;
  #videoEnabled = true;
  #stream: MediaStream | undefined;
  #closed = false;
  /**
   * Calls that set the camera, and the screen share, so far: a capture that finishes after
   * a later call (another switch or share, `publish`, `unpublish`, `stopScreenShare`) is
   * dropped — the last call wins, not the slowest capture.
   */
  #cameraCalls = 0;
  #screenCalls = 0;
  readonly #peers = new Set<PeerMedia>();
  /** The browser ended the share ("Stop sharing"): a share being picked meanwhile goes on. */
  readonly #onScreenEnded = () => this.#endScreen();

  /**
   * What this peer publishes now, for a local preview: the microphone and the camera (or
   * the screen while sharing). A new MediaStream whenever the tracks change (`change`).
   */
  get stream(): MediaStream | undefined {
    return this.#stream;
  }

  /** True while anything is published. */
  get publishing(): boolean {
    return this.#audio !== null || this.#camera !== null || this.#screen !== null;
  }

  /** False while the microphone is muted. @default true */
  get audioEnabled(): boolean {
    return this.#audioEnabled;
  }

  /** False while the camera is off (screen sharing is not affected). @default true */
  get videoEnabled(): boolean {
    return this.#videoEnabled;
  }

  /** True while the screen is shared in place of the camera. */
  get screenSharing(): boolean {
    return this.#screen !== null;
  }

  /**
   * Sends the first audio and the first video track of `stream` to every peer, replacing
   * what was published (the replaced tracks are stopped). Mute state carries over.
   * @throws PeerlaneError `LEFT_ROOM` once the room was left, `INVALID_ARGUMENT` if
   *   `stream` is not a MediaStream.
   */
  publish(stream: MediaStream): void {
    this.#check();
    if (
      typeof stream?.getAudioTracks !== 'function' ||
      typeof stream.getVideoTracks !== 'function'
    ) {
      throw new PeerlaneError(
        'INVALID_ARGUMENT',
        `publish() takes a MediaStream (got ${stream === null ? 'null' : typeof stream})`,
      );
    }
    const audio = stream.getAudioTracks()[0] ?? null;
    const video = stream.getVideoTracks()[0] ?? null;
    this.#cameraCalls += 1;
    if (this.#audio !== audio) stopTrack(this.#audio);
    if (this.#camera !== video) stopTrack(this.#camera);
    this.#audio = audio;
    this.#camera = video;
    this.#changed();
  }

  /** Stops sending anything (screen share included) and stops the tracks. */
  unpublish(): void {
    this.#cameraCalls += 1;
    this.#screenCalls += 1;
    if (!this.publishing) return;
    this.#dropScreen();
    stopTrack(this.#audio);
    stopTrack(this.#camera);
    this.#audio = null;
    this.#camera = null;
    this.#changed();
  }

  /**
   * Mutes (false) or unmutes the microphone: the track is disabled and nothing is sent
   * for it (the senders carry no track, their encodings are off), without renegotiating.
   */
  setAudioEnabled(enabled: boolean): void {
    checkBoolean('setAudioEnabled', enabled);
    if (this.#audioEnabled === enabled) return;
    this.#audioEnabled = enabled;
    this.#changed();
  }

  /** Turns the camera off (false) or on, like {@link setAudioEnabled}. A screen share goes on. */
  setVideoEnabled(enabled: boolean): void {
    checkBoolean('setVideoEnabled', enabled);
    if (this.#videoEnabled === enabled) return;
    this.#videoEnabled = enabled;
    this.#changed();
  }

  /**
   * Sends the camera `deviceId` (from `navigator.mediaDevices.enumerateDevices()`) instead
   * of the current one, which is stopped. No renegotiation when a camera was published.
   * Resolves without a change when a later call set the camera while this one opened.
   * @throws PeerlaneError `MEDIA_UNAVAILABLE` (the browser's error as `cause`), `LEFT_ROOM`.
   */
  async switchCamera(deviceId: string): Promise<void> {
    this.#check();
    const call = ++this.#cameraCalls;
    const stream = await capture((devices) =>
      devices.getUserMedia({ video: { deviceId: { exact: deviceId } } }),
    );
    const track = stream.getVideoTracks()[0];
    if (!track || this.#closed || call !== this.#cameraCalls) {
      for (const t of stream.getTracks()) t.stop();
      this.#check();
      if (track) return; // overtaken by a later call
      throw new PeerlaneError('MEDIA_UNAVAILABLE', `camera ${deviceId} gave no video track`);
    }
    stopTrack(this.#camera);
    this.#camera = track;
    this.#changed();
  }

  /**
   * Shares the screen in place of the camera: `stream`'s video track, or one captured with
   * `getDisplayMedia()` (which needs a user gesture). The camera comes back when the
   * share ends — by {@link stopScreenShare}, or when the browser ends it. Resolves without
   * a share when `unpublish`, `stopScreenShare` or another `shareScreen` came while the
   * picker was open.
   * @throws PeerlaneError `MEDIA_UNAVAILABLE` (also when the user cancels the picker), `LEFT_ROOM`.
   */
  async shareScreen(stream?: MediaStream): Promise<void> {
    this.#check();
    const call = ++this.#screenCalls;
    const source =
      stream ??
      (await capture((devices) => devices.getDisplayMedia({ video: true, audio: false })));
    const track = source.getVideoTracks()[0];
    if (!track || this.#closed || call !== this.#screenCalls) {
      if (!stream) for (const t of source.getTracks()) t.stop();
      this.#check();
      if (track) return; // overtaken by a later call
      throw new PeerlaneError('MEDIA_UNAVAILABLE', 'the screen capture has no video track');
    }
    // Sharpness over smoothness: text on a shared screen should stay readable.
    if (!stream) track.contentHint = 'detail';
    this.#dropScreen();
    this.#screen = track;
    track.addEventListener('ended', this.#onScreenEnded);
    this.#changed();
  }

  /** Ends the screen share (the track is stopped) and sends the camera again. */
  stopScreenShare(): void {
    this.#screenCalls += 1;
    this.#endScreen();
  }

  /**
   * Starts sending to a new connection (a peer joined, or a connection was replaced).
   * @internal The room calls it for each direct route (each RTCPeerConnection).
   */
  attach(connection: RtcConnection, callbacks: PeerMediaCallbacks): PeerMedia {
    const media = new PeerMedia({ connection, local: () => this.sendState(), ...callbacks });
    this.#peers.add(media);
    connection.on('closed', () => this.#peers.delete(media));
    return media;
  }

  /**
   * The room was left: stops every track, quietly (no `change`: the room is over, and its
   * methods throw `LEFT_ROOM`). Nothing can be published any more.
   * @internal
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#dropScreen();
    stopTrack(this.#audio);
    stopTrack(this.#camera);
    this.#audio = null;
    this.#camera = null;
    this.#stream = undefined;
    this.#peers.clear();
  }

  /**
   * What this peer sends now, per kind (the relay's media reads it too).
   * @internal
   */
  sendState(): Record<MediaKind, SendState> {
    return {
      audio: { published: this.#audio !== null, track: this.#audio, active: this.#audioEnabled },
      video: {
        published: this.#camera !== null || this.#screen !== null,
        track: this.#screen ?? this.#camera,
        // A screen share goes on while the camera is off.
        active: this.#screen !== null || this.#videoEnabled,
      },
    };
  }

  #changed(): void {
    if (this.#closed) return;
    if (this.#audio) this.#audio.enabled = this.#audioEnabled;
    if (this.#camera) this.#camera.enabled = this.#videoEnabled;
    const tracks = [this.#audio, this.#screen ?? this.#camera].filter((t) => t !== null);
    const current = this.#stream?.getTracks() ?? [];
    const same = tracks.length === current.length && tracks.every((t) => current.includes(t));
    if (!same) this.#stream = tracks.length > 0 ? new MediaStream(tracks) : undefined;
    for (const media of this.#peers) media.update();
    this.emit('change');
  }

  #endScreen(): void {
    if (!this.#screen) return;
    this.#dropScreen();
    this.#changed();
  }

  #dropScreen(): void {
    this.#screen?.removeEventListener('ended', this.#onScreenEnded);
    stopTrack(this.#screen);
    this.#screen = null;
  }

  #check(): void {
    if (this.#closed) throw new PeerlaneError('LEFT_ROOM', 'cannot publish: the room was left');
  }
}

/** `enabled` must be a boolean: a truthy string or a number would be a guess at what was meant. */
function checkBoolean(method: string, enabled: unknown): void {
  if (typeof enabled !== 'boolean') {
    throw new PeerlaneError(
      'INVALID_ARGUMENT',
      `${method}() takes true or false (got ${typeof enabled})`,
    );
  }
}

function stopTrack(track: MediaStreamTrack | null): void {
  track?.stop();
}

/** Runs a capture on `navigator.mediaDevices`, turning its failures into `MEDIA_UNAVAILABLE`. */
async function capture(
  take: (devices: MediaDevices) => Promise<MediaStream>,
): Promise<MediaStream> {
  const devices = globalThis.navigator?.mediaDevices;
  if (!devices) {
    throw new PeerlaneError(
      'MEDIA_UNAVAILABLE',
      'no navigator.mediaDevices here (not a browser, or not a secure context)',
    );
  }
  try {
    return await take(devices);
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    const reason = error instanceof Error ? error.message : String(error);
    throw new PeerlaneError('MEDIA_UNAVAILABLE', `${name}: ${reason}`, { cause: error });
  }
}
