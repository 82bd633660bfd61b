/**
 * Builds the link to one remote peer — its relay route, and each direct route (an
 * RTCPeerConnection with its media) the link asks for — from the room's settings. The
 * room asks for a link; it never assembles one.
 */
import type { ClientFrame, PeerId, SignalData } from '../../signaling/protocol.js';
import type { ConnectionState, MediaState, MessageData, TransportKind } from '../api.js';
import {
  HANDSHAKE_REFUSAL,
  HandshakeAuth,
  isOfferOrAnswer,
  isRefusal,
  isSigned,
} from '../e2ee/handshake-auth.js';
import type { RoomKeys } from '../e2ee/room-keys.js';
import {
  newPeerRecord,
  type PeerRecord,
  type SealedRoute,
  sealRoute,
} from '../e2ee/sealed-route.js';
import { PeerlaneError } from '../errors.js';
import { DirectRoute } from '../link/direct/direct-route.js';
import { RtcConnection, resolveWebRtc } from '../link/direct/rtc-connection.js';
import { type DirectHooks, Link } from '../link/link.js';
import type { Relay } from '../link/relay/relay.js';
import type { RelayRoute } from '../link/relay/relay-route.js';
import type { LocalMedia } from '../media/local-media.js';
import { RelayMedia } from '../media/relay/relay-media.js';
import type { RoomSettings } from '../options.js';
import type { PeerHandle } from './remote-peer.js';

/** What links report to the room, each naming its peer. */
export interface LinkEvents {
  message(peer: PeerHandle, data: MessageData, broadcast: boolean): void;
  state(peer: PeerHandle, state: ConnectionState): void;
  transport(peer: PeerHandle, transport: TransportKind): void;
  media(peer: PeerHandle, media: MediaState): void;
  error(error: PeerlaneError): void;
}

/** What the factory needs of the room. */
export interface LinkFactoryOptions {
  settings: RoomSettings;
  /** This peer's id (the smaller id offers: both sides agree, so they never both offer). */
  selfId(): PeerId;
  /** The ICE servers to use now (they may change with each welcome). */
  iceServers(): RTCIceServer[];
  /** The signaling connection: whether it is up, and sending a frame on it. */
  signaling: { readonly state: string; send(frame: ClientFrame): void };
  relay: Relay;
  media: LocalMedia;
  events: LinkEvents;
  /** The room's keys with `e2ee`; undefined without. */
  keys: RoomKeys | undefined;
}

/** With `e2ee`: one peer's handshake signatures, and its signals in order through them. */
interface Guard {
  auth: HandshakeAuth;
  /** Outgoing signals, signed one after another. */
  out: Promise<void>;
  /** Incoming signals, checked one after another. */
  in: Promise<void>;
}

/**
 * Peers whose {@link PeerRecord} is kept (the most recently sealed): a record outlives its
 * peer's routes, so a route made anew for a peer that comes back takes none of its old
 * frames; this bounds what a room with many peers coming and going keeps (~1 KiB each).
 */
const MAX_PEER_RECORDS = 1024;

/** Makes links for a room. */
export class LinkFactory {
  readonly #guards = new Map<PeerId, Guard>();
  readonly #sealedRoutes = new WeakMap<object, SealedRoute>();
  /** With `e2ee`: what was taken from each peer, kept when its route goes (see `PeerRecord`). */
  readonly #records = new Map<PeerId, PeerRecord>();
  /** Links whose peer was told it is refused (see {@link #refuse}). */
  readonly #told = new WeakSet<Link>();

  constructor(private readonly options: LinkFactoryOptions) {}

