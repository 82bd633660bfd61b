import type { Grant } from './auth.js';
import type { FrameRejection } from './frames.js';
import { createPeerIdentity, type PeerIdentity, verifyPeerIdentity } from './ids.js';
import type { ResolvedOptions } from './options.js';
import {
  type JoinFrame,
  type LeaveReason,
  type PeerInfo,
  type PeerMeta,
  PROTOCOL_VERSION,
  type ServerFrame,
  type SignalData,
  type SignalFrame,
} from './protocol.js';
import { type Member, RoomRegistry } from './rooms.js';

/** What the hub needs of a connection: a way to send it text, and to retire it. */
export interface Session {
  send(text: string): void;
  /** Another connection resumed this session's peer: close quietly, announce nothing. */
  retire(): void;
}

export type HubMember = Member<Session>;

type HubOptions = Pick<
  ResolvedOptions,
  'maxRooms' | 'maxPeersPerRoom' | 'resumeGraceMs' | 'maxPendingSignals' | 'iceServers'
>;

/**
 * Rooms, presence and signal routing. Connections hand it validated frames; it keeps
 * the registry, announces joins and leaves, holds reconnecting peers for the grace
 * period and routes signals only within a room.
 */
export class Hub {
  readonly registry: RoomRegistry<Session>;
  readonly #grace = new Map<HubMember, NodeJS.Timeout>();
  /** Signals addressed to a peer while it reconnects, delivered when it resumes. */
  readonly #pending = new Map<HubMember, string[]>();
  #closed = false;

  constructor(private readonly options: HubOptions) {
    this.registry = new RoomRegistry(options);
  }

  /**
   * Puts `session` in the frame's room, resuming its peer id when it proves ownership.
   * `grant` is what the verified room token allows, when the server checks tokens.
   */
  join(session: Session, frame: JoinFrame, grant?: Grant): HubMember | FrameRejection {
    if (frame.v !== undefined && frame.v !== PROTOCOL_VERSION) {
      return {
        code: 'UNSUPPORTED_VERSION',
        message: `protocol version ${frame.v} is not supported; this server speaks ${PROTOCOL_VERSION}`,
      };
    }
    if (this.#closed) return { code: 'SHUTTING_DOWN', message: 'the server is shutting down' };
    let identity: PeerIdentity;
    if (frame.resume) {
      if (!verifyPeerIdentity(frame.resume)) {
        return {
          code: 'RESUME_REJECTED',
          message: 'the resume secret does not match that peer id',
        };
      }
      identity = frame.resume;
      const held = this.registry.get(identity.peerId);
      if (held?.room === frame.room && held.identity === grant?.identity) {
        return this.#reattach(session, held, identity, frame);
      }
      if (held) this.leave(held, 'left');
    } else {
      identity = createPeerIdentity();
    }
    const member: HubMember = {
      id: identity.peerId,
      room: frame.room,
      meta: frame.meta ?? {},
      attachment: session,
      ...(grant?.identity === undefined ? {} : { identity: grant.identity }),
      ...(grant ? { perms: grant.perms } : {}),
    };
    const refusal = this.registry.add(member, grant?.maxPeers);
    if (refusal === 'ROOM_FULL') {
      return {
        code: refusal,
        message: `room "${frame.room}" is full (${Math.min(this.options.maxPeersPerRoom, grant?.maxPeers ?? Infinity)} peers)`,
      };
    }
    if (refusal === 'TOO_MANY_ROOMS') {
      return {
        code: refusal,
        message: `the server holds its maximum of ${this.options.maxRooms} rooms`,
      };
    }
    this.#sendWelcome(member, identity.secret, false, frame.ref);
    this.#broadcast(member, { type: 'peer-joined', peer: info(member) });
    return member;
  }

  #reattach(
    session: Session,
    member: HubMember,
    identity: PeerIdentity,
    frame: JoinFrame,
  ): HubMember {
    const previous = member.attachment;
    member.attachment = session;
    this.#clearGrace(member);
    previous?.retire();
    this.#sendWelcome(member, identity.secret, true, frame.ref);
    if (frame.meta && JSON.stringify(frame.meta) !== JSON.stringify(member.meta)) {
      this.updateMeta(member, frame.meta);
    }
    for (const text of this.#pending.get(member) ?? []) session.send(text);
    this.#pending.delete(member);
    return member;
  }

  #sendWelcome(member: HubMember, secret: string, resumed: boolean, ref: string | undefined): void {
    const peers: PeerInfo[] = [];
    for (const other of this.registry.members(member.room)) {
      if (other !== member) peers.push(info(other));
    }
    const welcome: ServerFrame = {
      type: 'welcome',
      v: PROTOCOL_VERSION,
      room: member.room,
      peerId: member.id,
      secret,
      resumed,
      peers,
      iceServers: this.options.iceServers,
      ...(ref === undefined ? {} : { ref }),
    };
    member.attachment?.send(JSON.stringify(welcome));
  }

