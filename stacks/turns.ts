/**
 * Declaring a large edge in slices.
 *
 * Every resource the program declares holds the SDK's pending registration until the engine
 * answers it: an Output per property, each with its promises and closures (about 140 KB per
 * resource in a heap snapshot of a 200-machine stack). Declared in one synchronous pass, a
 * 1,000-machine stack held all 7,000 registrations at once (1.5 GB peak, half the build time in
 * the garbage collector; docs/benchmarks.md, "Graph build benchmark").
 *
 * After each site's VMs (an EdgeSite declares them in its constructor) and after every few
 * machines' day-two steps, the program gives the event loop a turn: the engine's answers that
 * have arrived (at preview, and for unchanged resources on update, within milliseconds) settle
 * before more is declared, so what is pending at once is about one site's VMs or a few machines'
 * steps. Nothing waits for an answer: a turn is a macrotask, so a slow engine only means more
 * registrations stay pending, as they did before. The graph is the same; only the order of the
 * requests changes.
 */

/**
 * Machines whose day-two steps are declared between two turns. Measured at 1,000 machines
 * (docs/benchmarks.md): one turn per 100-machine site peaked at 454–520 MB, one per 10 machines
 * at 415–441 MB and was faster; 1 and 5 were no better than 10.
 */
export const MACHINES_PER_TURN = 10;

/** Resolves after the event loop has run everything already queued (I/O callbacks, settled promises). */
export function nextTurn(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
}
