import type { RtcConnection } from '../link/direct/rtc-connection.js';
import { SenderActivity } from './sender-activity.js';

/** The media kinds the SDK sends and receives. */
export type MediaKind = 'audio' | 'video';
const KINDS: readonly MediaKind[] = ['audio', 'video'];

/**
 * What this peer sends of one kind, on every connection: `published` says whether the kind is
 * negotiated as sending (changing it takes an offer/answer round); `track` is the track
 * to send (null when not published), put on the sender with `replaceTrack`; `active` is
 * false while muted: the sender then carries no track and its encodings are off, so
 * nothing at all is sent. Neither change needs negotiation.
 */
export interface SendState {
  published: boolean;
  track: MediaStreamTrack | null;
  active: boolean;
}

/** Options of a {@link PeerMedia}. */
export interface PeerMediaOptions {
  connection: RtcConnection;
  /** What this peer sends now. */
  local(): Record<MediaKind, SendState>;
  /** The remote peer's media started, or its tracks changed (same stream object). */
  onStream(stream: MediaStream): void;
  /** The remote peer's media ended: it stopped sending, or the connection closed. */
  onStreamEnded(stream: MediaStream): void;
}

const sends = (direction: RTCRtpTransceiverDirection | null) =>
  direction === 'sendrecv' || direction === 'sendonly';
const receives = (direction: RTCRtpTransceiverDirection | null) =>
  direction === 'sendrecv' || direction === 'recvonly';

/**
 * The media side of one direct route (one RTCPeerConnection): at most one transceiver per kind, carrying this peer's
 * track one way and the remote peer's the other.
 *
 * Only the initiator (the side that makes offers) adds transceivers. Its transceivers are
 * `sendrecv` while it sends that kind, else `recvonly`; the other side's are the same
 * (transceivers it got from an offer start `recvonly`). So either side can always receive,
 * and neither ever offers to send a kind it does not publish (the server refuses sending
 * m= lines to a token without the publish grant).
 *
 * When the other side starts or stops sending a kind it asks the initiator for a round
 * with a `transceiverRequest` signal; the initiator adds a `recvonly` transceiver of that
 * kind if it has none and queues an offer. After every round each side checks that what
 * was negotiated matches what it wants, and asks again if not. Switching camera and
 * screen sharing only replace the sender's track; muting also takes the track off and
 * turns its encodings off.
 */
export class PeerMedia {
  #remote: MediaStream | undefined;
  /** The stream as the application last heard of it (`onStream`), if it did. */
  #announced: MediaStream | undefined;
  #announce: ReturnType<typeof setTimeout> | undefined;
  /** The connection has been up: until then the application hears of no stream. */
  #open = false;
  #closed = false;
  readonly #activity = new SenderActivity();

