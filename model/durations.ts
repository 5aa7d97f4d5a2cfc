/**
 * Go durations ("10m", "90s", "1h30m"): the form every bound in stack config uses, because the
 * Talos provider and talosctl take them as they are. The day-two scripts need them in
 * milliseconds for their own waits.
 */

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;

/** True when `value` is a Go duration with at least one unit ("0" alone is not accepted). */
export function isGoDuration(value: string): boolean {
    return DURATION.test(value);
}

/** Milliseconds of a Go duration; throws naming `field` and showing the expected form. */
export function goDurationMs(field: string, value: string): number {
    if (typeof value !== "string" || !DURATION.test(value)) {
        throw new Error(`${field}: ${JSON.stringify(value)} is not a duration; write it like "10m", "90s" or "1h30m"`);
    }
    let total = 0;
    for (const [, amount, unit] of value.matchAll(PART)) {
        total += Number(amount) * UNIT_MS[unit];
    }
    return Math.round(total);
}
