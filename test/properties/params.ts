/**
 * Shared fast-check run parameters. The seed is fixed so every run of the suite checks the same
 * cases; set FC_SEED=<integer> to explore others (fast-check prints the seed and the path of a
 * failing case, so `FC_SEED=<seed>` plus the printed `path` replays it).
 */
import type * as fc from "fast-check";

const DEFAULT_SEED = 20260601;

function seedFromEnv(): number {
    const text = process.env.FC_SEED;
    if (text === undefined || text.trim() === "") return DEFAULT_SEED;
    const seed = Number(text);
    if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED must be an integer (got ${JSON.stringify(text)})`);
    return seed;
}

export const SEED = seedFromEnv();

/** Parameters for one `fc.assert`: the suite's seed and `numRuns` cases. */
export function runs<T>(numRuns: number): fc.Parameters<T> {
    return { seed: SEED, numRuns };
}
