/**
 * Turning an RTCRtpSender's encodings off and on: half of how the SDK mutes.
 *
 * `track.enabled = false` sends black frames and silence at the full rate. Taking the
 * track off the sender (`replaceTrack(null)`) stops Chromium, and Firefox's audio, but
 * Firefox still sends about one video frame a second (repeats of the last image). With
 * every encoding `active: false` neither browser sends video — but Firefox ignores it on
 * audio. So a muted sender gets both (see link-media.ts); neither renegotiates.
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
