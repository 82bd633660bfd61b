/**
 * Turning an RTCRtpSender's encodings off and on: how the SDK mutes.
 *
 * Neither alternative sends nothing: `track.enabled = false` sends black frames and silence
 * at the full rate, and `replaceTrack(null)` still lets Firefox send about one frame a
 * second (repeats of the last image). With every encoding `active: false` no browser
 * sends any RTP for the sender, and the track stays on it, so unmuting is one more
 * `setParameters` — no renegotiation either way.
 */
export class SenderActivity {
  /** The last change queued per sender: `setParameters` must follow its own `getParameters`. */
  readonly #queues = new WeakMap<RTCRtpSender, Promise<unknown>>();

  /**
   * Makes every encoding of `sender` `active` (true: send; false: send nothing). Changes to
   * one sender run one after another, each reading fresh parameters, so the last call wins.
   * Resolves with false when the sender has no encodings yet (some browsers, before the
   * transceiver was negotiated): call again after negotiation. Rejects when the browser
   * refuses (e.g. the connection is closed).
   */
  set(sender: RTCRtpSender, active: boolean): Promise<boolean> {
    const previous = this.#queues.get(sender) ?? Promise.resolve();
    const next = previous.then(
      () => apply(sender, active),
      () => apply(sender, active),
    );
    this.#queues.set(sender, next);
    return next;
  }
}

async function apply(sender: RTCRtpSender, active: boolean): Promise<boolean> {
  const parameters = sender.getParameters();
  if (parameters.encodings.length === 0) return false;
  // An encoding without `active` is active (the default).
  if (parameters.encodings.every((encoding) => (encoding.active ?? true) === active)) return true;
  for (const encoding of parameters.encodings) encoding.active = active;
  await sender.setParameters(parameters);
  return true;
}
