/**
 * Which transport carries one remote peer's messages and files — the direct WebRTC link
 * or the server's relay — and the hand-over between them.
 *
 * The message stream (numbered messages, `message-stream.ts`) belongs to this switch, not
 * to a transport: it outlives direct links and moves between them and the relay. Each
 * side sends on one lane at a time. Moving to a lane:
 * 1. the sender starts a new epoch and sends `SWITCH(epoch)` as the first frame on the
 *    new lane;
 * 2. it puts every message the receiver has not acknowledged back in its queue and sends
 *    them again, whole, on the new lane, then whatever was waiting;
 * 3. the receiver, on `SWITCH` with a newer epoch, takes messages only from that lane from
 *    then on, forgets a message it had in part, and moves its own sending there too.
 * No loss: a message leaves the sender's memory only when acknowledged (`ACK`, sent by
 * the receiver ~20 ms after delivering), and everything unacknowledged is sent again on
 * the new lane. No duplicate: the receiver delivers sequence numbers in order, once, and
 * drops a number it has. No reordering: one lane at a time is read, in order, and a
 * message cut by the switch is received again from its first byte.
 *
 * File transfers follow the bulk lane: `onBulk` hands the new lane to the transfer hub,
 * which resumes each transfer from the receiver's confirmed offset.
 *
 * When to move: the relay takes over when the direct link is not open within
 * `relayFallbackMs` (Chromium reports nothing at all when no path exists), when it broke
 * and is not restored within `relayFallbackMs` (the ICE restart goes on meanwhile), or
 * when it gives up. While on the relay, the initiator tries a fresh direct connection
 * every `directRetryMs`; once a direct link is open, both sides move back to it.
 */
import type { PeerId, SignalData } from '../signaling/protocol.js';
import { Emitter } from './emitter.js';
import { PeerlaneError } from './errors.js';
import { FRAME_KIND, MAX_FRAME_BYTES } from './framing.js';
import type { Lane, LaneEvents } from './lane.js';
import { type FrameSink, Inbox, type MessageData, Outbox } from './message-stream.js';
import type { PeerTransport } from './peer.js';
import type { ConnectionState, LinkOutbox, PeerLink, PeerLinkOptions } from './peer-link.js';
import type { RelayPeer } from './relay-lanes.js';
import { StatsSampler } from './stats.js';

/**
 * What carries a peer's messages and files now: `direct` (a WebRTC connection between the
 * two machines, through NAT or not), `turn` (WebRTC through a TURN server), or `relay`
 * (the signaling server's WebSocket relay).
 */
export type TransportKind = 'direct' | 'turn' | 'relay';

/** `auto`: direct WebRTC, the relay when that fails; `relay`: the relay only. */
export type TransportMode = 'auto' | 'relay';

/** The two lanes a switch can send on. */
type LaneChoice = 'direct' | 'relay';

/** The bulk lane of a peer with no transport at all (relay only, and no relay): never open. */
class NoLane extends Emitter<LaneEvents> implements Lane {
  readonly open = false;
  readonly bufferedAmount = 0;
  readonly maxFrameBytes = MAX_FRAME_BYTES;
  send(): void {
    throw new PeerlaneError('PEER_UNREACHABLE', 'no transport to this peer');
  }
  awaitDrain(): void {}
}
const NO_LANE = new NoLane();

/** A direct link and its transport. */
interface Direct {
  link: PeerLink;
  transport: PeerTransport;
}

/** How long after a delivery the receiver acknowledges (acks for a burst are one frame). */
const ACK_DELAY_MS = 20;

/** What a direct link is made with, besides the room's own options. */
export type DirectHooks = Pick<PeerLinkOptions, 'stream' | 'onGiveUp' | 'onState' | 'onError'>;

export interface TransportSwitchOptions {
  remoteId: PeerId;
  /** True on the side that makes offers (and so retries direct connections). */
  initiator: boolean;
  mode: TransportMode;
  maxMessageBytes: number;
  relayFallbackMs: number;
  directRetryMs: number;
  /** The relay lanes to the peer, or undefined when the server does not relay for us. */
  relay(): RelayPeer | undefined;
  /** Makes a direct link (a new RTCPeerConnection) with these hooks. */
  createDirect(hooks: DirectHooks): { link: PeerLink; transport: PeerTransport };
  onMessage(data: MessageData, broadcast: boolean): void;
  onState(state: ConnectionState): void;
  onError(error: PeerlaneError): void;
  onTransport(transport: TransportKind | undefined): void;
  /** The bulk lane changed: file transfers move to it. */
  onBulk(lane: Lane): void;
}