  /** Removes a member for good and tells the room why. */
  leave(member: HubMember, reason: LeaveReason): void {
    this.#clearGrace(member);
    this.#pending.delete(member);
    member.attachment = null;
    this.registry.remove(member);
    this.#broadcast(member, { type: 'peer-left', peerId: member.id, reason });
  }

  /**
   * The member's connection dropped: keep its place for the grace period, silently,
   * so a resume within it causes no leave/join flap; then announce it left.
   */
  detach(member: HubMember, reason: 'disconnected' | 'timeout'): void {
    member.attachment = null;
    if (this.#closed) return;
    if (this.options.resumeGraceMs === 0) {
      this.leave(member, reason);
      return;
    }
    const timer = setTimeout(() => this.leave(member, reason), this.options.resumeGraceMs);
    timer.unref();
    this.#grace.set(member, timer);
  }

  /** Forwards a signal to a peer of the same room, stamping `from`. */
  signal(member: HubMember, frame: SignalFrame): FrameRejection | undefined {
    if (member.perms?.publish === false && sendsMedia(frame.data)) {
      return {
        code: 'FORBIDDEN',
        message: 'your room token does not allow publishing audio or video',
        ...(frame.ref === undefined ? {} : { ref: frame.ref }),
      };
    }
    const target = this.registry.get(frame.to);
    if (!target || target.room !== member.room || target === member) {
      return {
        code: 'PEER_NOT_FOUND',
        message: `peer ${frame.to} is not in room "${member.room}"`,
        ...(frame.ref === undefined ? {} : { ref: frame.ref }),
      };
    }
    // Built by hand so the SDP is serialized once, with `from` first and never from the client.
    const text = `{"type":"signal","from":"${member.id}","data":${JSON.stringify(frame.data)}}`;
    if (target.attachment) {
      target.attachment.send(text);
      return undefined;
    }
    const pending = this.#pending.get(target) ?? [];
    if (pending.length >= this.options.maxPendingSignals) {
      return {
        code: 'PEER_NOT_FOUND',
        message: `peer ${frame.to} is reconnecting and has ${pending.length} signals waiting already`,
        ...(frame.ref === undefined ? {} : { ref: frame.ref }),
      };
    }
    pending.push(text);
    this.#pending.set(target, pending);
    return undefined;
  }

  /** Replaces a member's metadata and tells the others. */
  updateMeta(member: HubMember, meta: PeerMeta): void {
    member.meta = meta;
    this.#broadcast(member, { type: 'peer-updated', peer: info(member) });
  }

  /** Stops all timers and announcements: the server is going away. */
  close(): void {
    this.#closed = true;
    for (const timer of this.#grace.values()) clearTimeout(timer);
    this.#grace.clear();
    this.#pending.clear();
  }

  #clearGrace(member: HubMember): void {
    const timer = this.#grace.get(member);
    if (timer) clearTimeout(timer);
    this.#grace.delete(member);
  }

  /** Sends a frame to every other attached member of `member`'s room, serialized once. */
  #broadcast(member: HubMember, frame: ServerFrame): void {
    if (this.#closed) return;
    const text = JSON.stringify(frame);
    for (const other of this.registry.members(member.room)) {
      if (other !== member) other.attachment?.send(text);
    }
  }
}

function info(member: HubMember): PeerInfo {
  const peer: PeerInfo = { id: member.id, meta: member.meta };
  if (member.identity !== undefined) peer.identity = member.identity;
  if (member.perms) peer.perms = member.perms;
  return peer;
}

/**
 * True when a session description offers to send audio or video: an m=audio/m=video
 * section with a non-zero port whose direction is not recvonly or inactive (sendrecv is
 * the default).
 */
export function sendsMedia(data: SignalData): boolean {
  if (!('sdp' in data) || data.sdp === undefined) return false;
  const sections = data.sdp.split(/\r?\n(?=m=)/).slice(1);
  return sections.some(
    (section) =>
      /^m=(audio|video) [1-9]/.test(section) && !/\na=(recvonly|inactive)\r?(\n|$)/.test(section),
  );
}
