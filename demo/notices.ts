import { el, icon } from './dom.js';

/** How a notice looks: `info` (blue), `warning` (amber), `error` (red). */
export type NoticeTone = 'info' | 'warning' | 'error';

export interface NoticeOptions {
  tone?: NoticeTone;
  /** A button beside the text (e.g. "Rejoin"). */
  action?: { label: string; run: () => void };
  /** Shows a close button. @default true */
  dismissible?: boolean;
  /** Shows a spinner (for "reconnecting…"). @default false */
  busy?: boolean;
}

/**
 * The banners at the top of the page: one per key, replaced when shown again under the
 * same key, removed with `hide(key)`. Screen readers hear them (`role=status`, or
 * `alert` for errors).
 */
export class Notices {
  readonly #shown = new Map<string, HTMLElement>();

  constructor(private readonly container: HTMLElement) {}

  show(key: string, text: string, options: NoticeOptions = {}): void {
    const tone = options.tone ?? 'info';
    // The same notice again (a status refreshed every 2 s): leave it, so that screen
    // readers do not hear it again and it does not flicker.
    const shown = this.#shown.get(key);
    if (shown?.dataset.text === text && shown.dataset.tone === tone && !options.action) return;
    const notice = el('div', {
      class: `notice notice-${tone}`,
      attrs: { role: tone === 'error' ? 'alert' : 'status', 'data-notice': key },
    });
    notice.dataset.text = text;
    notice.dataset.tone = tone;
    if (options.busy)
      notice.append(el('span', { class: 'spinner', attrs: { 'aria-hidden': 'true' } }));
    notice.append(el('p', { text }));
    if (options.action) {
      const { label, run } = options.action;
      const button = el('button', {
        class: 'notice-action',
        text: label,
        attrs: { type: 'button' },
      });
      button.addEventListener('click', run);
      notice.append(button);
    }
    if (options.dismissible ?? true) {
      const close = el('button', {
        class: 'notice-close',
        attrs: { type: 'button', 'aria-label': 'Dismiss', title: 'Dismiss' },
      });
      close.append(icon('close'));
      close.addEventListener('click', () => this.hide(key));
      notice.append(close);
    }
    const previous = this.#shown.get(key);
    if (previous) previous.replaceWith(notice);
    else this.container.append(notice);
    this.#shown.set(key, notice);
  }

  hide(key: string): void {
    this.#shown.get(key)?.remove();
    this.#shown.delete(key);
  }
}
