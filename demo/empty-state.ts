/**
 * What you see while alone in the call: the link to send, a Copy button, and a QR code
 * that a phone's camera opens. The QR code is drawn as SVG rectangles from `uqr`'s matrix
 * (no markup from a string).
 */
import { encode } from 'uqr';

const SVG = 'http://www.w3.org/2000/svg';

/** An `<svg>` QR code of `text`, one unit per module, dark on light (as scanners expect). */
export function qrCode(text: string): SVGSVGElement {
  const { data, size } = encode(text, { ecc: 'M', border: 2 });
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
  svg.setAttribute('class', 'qr');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'QR code of the link to this call');
  svg.setAttribute('shape-rendering', 'crispEdges');
  const background = document.createElementNS(SVG, 'rect');
  background.setAttribute('width', String(size));
  background.setAttribute('height', String(size));
  background.setAttribute('fill', '#fff');
  svg.append(background);
  // One path of unit squares: small, and crisp at any size.
  let d = '';
  data.forEach((row, y) => {
    row.forEach((dark, x) => {
      if (dark) d += `M${x} ${y}h1v1h-1z`;
    });
  });
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', d);
  path.setAttribute('fill', '#000');
  svg.append(path);
  return svg;
}

/** Fills the empty-state panel (`#empty` in index.html) for `link`. */
export function fillEmptyState(panel: HTMLElement, link: string): void {
  const input = panel.querySelector('input');
  if (input) input.value = link;
  panel.querySelector('.qr')?.replaceWith(qrCode(link));
}
