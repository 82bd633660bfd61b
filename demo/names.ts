/**
 * Telling people apart: two "Ada"s in one call become "Ada" and "Ada (2)". Everyone's page
 * computes the same labels, since the order is the peer ids' (not who joined first as one
 * page saw it).
 */
import { withoutHidden } from './dom.js';

/**
 * The name a peer's metadata gives (other apps in the room may send anything), without
 * what would disguise it or the sentences it is in (see {@link withoutHidden}).
 */
export function nameOf(meta: Record<string, unknown>): string {
  const given = typeof meta.name === 'string' ? meta.name.replace(/\s+/g, ' ') : '';
  const name = withoutHidden(given).replace(/\s+/g, ' ').trim();
  return (name || 'Guest').slice(0, 40);
}

/**
 * A label per person: their name, with " (2)", " (3)"… added for the second, third… with
 * the same name (case-insensitive), ordered by peer id.
 */
export function uniqueNames(
  people: ReadonlyArray<{ id: string; name: string }>,
): Map<string, string> {
  const byName = new Map<string, Array<{ id: string; name: string }>>();
  for (const person of people) {
    const key = person.name.toLocaleLowerCase();
    const group = byName.get(key) ?? [];
    group.push(person);
    byName.set(key, group);
  }
  const labels = new Map<string, string>();
  for (const group of byName.values()) {
    group.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    group.forEach((person, index) => {
      labels.set(person.id, index === 0 ? person.name : `${person.name} (${index + 1})`);
    });
  }
  return labels;
}
