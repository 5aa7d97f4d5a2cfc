/**
 * Generic readers over parsed JSON/YAML input. Each records its own problems in a `Problems`
 * and returns undefined when the value is invalid, so a parser can read every field and
 * report everything wrong at once.
 */
import { closest, LEAK_FIX, looksLikeSecretValue, Problems, SECRET_NAME_RE, unknownKeyMessage } from "./problems";

export type Obj = Record<string, unknown>;
export type Check = (s: string) => string | undefined;

/** Stands for a structured key whose JSON did not parse (already reported). */
export const INVALID_JSON = Symbol("invalid JSON");

export const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
// Pulumi's --path syntax: `a.b` for plain names, `a["topology.kubernetes.io/zone"]` otherwise.
export const child = (path: string, name: string): string => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `${path}.${name}` : `${path}[${JSON.stringify(name)}]`);
export const item = (path: string, i: number): string => `${path}[${i}]`;

export function asObject(p: Problems, path: string, v: unknown, fix: string): Obj | undefined {
    if (v === INVALID_JSON) {
        return undefined;
    }
    if (!isObj(v)) {
        p.invalid(path, v, `is not an object; ${fix}`);
        return undefined;
    }
    return v;
}

/** Reports keys of `obj` not in `known`; secret-looking ones get their own advice and no value. */
export function checkKeys(p: Problems, path: string, obj: Obj, known: readonly string[], hints: Record<string, string> = {}): void {
    for (const name of Object.keys(obj)) {
        if (known.includes(name)) {
            continue;
        }
        const at = child(path, name);
        if (hints[name]) {
            p.add(at, hints[name]);
        } else if (SECRET_NAME_RE.test(name)) {
            p.add(at, `(value hidden) looks like a secret; ${p.secretKeyAdvice(path, name)}`);
        } else {
            p.add(at, unknownKeyMessage(name, known));
        }
    }
}

export interface StrOpts {
    /** Fix text when the key is missing; absent = optional. */
    required?: string;
    check?: Check;
}

export function strValue(p: Problems, path: string, v: unknown, opts: StrOpts): string | undefined {
    if (v === undefined || v === null) {
        if (opts.required) {
            p.add(path, `missing; ${opts.required}`);
        }
        return undefined;
    }
    // `pulumi config set --path` stores integer-looking values as numbers.
    if (typeof v === "number" && Number.isFinite(v)) {
        v = String(v);
    }
    if (typeof v !== "string") {
        p.invalid(path, v, "is not a string; write a plain string value");
        return undefined;
    }
    const leak = looksLikeSecretValue(v);
    if (leak) {
        p.add(path, `(value hidden) looks like ${leak} in plain config; ${LEAK_FIX}`);
        return undefined;
    }
    if (v.trim() === "") {
        p.invalid(path, v, `is empty; ${opts.required ?? "set a value or remove the key to use the default"}`);
        return undefined;
    }
    const unfilled = p.placeholder(v);
    if (unfilled) {
        p.invalid(path, v, unfilled);
        return undefined;
    }
    const problem = opts.check?.(v);
    if (problem) {
        p.invalid(path, v, problem);
        return undefined;
    }
    return v;
}

export function str(p: Problems, obj: Obj, path: string, name: string, opts: StrOpts = {}): string | undefined {
    return strValue(p, child(path, name), obj[name], opts);
}

export interface NumOpts {
    min: number;
    max: number;
    /** Unit for messages ("seconds", "GB"). */
    unit?: string;
    required?: string;
    /** Why the bounds exist, appended to the range message. */
    why?: string;
}