  constructor(private readonly options: PeerMediaOptions) {
    const { connection } = options;
    // simple-peer owns `ontrack`; a listener of our own sees every track.
    connection.peerConnection?.addEventListener('track', (event) => this.#onTrack(event));
    connection.on('negotiated', () => this.#onNegotiated());
    connection.on('media-request', (kind) => this.#onMediaRequest(kind));
    connection.on('closed', () => this.#close());
    // The initiator's transceivers go into the connection's first offer; the other side
    // takes its share when that offer arrives (in #onTrack) or asks after it.
    this.#apply();
  }

  /** The remote peer's media, while it sends any (once the connection is up). */
  get stream(): MediaStream | undefined {
    return this.#open ? this.#remote : undefined;
  }

  /**
   * True while a call runs on this connection: this peer sends an unmuted track, or the
   * remote peer's stream has tracks. The route then watches the path more closely.
   */
  get live(): boolean {
    if (this.#closed) return false;
    const local = this.options.local();
    const sending = KINDS.some((kind) => local[kind].published && local[kind].active);
    return sending || (this.#remote?.getTracks().length ?? 0) > 0;
  }

  /**
   * The connection is up: the application hears of the remote media from now on. Tracks
   * of a connection that never connects carry nothing, so they are never announced.
   */
  open(): void {
    if (this.#open || this.#closed) return;
    this.#open = true;
    if (this.#remote) this.#changed();
  }

  /** What this peer sends changed: apply it, and renegotiate if the other side must know. */
  update(): void {
    this.#negotiate(this.#apply());
  }

  /**
   * Puts each kind's local track and direction on its transceiver. Returns the kinds whose
   * negotiated state must change.
   */
  #apply(): Set<MediaKind> {
    const changed = new Set<MediaKind>();
    const pc = this.options.connection.peerConnection;
    if (!pc || this.#closed) return changed;
    const local = this.options.local();
    if (this.options.connection.initiator && KINDS.some((kind) => local[kind].published)) {
      for (const kind of this.#addSlots(pc)) changed.add(kind);
    }
    for (const kind of KINDS) {
      const { published, track, active } = local[kind];
      const slot = this.#slot(pc, kind);
      if (!slot) {
        if (published) changed.add(kind); // the other side: the initiator must add one
        continue;
      }
      const direction: RTCRtpTransceiverDirection = published ? 'sendrecv' : 'recvonly';
      if (slot.direction !== direction) {
        slot.direction = direction;
        changed.add(kind);
      }
      // Muted: no track on the sender and its encodings off. Neither alone stops every
      // browser: Firefox ignores `active: false` on audio, and without a track it still
      // sends video (~1 frame/s, repeats of the last image).
      const carried = active ? track : null;
      if (slot.sender.track !== carried) {
        // Rejects only when the connection is closing; the track then goes nowhere anyway.
        slot.sender.replaceTrack(carried).catch(() => {});
      }
      // Before negotiation a sender may have no encodings yet: the next round applies it
      // (#onNegotiated runs this again). Rejects only when the connection is closing.
      if (published) this.#activity.set(slot.sender, active).catch(() => {});
    }
    return changed;
  }

  /**
   * Initiator: one transceiver of each kind once media is used at all (by this side, or
   * asked for by the other), so either side may start sending either kind in one round.
   * A new one sends this side's track if it publishes that kind, else only receives.
   */
  #addSlots(pc: RTCPeerConnection): MediaKind[] {
    const local = this.options.local();
    const added = KINDS.filter((kind) => !this.#slot(pc, kind));
    for (const kind of added) {
      const { published, track, active } = local[kind];
      pc.addTransceiver((active ? track : null) ?? kind, {
        direction: published ? 'sendrecv' : 'recvonly',
        // Muted from the first packet on, when it is.
        sendEncodings: [{ active }],
      });
    }
    return added;
  }

  /**
   * One round for every change at once: the initiator queues an offer, the other side asks
   * for one (the kind in its request only says which transceiver it needs first).
   */
  #negotiate(changed: Set<MediaKind>): void {
    const [first] = changed;
    if (first) this.options.connection.requestNegotiation(first);
  }

  /** The transceiver that carries `kind`: the first one of that kind. */
  #slot(pc: RTCPeerConnection, kind: MediaKind): RTCRtpTransceiver | undefined {
    return pc.getTransceivers().find((t) => t.receiver.track.kind === kind && !isStopped(t));
  }

  #onTrack(event: RTCTrackEvent): void {
    if (this.#closed) return;
    // On the answering side this runs inside setRemoteDescription(offer), before the
    // answer is made: taking the new transceiver now puts our track in this very answer.
    this.#apply();
    this.#addRemote(event.track);
  }

  /** A round is over: make the remote stream match it, and ask for another if needed. */
  #onNegotiated(): void {
    const pc = this.options.connection.peerConnection;
    if (!pc || this.#closed) return;
    const wanted = this.#apply();
    for (const kind of KINDS) {
      const slot = this.#slot(pc, kind);
      // Never negotiated yet, or negotiated otherwise than this side now wants.
      if (slot && (slot.mid === null || sends(slot.direction) !== sends(slot.currentDirection)))
        wanted.add(kind);
    }
    this.#negotiate(wanted);
    for (const transceiver of pc.getTransceivers()) {
      const { track } = transceiver.receiver;
      if (receives(transceiver.currentDirection) && !isStopped(transceiver)) this.#addRemote(track);
      else this.#removeRemote(track);
    }
  }

  /** Initiator: the other side wants to start or stop sending `kind` (or both kinds). */
  #onMediaRequest(kind: MediaKind): void {
    const pc = this.options.connection.peerConnection;
    if (!pc || this.#closed) return;
    this.#addSlots(pc);
    this.options.connection.requestNegotiation(kind);
  }

  #addRemote(track: MediaStreamTrack): void {
    if (track.kind !== 'audio' && track.kind !== 'video') return;
    if (!this.#remote) this.#remote = new MediaStream([track]);
    else if (this.#remote.getTrackById(track.id)) return;
    else this.#remote.addTrack(track);
    this.#changed();
  }

  #removeRemote(track: MediaStreamTrack): void {
    const stream = this.#remote;
    if (!stream?.getTrackById(track.id)) return;
    stream.removeTrack(track);
    if (stream.getTracks().length === 0) this.#remote = undefined;
    this.#changed();
  }

  /**
   * Tells the application once per burst of changes: a round usually adds audio and video
   * together, in separate `track` events (with microtasks run between them).
   */
  #changed(): void {
    this.#announce ??= setTimeout(() => {
      this.#announce = undefined;
      this.#tell();
    }, 0);
  }

  #tell(): void {
    if (!this.#open) return;
    const announced = this.#announced;
    this.#announced = this.#remote;
    if (announced && announced !== this.#remote) this.options.onStreamEnded(announced);
    if (this.#remote) this.options.onStream(this.#remote);
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#announce);
    this.#remote = undefined;
    this.#tell();
  }
}

/** `stopped` is not in every implementation's types; `currentDirection` says it too. */
function isStopped(transceiver: RTCRtpTransceiver): boolean {
  return transceiver.currentDirection === 'stopped' || transceiver.direction === 'stopped';
}
