import type { SignalData } from './protocol.js';

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