export function num(p: Problems, obj: Obj, path: string, name: string, fallback: number | undefined, opts: NumOpts): number | undefined {
    const at = child(path, name);
    const raw = obj[name];
    if (raw === undefined || raw === null) {
        if (opts.required) {
            p.add(at, `missing; ${opts.required}`);
        }
        return fallback;
    }
    const n = typeof raw === "number" ? raw : typeof raw === "string" && /^-?[0-9]+$/.test(raw.trim()) ? Number(raw) : NaN;
    const unit = opts.unit ? ` ${opts.unit}` : "";
    if (!Number.isInteger(n)) {
        p.invalid(at, raw, `is not an integer; use a whole number between ${opts.min} and ${opts.max}${unit}`);
        return undefined;
    }
    if (n < opts.min || n > opts.max) {
        const side = n < opts.min ? `below ${opts.min}` : `above ${opts.max}`;
        p.invalid(at, raw, `is ${side}; use a whole number between ${opts.min} and ${opts.max}${unit}${opts.why ? ` (${opts.why})` : ""}`);
        return undefined;
    }
    return n;
}

export function bool(p: Problems, obj: Obj, path: string, name: string, fallback: boolean): boolean | undefined {
    const raw = obj[name];
    if (raw === undefined || raw === null) {
        return fallback;
    }
    if (raw === true || raw === "true") {
        return true;
    }
    if (raw === false || raw === "false") {
        return false;
    }
    p.invalid(child(path, name), raw, "is not a boolean; use true or false");
    return undefined;
}

export interface ListOpts {
    required?: string;
    /** Problem text when the list is empty; absent = empty allowed. */
    nonEmpty?: string;
    check?: Check;
    /** Reject repeated entries. */
    unique?: boolean;
}

/** A list of strings; undefined when the key is absent or any entry is invalid. */
export function strList(p: Problems, obj: Obj, path: string, name: string, opts: ListOpts = {}): string[] | undefined {
    const at = child(path, name);
    const raw = obj[name];
    if (raw === undefined || raw === null) {
        if (opts.required) {
            p.add(at, `missing; ${opts.required}`);
        }
        return undefined;
    }
    if (!Array.isArray(raw)) {
        p.invalid(at, raw, "is not a list; write a YAML list of strings");
        return undefined;
    }
    if (raw.length === 0 && opts.nonEmpty) {
        p.add(at, `is empty; ${opts.nonEmpty}`);
        return undefined;
    }
    const out: string[] = [];
    let ok = true;
    raw.forEach((v, i) => {
        const s = strValue(p, item(at, i), v, { required: "remove the empty entry", check: opts.check });
        if (s === undefined) {
            ok = false;
        } else if (opts.unique && out.includes(s)) {
            p.invalid(item(at, i), s, "is listed twice; remove the duplicate");
            ok = false;
        } else {
            out.push(s);
        }
    });
    return ok ? out : undefined;
}

/** A string-to-string map (labels, taints, disk selector). */
export function strMap(p: Problems, obj: Obj, path: string, name: string, checkKey: Check, checkValue: Check): Record<string, string> | undefined {
    const at = child(path, name);
    const raw = obj[name];
    if (raw === undefined || raw === null) {
        return {};
    }
    const m = asObject(p, at, raw, "write a YAML mapping of string keys to string values");
    if (!m) {
        return undefined;
    }
    const out: Record<string, string> = {};
    let ok = true;
    for (const [k, v] of Object.entries(m)) {
        const keyProblem = checkKey(k);
        if (keyProblem) {
            p.add(child(at, k), `key ${JSON.stringify(k)} ${keyProblem}`);
            ok = false;
            continue;
        }
        const text = v === null || v === undefined ? "" : typeof v === "boolean" ? String(v) : v;
        if (text === "") {
            // Empty values are legal for labels; checkValue decides elsewhere.
            const problem = checkValue("");
            if (problem) {
                p.invalid(child(at, k), "", problem);
                ok = false;
            } else {
                out[k] = "";
            }
            continue;
        }
        const s = strValue(p, child(at, k), text, { check: checkValue });
        if (s === undefined) {
            ok = false;
        } else {
            out[k] = s;
        }
    }
    return ok ? out : undefined;
}

export function oneOf<T extends string>(allowed: readonly T[]): Check {
    return (s) => {
        if ((allowed as readonly string[]).includes(s)) {
            return undefined;
        }
        const guess = closest(s, allowed);
        return `is not one of ${allowed.map((a) => `"${a}"`).join(", ")}; ${guess ? `did you mean "${guess}"?` : "use one of them"}`;
    };
}

