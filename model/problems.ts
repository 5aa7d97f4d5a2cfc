/**
 * One way of reporting problems with input, shared by the stack config and the boot service's
 * settings: every problem names the key path, the offending value (never a secret one) and
 * the fix, as `<path>: <value> <problem>; <fix>`. Readers collect every problem instead of
 * stopping at the first, so a user fixes a broken file in one round.
 *
 * Imports nothing of the project, nor Pulumi, nor Fastify (see docs/layout.md).
 */

/** One problem: where, what was there (already redacted when secret), and the message. */
export interface Problem {
    /** Key path in the input's own syntax, e.g. `talos-cloud-edge:edgeSites[0].machines[1].mac`. */
    path: string;
    /** The full line, `<path>: <value> <problem; fix>`. */
    text: string;
}

/** Advice for a key that looks like a secret but sits in plain structured input. */
export type SecretKeyAdvice = (parentPath: string, keyName: string) => string;

/** Collects problems while input is read; see the module comment for the line format. */
export class Problems {
    readonly items: Problem[] = [];
    private readonly redactedRoots = new Set<string>();

    /** Where a secret-looking key found in plain input belongs instead. */
    readonly secretKeyAdvice: SecretKeyAdvice;
    /** Refuses values left unfilled from an example file ("<problem>; <fix>" or undefined); none by default. */
    private readonly placeholderRule: (value: string) => string | undefined;
    /** Depth of `withoutPlaceholders` calls in progress. */
    private placeholdersOff = 0;

    constructor(opts: { secretKeyAdvice?: SecretKeyAdvice; placeholder?: (value: string) => string | undefined } = {}) {
        this.secretKeyAdvice = opts.secretKeyAdvice ?? (() => `secrets are not read from here: remove it; ${LEAK_FIX}`);
        this.placeholderRule = opts.placeholder ?? (() => undefined);
    }

    /** The placeholder problem of `value` ("<problem>; <fix>"), or undefined. */
    placeholder(value: string): string | undefined {
        return this.placeholdersOff > 0 ? undefined : this.placeholderRule(value);
    }

    /**
     * Runs `read` with the placeholder rule off. For input whose value rules all live in one
     * model parser that two readers share, only one of which has a placeholder rule: edge
     * machines (model/edgeMachine.ts), which the stack and the boot service must decide alike.
     */
    withoutPlaceholders<T>(read: () => T): T {
        this.placeholdersOff++;
        try {
            return read();
        } finally {
            this.placeholdersOff--;
        }
    }

    /** The lines, in the order found. */
    get list(): string[] {
        return this.items.map((p) => p.text);
    }

    /** Values under this root key are never shown (it was set as a secret). */
    redact(root: string): void {
        this.redactedRoots.add(root);
    }

    private isRedacted(path: string): boolean {
        const root = path.split(/[.[]/, 1)[0];
        return this.redactedRoots.has(root);
    }

    /** The value as it appears in a message: JSON, cut at 120 characters, or "(secret value)". */
    show(path: string, value: unknown): string {
        if (this.isRedacted(path)) {
            return "(secret value)";
        }
        const text = JSON.stringify(value) ?? String(value);
        return text.length > 120 ? `${text.slice(0, 117)}...` : text;
    }

    add(path: string, text: string): void {
        this.items.push({ path, text: `${path}: ${text}` });
    }

    /** `<path>: <value> <problem; fix>`. */
    invalid(path: string, value: unknown, message: string): void {
        this.add(path, `${this.show(path, value)} ${message}`);
    }

    get count(): number {
        return this.items.length;
    }
}

/** Every problem found in one input; `problems` holds one line per problem. */
export class InputError extends Error {
    readonly problems: string[];

    constructor(title: string, problems: string[]) {
        super(`${title} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` + problems.map((p) => `  - ${p}`).join("\n"));
        this.name = "InputError";
        this.problems = problems;
    }
}

// ---------------------------------------------------------------------------------------
// Suggestions for typos

export function editDistance(a: string, b: string): number {
    const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let diag = prev[0];
        prev[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const above = prev[j];
            prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
            diag = above;
        }
    }
    return prev[b.length];
}

/** The known word closest to `word`, if close enough to be a plausible typo. */
export function closest(word: string, known: readonly string[]): string | undefined {
    const w = word.toLowerCase();
    let best: { k: string; d: number } | undefined;
    for (const k of known) {
        const d = editDistance(w, k.toLowerCase());
        if (!best || d < best.d) {
            best = { k, d };
        }
    }
    if (best && best.d <= Math.max(1, Math.floor(Math.max(w.length, best.k.length) / 3))) {
        return best.k;
    }
    // A truncated or extended name ("subnet" for "subnetCidr").
    if (w.length >= 3) {
        return known.find((k) => k.toLowerCase().startsWith(w) || w.startsWith(k.toLowerCase()));
    }
    return undefined;
}

export function unknownKeyMessage(name: string, known: readonly string[]): string {
    const guess = closest(name, known);
    return guess ? `unknown key; did you mean "${guess}"?` : `unknown key; known keys: ${known.join(", ")}`;
}

// ---------------------------------------------------------------------------------------
// Secret hygiene

/** Key names that say "secret": such keys never belong in plain structured input. */
export const SECRET_NAME_RE = /secret|passw|passphrase|token|api[-_]?key|private[-_]?key|auth[-_]?key|credential/i;

/** Secret material that must never sit in plain input (a Tailscale key, a PEM/OpenSSH private key). */
export function looksLikeSecretValue(s: string): string | undefined {
    if (/^tskey-/i.test(s)) {
        return "a Tailscale key";
    }
    if (/PRIVATE KEY-----/.test(s)) {
        return "a private key";
    }
    return undefined;
}

/** The fix for a secret found in plain input. */
export const LEAK_FIX = "remove it from Pulumi.<stack>.yaml, treat it as leaked (rotate it), and set secrets only with `pulumi config set --secret <key>`";
