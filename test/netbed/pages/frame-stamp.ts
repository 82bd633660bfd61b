/**
 * A capture time drawn into a video frame and read back from the rendered frame, for
 * glass-to-glass latency between two pages that share the machine's clock. The low 24 bits
 * of `Date.now()` (ms, wrapping every 4.6 h) are drawn as black and white cells in a band
 * across the top of the frame: 12 cells a row, two rows of bits and, below them, the same
 * two rows inverted, so a cell that lossy coding blurred to grey is caught rather than
 * misread. Runs in the browser.
 */

/** Bits of the stamp, and the wrap of the time it carries. */
const BITS = 24;
const WRAP = 2 ** BITS;
const PER_ROW = 12;
/** Rows of the band: the bits (2), then the same inverted (2). */
const ROWS = 4;
/** The band's height as a share of the frame's. */
export const STAMP_BAND = 0.3;

/** Draws `ms` (ms since the epoch) across the top of a `width` × `height` canvas. */
export function drawStamp(
  context: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D,
  ms: number,
  width: number,
  height: number,
): void {
  const value = Math.floor(ms) % WRAP;
  const cellWidth = width / PER_ROW;
  const cellHeight = (height * STAMP_BAND) / ROWS;
  for (let row = 0; row < ROWS; row++) {
    for (let column = 0; column < PER_ROW; column++) {
      const bit = (value >>> ((row % 2) * PER_ROW + column)) & 1;
      const white = row < 2 ? bit === 1 : bit === 0;
      context.fillStyle = white ? '#fff' : '#000';
      context.fillRect(column * cellWidth, row * cellHeight, cellWidth + 1, cellHeight + 1);
    }
  }
}

/**
 * The luminance (0–255) of the middle of one cell of `image` (RGBA, `width` wide): the
 * whole frame, or with `band` only the band across its top.
 */
function cellLuma(image: ImageData, row: number, column: number, band: boolean): number {
  const cellWidth = image.width / PER_ROW;
  const cellHeight = (image.height * (band ? 1 : STAMP_BAND)) / ROWS;
  const cx = Math.floor((column + 0.5) * cellWidth);
  const cy = Math.floor((row + 0.5) * cellHeight);
  const r = Math.max(1, Math.floor(Math.min(cellWidth, cellHeight) / 5));
  let sum = 0;
  let count = 0;
  for (let y = cy - r; y <= cy + r; y++) {
    for (let x = cx - r; x <= cx + r; x++) {
      const i = (y * image.width + x) * 4;
      sum += 0.299 * (image.data[i] ?? 0) + 0.587 * (image.data[i + 1] ?? 0);
      sum += 0.114 * (image.data[i + 2] ?? 0);
      count++;
    }
  }
  return sum / count;
}

/**
 * The stamp in `image` (the whole frame, scaled to any size; with `band`, only its top
 * {@link STAMP_BAND}, which is cheaper to read back), or undefined when a cell and its
 * inverted twin do not clearly disagree (a frame too blurred to read, or no stamp).
 */
export function readStamp(image: ImageData, band = false): number | undefined {
  let value = 0;
  for (let row = 0; row < 2; row++) {
    for (let column = 0; column < PER_ROW; column++) {
      const plain = cellLuma(image, row, column, band);
      const inverted = cellLuma(image, row + 2, column, band);
      if (Math.abs(plain - inverted) < 96) return undefined;
      if (plain > inverted) value |= 1 << (row * PER_ROW + column);
    }
  }
  return value >>> 0;
}

/** ms from the stamp `stamp` to `nowMs` (ms since the epoch), across the stamp's wrap. */
export function sinceStamp(stamp: number, nowMs: number): number {
  return (((Math.floor(nowMs) % WRAP) - stamp + WRAP) % WRAP) + (nowMs % 1);
}
