/**
 * `room.media` (`sdk/media/local-media.ts`) on fake tracks and a fake
 * `navigator.mediaDevices`: what is published after calls that overlap — a capture that
 * takes a while (a camera opening, the screen picker) while the app calls again.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LocalMedia } from '../../sdk/media/local-media.js';

interface FakeTrack {
  readonly id: string;
  readonly kind: 'audio' | 'video';
  enabled: boolean;
  stopped: boolean;
  contentHint: string;
  stop(): void;
  addEventListener(): void;
  removeEventListener(): void;
}

let ids = 0;
function track(kind: 'audio' | 'video'): FakeTrack {
  ids += 1;
  return {
    id: `${kind}${ids}`,
    kind,
    enabled: true,
    stopped: false,
    contentHint: '',
    stop() {
      this.stopped = true;
    },
    addEventListener() {},
    removeEventListener() {},
  };
}

class FakeMediaStream {
  readonly #tracks: FakeTrack[];
  constructor(tracks: FakeTrack[] = []) {
    this.#tracks = [...tracks];
  }
  getTracks() {
    return [...this.#tracks];
  }
  getAudioTracks() {
    return this.#tracks.filter((t) => t.kind === 'audio');
  }
  getVideoTracks() {
    return this.#tracks.filter((t) => t.kind === 'video');
  }
}

const streamOf = (...tracks: FakeTrack[]) => new FakeMediaStream(tracks) as unknown as MediaStream;

/** Captures that resolve when the test says (one per call, in call order). */
let pending: Array<(stream: MediaStream) => void> = [];
const later = () =>
  new Promise<MediaStream>((resolve) => {
    pending.push(resolve);
  });

beforeEach(() => {
  pending = [];
  vi.stubGlobal('MediaStream', FakeMediaStream);
  vi.stubGlobal('navigator', { mediaDevices: { getUserMedia: later, getDisplayMedia: later } });
});

afterEach(() => {
  vi.unstubAllGlobals();
});

const sentVideo = (media: LocalMedia) => media.sendState().video.track as unknown as FakeTrack;

describe('overlapping calls on room.media', () => {
  it('switchCamera twice: the camera asked for last is sent, whichever opens first', async () => {
    const media = new LocalMedia();
    media.publish(streamOf(track('audio'), track('video')));
    const first = media.switchCamera('a');
    const second = media.switchCamera('b');
    const cameraA = track('video');
    const cameraB = track('video');
    pending[1]?.(streamOf(cameraB)); // b opens first…
    await second;
    pending[0]?.(streamOf(cameraA)); // …then a, asked for before it
    await first;
    expect(sentVideo(media)).toBe(cameraB);
    expect(cameraB.stopped).toBe(false);
    expect(cameraA.stopped).toBe(true);
  });

  it('unpublish() while a camera opens: nothing is published after it, the camera is stopped', async () => {
    const media = new LocalMedia();
    media.publish(streamOf(track('audio'), track('video')));
    const switching = media.switchCamera('a');
    media.unpublish(); // hang up
    const camera = track('video');
    pending[0]?.(streamOf(camera));
    await switching;
    expect(media.publishing).toBe(false);
    expect(media.stream).toBeUndefined();
    expect(camera.stopped).toBe(true);
  });

  it('unpublish() while the screen picker is open: no share starts after it', async () => {
    const media = new LocalMedia();
    media.publish(streamOf(track('audio'), track('video')));
    const sharing = media.shareScreen();
    media.unpublish();
    const screen = track('video');
    pending[0]?.(streamOf(screen));
    await sharing;
    expect(media.screenSharing).toBe(false);
    expect(media.publishing).toBe(false);
    expect(screen.stopped).toBe(true);
  });

  it('still switches the camera and shares the screen when nothing overlaps', async () => {
    const media = new LocalMedia();
    const changes = vi.fn();
    media.on('change', changes);
    media.publish(streamOf(track('audio'), track('video')));
    const camera = track('video');
    const switching = media.switchCamera('a');
    pending[0]?.(streamOf(camera));
    await switching;
    expect(sentVideo(media)).toBe(camera);
    const screen = track('video');
    const sharing = media.shareScreen();
    pending[1]?.(streamOf(screen));
    await sharing;
    expect(sentVideo(media)).toBe(screen);
    media.stopScreenShare();
    expect(sentVideo(media)).toBe(camera);
    expect(changes).toHaveBeenCalledTimes(4);
  });
});