/** One remote peer's transports, as the room and `RemotePeer` see them. */
export class TransportSwitch {
  readonly #outbox = new Outbox(true);
  readonly #inbox: Inbox;
  #direct: Direct | undefined;
  #relay: RelayPeer | undefined;
  #unsubscribeRelay: (() => void) | undefined;
  #sending: LaneChoice | undefined;
  #epoch = 0;
  #receiving: LaneChoice | undefined;
  #receivedEpoch = 0;
  #bulk: Lane | undefined;
  #state: ConnectionState = 'connecting';
  #transport: TransportKind | undefined;
  #fallbackTimer: ReturnType<typeof setTimeout> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #ackTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(private readonly options: TransportSwitchOptions) {
    this.#inbox = new Inbox(options.maxMessageBytes, (data, broadcast) => {
      this.#scheduleAck();
      options.onMessage(data, broadcast);
    });
    this.#watchRelay();
    if (options.mode === 'relay') {
      this.#bulk = this.#relay?.bulk;
      // After the constructor: the room hands the bulk lane to a hub made after this.
      queueMicrotask(() => {
        if (this.#relay) this.#use('relay');
        else this.#noRelay('transport is "relay" but the server does not relay for this peer');
      });
      return;
    }
    this.#newDirect();
    this.#bulk = this.#direct?.transport.bulk;
    this.#armFallback();
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** What carries the messages now; undefined until the first transport is up. */
  get transport(): TransportKind | undefined {
    return this.#transport;
  }

  /** The lane file transfers use now. */
  get bulk(): Lane {
    return this.#bulk ?? this.#relay?.bulk ?? this.#direct?.transport.bulk ?? NO_LANE;
  }

  /** Bytes waiting to be sent: queued messages plus what the active lane buffers. */
  get bufferedAmount(): number {
    return this.#outbox.queuedBytes + (this.#sink()?.bufferedAmount ?? 0);
  }

  /** Queues one message (already checked and encoded) and sends what the lane can take. */
  send(text: boolean, bytes: Uint8Array, broadcast = false): void {
    this.#outbox.push(text, bytes, broadcast);
    this.#flush();
  }

  /** Always false: a new RTCPeerConnection from the peer replaces the direct link in here. */
  isNewSession(_offerSdp: string): boolean {
    return false;
  }

  /** Applies signaling data from the remote peer. */
  signal(data: SignalData): void {
    if (this.#closed || this.options.mode === 'relay') return;
    const direct = this.#direct;
    const fresh =
      data.type === 'offer' &&
      !this.options.initiator &&
      (!direct || direct.link.state === 'closed' || direct.link.isNewSession(data.sdp));
    if (fresh) this.#newDirect();
    this.#direct?.link.signal(data);
  }

  /** Signaling is back: a stalled ICE restart may go on, and relay frames may have been lost. */
  signalingRestored(): void {
    this.#direct?.link.signalingRestored();
    if (this.#sending === 'relay') this.#announce('relay');
  }

  /** Closes every transport for good; no state event follows. Returns how many messages were unsent. */
  close(): number {
    if (this.#closed) return 0;
    this.#closed = true;
    this.#state = 'closed';
    clearTimeout(this.#fallbackTimer);
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#ackTimer);
    this.#unsubscribeRelay?.();
    const unsent = this.#outbox.clear();
    this.#direct?.link.close();
    return unsent;
  }

  #newDirect(): void {
    this.#direct?.link.close();
    const view: LinkOutbox = {
      push: (text, bytes, broadcast) => this.#outbox.push(text, bytes, broadcast),
      flush: (sink) => (this.#sending === 'direct' ? this.#outbox.flush(sink) : true),
      // A link failing with no relay to take over drops what waited, as before.
      clear: () => (this.#direct === created && !this.#relay ? this.#outbox.clear() : 0),
      get length() {
        return 0;
      },
      get queuedBytes() {
        return 0;
      },
    };
    const created = this.options.createDirect({
      stream: {
        outbox: view,
        inbox: {
          receive: (frame) => {
            this.#receive(frame, 'direct');
            return undefined; // reported by the switch itself
          },
        },
      },
      onGiveUp: () => this.#directGaveUp(created),
      onState: (state) => this.#onDirectState(created, state),
      onError: (error) => this.options.onError(error),
    });
    this.#direct = created;
  }

  #watchRelay(): void {
    const relay = this.options.relay();
    if (!relay) return;
    this.#relay = relay;
    const onFrame = (frame: Uint8Array) => this.#receive(frame, 'relay');
    const onDrain = () => this.#flush();
    relay.message.on('frame', onFrame).on('drain', onDrain);
    this.#unsubscribeRelay = () => relay.message.off('frame', onFrame).off('drain', onDrain);
  }

  #onDirectState(direct: Direct, state: ConnectionState): void {
    if (this.#closed || direct !== this.#direct) return;
    if (state === 'connected') {
      clearTimeout(this.#fallbackTimer);
      clearTimeout(this.#retryTimer);
      if (this.#sending === 'direct') {
        // A new direct link replaced a failed one: file transfers move to its bulk lane.
        const bulk = direct.transport.bulk;
        if (bulk !== this.#bulk) {
          this.#bulk = bulk;
          this.options.onBulk(bulk);
        }
        this.#flush();
      } else this.#use('direct');
    } else if (state === 'reconnecting' && this.#sending === 'direct') {
      this.#armFallback();
    }
    this.#updateState();
  }

  /** The direct link gives up: the relay takes over if there is one (then true). */
  #directGaveUp(direct: Direct): boolean {
    if (this.#closed || direct !== this.#direct || !this.#relay) return false;
    // The link closes itself once this returns; the switch forgets it now.
    this.#direct = undefined;
    this.#use('relay');
    this.#scheduleRetry();
    return true;
  }

  /** The relay takes over unless the direct link is up by then. */
  #armFallback(): void {
    clearTimeout(this.#fallbackTimer);
    if (!this.#relay) return;
    this.#fallbackTimer = setTimeout(() => {
      if (this.#direct?.link.state !== 'connected' || this.#sending !== 'direct') {
        this.#use('relay');
        this.#scheduleRetry();
      }
    }, this.options.relayFallbackMs);
  }

  /** Initiator, on the relay: a fresh direct connection every `directRetryMs`. */
  #scheduleRetry(): void {
    if (!this.options.initiator || this.options.mode === 'relay') return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      if (this.#closed || this.#sending !== 'relay') return;
      const state = this.#direct?.link.state;
      // Open here while the other side moved away from it: offer it again.
      if (state === 'connected') this.#use('direct');
      // A link still trying (ICE restart, or a first connection) is left to finish.
      else if (state !== 'connecting' && state !== 'reconnecting') this.#newDirect();
      this.#scheduleRetry();
    }, this.options.directRetryMs);
  }

  /** Sends on `lane` from now on (see the file's comment). */
  #use(lane: LaneChoice): void {
    if (this.#closed || this.#sending === lane) return;
    if (lane === 'relay' && !this.#relay) return;
    if (lane === 'direct' && this.#direct?.link.state !== 'connected') return;
    clearTimeout(this.#fallbackTimer);
    this.#sending = lane;
    this.#announce(lane);
    const bulk = lane === 'relay' ? this.#relay?.bulk : this.#direct?.transport.bulk;
    if (bulk && bulk !== this.#bulk) {
      this.#bulk = bulk;
      this.options.onBulk(bulk);
    }
    this.#updateState();
    this.#updateTransport();
  }

  /** A new epoch on `lane`: SWITCH first, then every unacknowledged message again. */
  #announce(lane: LaneChoice): void {
    this.#epoch = (this.#epoch + 1) >>> 0;
    this.#outbox.rewind();
    this.#control(FRAME_KIND.SWITCH, this.#epoch);
    this.#flush();
    if (lane === 'relay') this.#scheduleAck();
  }

  #receive(frame: Uint8Array, lane: LaneChoice): void {
    if (this.#closed) return;
    const kind = frame[0];
    if (kind === FRAME_KIND.SWITCH || kind === FRAME_KIND.ACK) {
      if (frame.byteLength < 5) return;
      const value = new DataView(frame.buffer, frame.byteOffset, 5).getUint32(1);
      if (kind === FRAME_KIND.ACK) {
        this.#outbox.ack(value);
        return;
      }
      if (value <= this.#receivedEpoch) return;
      this.#receivedEpoch = value;
      this.#receiving = lane;
      this.#inbox.dropPartial();
      // The other side moved: follow it, preferring direct. To direct once it is open here
      // (#use checks); to the relay unless direct works here. Following only towards what
      // works here keeps two sides that switched at the same moment from swapping forever.
      if (lane === 'direct' || this.#direct?.link.state !== 'connected') this.#use(lane);
      // Tell it how far we got, so it forgets what we have.
      this.#scheduleAck();
      return;
    }
    if (lane !== this.#receiving) return;
    const problem = this.#inbox.receive(frame);
    if (problem) {
      const { remoteId } = this.options;
      this.options.onError(
        new PeerlaneError(problem.code, `peer ${remoteId}: ${problem.message}`, {
          peerId: remoteId,
          cause: problem.cause,
        }),
      );
    }
  }

  #scheduleAck(): void {
    this.#ackTimer ??= setTimeout(() => {
      this.#ackTimer = undefined;
      if (this.#inbox.lastComplete !== 0) this.#control(FRAME_KIND.ACK, this.#inbox.lastComplete);
    }, ACK_DELAY_MS);
  }

  /** A 5-byte control frame (`[kind][u32]`) on the lane in use. */
  #control(kind: number, value: number): void {
    const frame = new Uint8Array(5);
    frame[0] = kind;
    new DataView(frame.buffer).setUint32(1, value);
    try {
      this.#sink()?.send(frame);
    } catch {
      // The lane is closing; the next lane's SWITCH and acks cover it.
    }
  }

  /** Where messages go now, if that lane can take them. */
  #sink(): FrameSink | undefined {
    if (this.#sending === 'relay') return this.#relay?.message;
    const direct = this.#direct;
    if (this.#sending === 'direct' && direct?.link.state === 'connected' && direct.transport.open)
      return direct.transport;
    return undefined;
  }

  #flush(): void {
    const sink = this.#sink();
    if (!sink) return;
    try {
      if (this.#outbox.flush(sink)) return;
      if (this.#sending === 'relay') this.#relay?.message.awaitDrain();
      else this.#direct?.transport.awaitDrain();
    } catch {
      // The lane closed under us; what happens next is its link's business.
    }
  }

  #updateState(): void {
    if (this.#closed) return;
    const direct = this.#direct?.link.state;
    let state: ConnectionState;
    if (this.#sending === 'relay') state = 'connected';
    else if (this.#sending === 'direct')
      state = direct === 'connected' || direct === 'reconnecting' ? direct : 'failed';
    else state = direct === 'failed' ? 'failed' : 'connecting';
    if (state === this.#state) return;
    this.#state = state;
    this.options.onState(state);
  }

  /** `relay` at once; for direct, the selected candidate pair says `direct` or `turn`. */
  #updateTransport(): void {
    if (this.#sending === 'relay') {
      this.#setTransport('relay');
      return;
    }
    const direct = this.#direct;
    if (!direct) return;
    const sampler = new StatsSampler(() => direct.transport.peerConnection);
    const read = (attempt: number) => {
      sampler.sample().then(
        (stats) => {
          if (this.#sending !== 'direct' || this.#direct !== direct) return;
          if (stats?.path === 'unknown' && attempt < 5) {
            setTimeout(() => read(attempt + 1), 200);
            return;
          }
          this.#setTransport(stats?.path === 'relay' ? 'turn' : 'direct');
        },
        () => this.#setTransport('direct'),
      );
    };
    read(0);
  }

  #setTransport(transport: TransportKind): void {
    if (this.#closed || transport === this.#transport) return;
    this.#transport = transport;
    this.options.onTransport(transport);
  }

  /** No relay where one is needed: today's behaviour, the peer is unreachable. */
  #noRelay(reason: string): void {
    if (this.#closed) return;
    this.#state = 'failed';
    this.options.onState('failed');
    const { remoteId } = this.options;
    this.options.onError(
      new PeerlaneError('PEER_UNREACHABLE', `peer ${remoteId}: ${reason}`, { peerId: remoteId }),
    );
  }
}
