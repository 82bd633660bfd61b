/** What a page reports about bytes it sent or received (shared by the page APIs). */

/** Bytes a page received (or sent), summarized so 10 MiB need not cross the page boundary. */
export interface BytesSummary {
  from: string;
  byteLength: number;
  sha256: string;
}
