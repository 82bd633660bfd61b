/** Types of `build-if-stale.mjs` (plain JavaScript so that `npm start` needs no TypeScript). */
export declare const SOURCES: readonly string[];
export declare const OUTPUTS: readonly string[];
export declare function staleReason(root?: string): string | undefined;
