/** Getting the camera and microphone, with a plain-words reason when that fails. */

/** Why the call goes on without (some) media. */
export type MediaProblem = 'denied' | 'missing' | 'busy' | 'insecure' | 'failed';

export interface LocalCapture {
  /** What could be captured (maybe audio only, maybe nothing). */
  stream: MediaStream | undefined;
  /** Set when the camera or the microphone could not be had. */
  problem: MediaProblem | undefined;
}

const VIDEO: MediaTrackConstraints = { width: { ideal: 1280 }, height: { ideal: 720 } };

/**
 * Asks for camera and microphone; when one of them is missing, settles for the other.
 * Never rejects: a denied camera still lets the user join and chat.
 */
export async function captureCameraAndMic(): Promise<LocalCapture> {
  const devices = navigator.mediaDevices;
  if (!devices?.getUserMedia) return { stream: undefined, problem: 'insecure' };
  try {
    return {
      stream: await devices.getUserMedia({ audio: true, video: VIDEO }),
      problem: undefined,
    };
  } catch (error) {
    const problem = problemOf(error);
    if (problem !== 'missing' && problem !== 'busy') return { stream: undefined, problem };
  }
  // One of the two is missing or busy: take whichever works.
  for (const constraints of [{ audio: true }, { video: VIDEO }]) {
    try {
      return { stream: await devices.getUserMedia(constraints), problem: 'missing' };
    } catch {
      // try the other one
    }
  }
  return { stream: undefined, problem: 'missing' };
}

/** What a getUserMedia failure means for the user. */
export function problemOf(error: unknown): MediaProblem {
  const name = error instanceof Error ? error.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'denied';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'missing';
  if (name === 'NotReadableError' || name === 'AbortError') return 'busy';
  return 'failed';
}

/** The notice to show for a problem. */
export function problemText(problem: MediaProblem): string {
  switch (problem) {
    case 'denied':
      return 'Camera and microphone are blocked. You can still join and chat — to be seen and heard, allow them in the address bar and reload.';
    case 'missing':
      return 'No camera or no microphone was found. The others will get what this device has.';
    case 'busy':
      return 'The camera or microphone is in use by another app. Close it and reload to use it here.';
    case 'insecure':
      return 'This page is not served over HTTPS (or localhost), so the browser offers no camera or microphone.';
    case 'failed':
      return 'The camera or microphone could not be started. You can still join and chat.';
  }
}

/** The video inputs, for the switch-camera button (labels are known once access was granted). */
export async function cameras(): Promise<MediaDeviceInfo[]> {
  const all = (await navigator.mediaDevices?.enumerateDevices?.()) ?? [];
  return all.filter((device) => device.kind === 'videoinput' && device.deviceId !== '');
}