  /** Applies signaling data from `peer` (with `e2ee`, once its signature verifies). */
  signal(peer: PeerHandle, data: SignalData): void {
    const guard = this.#guard(peer.id);
    if (!guard) {
      if (isSigned(data)) {
        this.#refuse(
          peer,
          data,
          'it uses end-to-end encryption (a room secret); this room has none',
        );
      } else if (isRefusal(data)) {
        this.#refuse(peer, data, 'it refused our handshake');
      } else peer.link.signal(data);
      return;
    }
    guard.in = guard.in.then(async () => {
      const refused = await guard.auth.check(data);
      if (refused) this.#refuse(peer, data, refused);
      else peer.link.signal(data);
    });
  }

  /**
   * Refuses `peer` (`E2EE_MISMATCH`) and tells it with a {@link HANDSHAKE_REFUSAL}, so that
   * it fails at once too instead of waiting for an answer or for frames that open: for each
   * offer or answer refused (`data`), and once per link for relayed data. A refusal is
   * never answered.
   */
  #refuse(peer: PeerHandle, data: SignalData | undefined, reason: string): void {
    const { link } = peer;
    link.refuse(reason);
    const tell = data ? isOfferOrAnswer(data) : !this.#told.has(link);
    if (!tell) return;
    this.#told.add(link);
    this.#sendSignal(peer.id, HANDSHAKE_REFUSAL);
  }

  /** With `e2ee`: the safety number of the pair this peer and `peer` make. */
  safetyNumber(peer: PeerHandle): Promise<string | undefined> | undefined {
    const relayOnly = this.options.settings.transport === 'relay';
    return this.#guard(peer.id)?.auth.safetyNumber(relayOnly);
  }

  /** The peer left: forget its signatures. */
  forget(id: PeerId): void {
    this.#guards.delete(id);
  }

  /** The link to `peer`; file transfers follow its bulk lane. */
  create(peer: PeerHandle): Link {
    const { settings, events } = this.options;
    const initiator = this.options.selfId() < peer.id;
    const route = this.options.relay.route(peer.id);
    const sealed = this.#sealed(route, peer);
    const media = this.options.media;
    return new Link({
      remoteId: peer.id,
      initiator,
      mode: settings.transport,
      maxMessageBytes: settings.maxMessageBytes,
      relayFallbackMs: settings.relayFallbackMs,
      directRetryMs: settings.directRetryMs,
      stallMs: settings.stallMs,
      callFilePace: settings.callFilePace,
      relay: sealed ?? route,
      relayMedia: (onChange: () => void) => {
        // With e2ee, media is sealed like the lanes (`e2ee/sealed-media.ts`).
        const mediaRoute = sealed ? sealed.mediaRoute : route;
        if (!mediaRoute) throw new Error('relayed media needs a relay route');
        return new RelayMedia({
          peerId: peer.id,
          route: mediaRoute,
          local: {
            sendState: () => media.sendState(),
            watch: (listener) => {
              media.on('change', listener);
              return () => media.off('change', listener);
            },
          },
          onStream: (stream) => peer.streams.relay(stream),
          onStreamEnded: (stream) => peer.streams.relayEnded(stream),
          onError: (error) => events.error(error),
          onChange,
        });
      },
      createDirect: (hooks) => this.#direct(peer, initiator, hooks),
      onMessage: (data, broadcast) => events.message(peer, data, broadcast),
      onState: (state) => events.state(peer, state),
      onTransport: (transport) => events.transport(peer, transport),
      onMedia: (media) => events.media(peer, media),
      onError: (error) => events.error(error),
      onBulk: (lane) => peer.files.attach(lane),
    });
  }

  /** A direct route to `peer`: a new RTCPeerConnection, with this room's media on it. */
  #direct(peer: PeerHandle, initiator: boolean, hooks: DirectHooks): DirectRoute {
    const { settings, signaling } = this.options;
    const connection = new RtcConnection({
      initiator,
      iceServers: this.options.iceServers(),
      iceTransportPolicy: settings.iceTransportPolicy,
      wrtc: settings.wrtc ?? resolveWebRtc(undefined),
    });
    try {
      const media = this.options.media.attach(connection, {
        onStream: (stream) => peer.streams.direct(stream),
        onStreamEnded: (stream) => peer.streams.directEnded(stream),
      });
      return new DirectRoute({
        connection,
        initiator,
        media,
        callFilePace: settings.callFilePace,
        peerConnectTimeoutMs: settings.peerConnectTimeoutMs,
        iceRestartDelayMs: settings.iceRestartDelayMs,
        iceRestartTimeoutMs: settings.iceRestartTimeoutMs,
        iceServers: () => this.options.iceServers(),
        canSignal: () => signaling.state === 'connected',
        sendSignal: (data) => this.#sendSignal(peer.id, data),
        ...hooks,
      });
    } catch (error) {
      connection.close(); // never handed to the link, which closes the routes it has
      throw error;
    }
  }

  /** `route` (the relay route to `peer`) sealed, with `e2ee`; undefined without. */
  #sealed(route: RelayRoute | undefined, peer: PeerHandle): SealedRoute | undefined {
    const { keys } = this.options;
    if (!route || !keys) return undefined;
    let sealed = this.#sealedRoutes.get(route);
    if (!sealed) {
      sealed = sealRoute(
        route,
        keys,
        this.options.selfId(),
        peer.id,
        {
          onMismatch: (reason) => this.#refuse(peer, undefined, `relayed data: ${reason}`),
          onInvalid: (lane, reason) => {
            this.options.events.error(
              new PeerlaneError('INVALID_DATA', `peer ${peer.id}: ${reason}; it was dropped`, {
                peerId: peer.id,
              }),
            );
            // A file chunk or its answer is lost: transfers resume from the confirmed offset.
            // (A lost message is sent again by the hand-over when its acknowledgement stalls.)
            if (lane === 'bulk') peer.files.resync();
          },
        },
        this.#record(peer.id),
      );
      this.#sealedRoutes.set(route, sealed);
    }
    return sealed;
  }

  /**
   * What was taken from `id` so far, kept beyond its routes: the room may give a peer up
   * and make a new route when it comes back, while the peer keeps its own (and its
   * numbering), and the server could then hand the new route the peer's old frames again.
   */
  #record(id: PeerId): PeerRecord {
    const record = this.#records.get(id) ?? newPeerRecord();
    this.#records.delete(id); // the most recently used go last
    this.#records.set(id, record);
    if (this.#records.size > MAX_PEER_RECORDS) {
      this.#records.delete(this.#records.keys().next().value as PeerId);
    }
    return record;
  }

  /** Sends a signal to `to` (with `e2ee`, signed, in order). */
  #sendSignal(to: PeerId, data: SignalData): void {
    const { signaling } = this.options;
    const guard = this.#guard(to);
    if (!guard) {
      signaling.send({ type: 'signal', to, data });
      return;
    }
    guard.out = guard.out.then(async () => {
      signaling.send({ type: 'signal', to, data: await guard.auth.sign(data) });
    });
  }

  #guard(id: PeerId): Guard | undefined {
    const { keys } = this.options;
    if (!keys) return undefined;
    let guard = this.#guards.get(id);
    if (!guard) {
      const auth = new HandshakeAuth(keys, this.options.selfId, id);
      guard = { auth, out: Promise.resolve(), in: Promise.resolve() };
      this.#guards.set(id, guard);
    }
    return guard;
  }
}
