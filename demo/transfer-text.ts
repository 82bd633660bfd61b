/** What a file transfer's outcome means to a person, in words (never a code or a peer id). */

/** Who the words are about. */
export interface TransferParties {
  /** This page sent the file (else it received it). */
  sending: boolean;
  /** The other person's name. */
  other: string;
  /** This page cancelled or declined it itself. */
  endedHere: boolean;
}

/** The line shown when a transfer failed with `code` (a PeerlaneError's). */
export function transferFailureText(code: string, parties: TransferParties): string {
  const { sending, other, endedHere } = parties;
  switch (code) {
    case 'TRANSFER_CANCELLED':
      return endedHere ? 'You cancelled' : `${other} cancelled`;
    case 'TRANSFER_REJECTED':
      return endedHere ? 'You declined' : `${other} declined`;
    case 'INTEGRITY_FAILED':
      return sending
        ? `It arrived damaged at ${other}'s and was thrown away`
        : 'It arrived damaged (the checksum did not match) and was thrown away';
    case 'SOURCE_UNREADABLE':
      return sending
        ? 'The file changed or could not be read while sending'
        : `${other}'s file changed or could not be read while sending`;
    case 'SINK_UNWRITABLE':
      return sending
        ? `${other}'s browser could not save it`
        : 'It could not be saved (the disk or the browser refused)';
    case 'PEER_LEFT':
      return `${other} left before it finished`;
    case 'LEFT_ROOM':
      return 'You left the call before it finished';
    case 'TOO_LARGE':
      return 'Too large to keep in this browser';
    default:
      return 'The transfer broke off';
  }
}

/** The error code of a transfer failure (`''` when it has none). */
export function codeOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const { code } = error as { code: unknown };
    if (typeof code === 'string') return code;
  }
  return '';
}
