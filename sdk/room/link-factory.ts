/**
 * Builds the link to one remote peer — its relay route, and each direct route (an
 * RTCPeerConnection with its media) the link asks for — from the room's settings. The
 * room asks for a link; it never assembles one.
 */
import type { ClientFrame, PeerId } from '../../signaling/protocol.js';
import type { ConnectionState, MediaState, MessageData, TransportKind } from '../api.js';
import type { PeerlaneError } from '../errors.js';
import { DirectRoute } from '../link/direct/direct-route.js';
import { RtcConnection, resolveWebRtc } from '../link/direct/rtc-connection.js';
import { type DirectHooks, Link } from '../link/link.js';
import type { Relay } from '../link/relay/relay.js';
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
}

/** Makes links for a room. */
export class LinkFactory {
  constructor(private readonly options: LinkFactoryOptions) {}

  /** The link to `peer`; file transfers follow its bulk lane. */
  create(peer: PeerHandle): Link {
    const { settings, events, relay } = this.options;
    const initiator = this.options.selfId() < peer.id;
    const route = relay.route(peer.id);
    const media = this.options.media;
    return new Link({
      remoteId: peer.id,
      initiator,
      mode: settings.transport,
      maxMessageBytes: settings.maxMessageBytes,
      relayFallbackMs: settings.relayFallbackMs,
      directRetryMs: settings.directRetryMs,
      stallMs: settings.stallMs,
      relay: route,
      relayMedia: (onChange) => {
        if (!route) throw new Error('relayed media needs a relay route');
        return new RelayMedia({
          peerId: peer.id,
          route,
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
    const media = this.options.media.attach(connection, {
      onStream: (stream) => peer.streams.direct(stream),
      onStreamEnded: (stream) => peer.streams.directEnded(stream),
    });
    return new DirectRoute({
      connection,
      initiator,
      media,
      peerConnectTimeoutMs: settings.peerConnectTimeoutMs,
      iceRestartDelayMs: settings.iceRestartDelayMs,
      iceRestartTimeoutMs: settings.iceRestartTimeoutMs,
      iceServers: () => this.options.iceServers(),
      canSignal: () => signaling.state === 'connected',
      sendSignal: (data) => signaling.send({ type: 'signal', to: peer.id, data }),
      ...hooks,
    });
  }
}
