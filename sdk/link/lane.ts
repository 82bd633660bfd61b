/**
 * Lanes: the reliable, ordered channels of frames a route offers the layers above it. Every
 * route to a peer has two — `message` (the link's numbered messages, PINGs, hand-over
 * frames) and `bulk` (file chunks) — so chat never waits behind a file. Over WebRTC each
 * lane is its own RTCDataChannel (`direct/data-channel-lane.ts`); over the server's relay
 * both are multiplexed on the signaling socket (`relay/relay-lane.ts`). The link and the
 * transfer layer (`transfer/`) work on any lane alike.
 */
import { Emitter } from '../emitter.js';
import { PeerlaneError } from '../errors.js';
import { MAX_FRAME_BYTES } from './framing.js';

/** What a {@link Lane} reports. */
export interface LaneEvents {
  /** The lane can carry frames (emitted once; `lane.open` is true from then on). */
  open: () => void;
  /** One frame arrived from the remote peer. */
  frame: (frame: Uint8Array) => void;
  /**
   * The send buffer fell to the low-water mark after {@link Lane.awaitDrain}. Never
   * emitted from inside `send()` or `awaitDrain()`, so a sender may feed the lane from it.
   */
  drain: () => void;
  /** The lane is gone for good; frames still buffered in it may be lost. */
  close: () => void;
}

/** A reliable, ordered channel of frames to one peer. */
export interface Lane extends Emitter<LaneEvents> {
  /** True while frames can be sent. */
  readonly open: boolean;
  /** Bytes handed to {@link send} and not yet on the wire. */
  readonly bufferedAmount: number;
  /**
   * The largest frame the lane carries in one piece (at most `MAX_FRAME_BYTES`). Larger
   * frames still arrive whole, but cost more: the relay cuts them in two.
   */
  readonly maxFrameBytes: number;
  /**
   * Sends one frame (at most `MAX_FRAME_BYTES`). The lane copies what it keeps before this
   * returns (a data channel does; the relay cuts the frame into pieces), so the caller may
   * write over `frame` next. Throws when the lane is not open.
   */
  send(frame: Uint8Array): void;
  /** Emits `drain` once `bufferedAmount` is down to the low-water mark. */
  awaitDrain(): void;
  /**
   * The pace, in bytes per second, that file transfers keep to on this lane while a call
   * runs on its route: set by a direct route (`direct/call-pace.ts`), or by the link on
   * the relay's (`callFilePace`). Undefined: as fast as the lane drains.
   */
  pace?: number | undefined;
  /**
   * Where a lane puts frames together from pieces (the relay): from now on it may lend
   * them — a `frame` is then valid only until its listeners return, and the lane writes
   * the next one over it. For a lane's one listener that copies each frame at once (a
   * sealed lane hands it to WebCrypto, which does). Frames are the listeners' to keep
   * unless this was called.
   */
  lendFrames?(): void;
}

/** The two lanes of a route to one peer. */
export interface Route {
  /** The link's messages (and its control frames). */
  readonly message: Lane;
  /** File chunks (`transfer/`). */
  readonly bulk: Lane;
}

/** The lane of a peer with no route at all (relay only, and no relay): never open. */
export class NoLane extends Emitter<LaneEvents> implements Lane {
  readonly open = false;
  readonly bufferedAmount = 0;
  readonly maxFrameBytes = MAX_FRAME_BYTES;
  send(): void {
    throw new PeerlaneError('PEER_UNREACHABLE', 'no route to this peer');
  }
  awaitDrain(): void {}
}
