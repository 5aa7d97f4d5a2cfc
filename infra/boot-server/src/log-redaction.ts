/**
 * The last guard between a secret and a log line. The service never logs a secret on purpose
 * (logger.ts builds every line from identifiers); this removes the usual secret-bearing fields
 * should one ever be passed anyway: at the top level of what a log call hands pino and one level
 * down, with the value replaced by `[redacted]`.
 *
 * It replaces pino's `redact` option with the same coverage. pino compiles `*.key` paths into a
 * function it runs over every object value of every line, and on the boot routes that was ~20 µs
 * per request, a tenth of a ticket's CPU (docs/benchmarks.md). Here a line whose fields hold no
 * such key (all of them, in practice) costs one look-up per field and is not copied.
 *
 * pino runs the log formatter before its serializers, so values pino serializes are not touched
 * here: `req` and `res` are rebuilt from scratch by their serializers (logger.ts: method, masked
 * path, address; status), and `err` goes through `redactedErrorSerializer`.
 */
import type { Logger } from "pino";
import { stdSerializers } from "pino";

/** Censored one level down, inside any object a log line carries (`{ upstream: { token } }`). */
export const NESTED_SECRET_KEYS: ReadonlySet<string> = new Set(["token", "ticket", "authKey", "key", "authorization", "cookie", "databaseUrl", "connectionString"]);

/** Censored wherever they appear at the top level of a log line: the nested ones, and a request's headers and query. */
export const TOP_LEVEL_SECRET_KEYS: ReadonlySet<string> = new Set([...NESTED_SECRET_KEYS, "headers", "query"]);

/** What a censored value becomes. */
export const CENSOR = "[redacted]";

/** Keys whose values pino serializes after the formatter ran (see the module comment). */
const SERIALIZED_KEYS: ReadonlySet<string> = new Set(["req", "res", "err"]);

type Fields = Record<string, unknown>;

/**
 * `fields` with every own enumerable key in `secret` censored, as a plain copy; `fields` itself
 * when it has none. The copy holds exactly the own enumerable properties, which is what
 * JSON.stringify would have written for it.
 */
function censorOwn(fields: object, secret: ReadonlySet<string>): object {
    let out: Fields | undefined;
    for (const key of Object.keys(fields)) {
        if (secret.has(key) && (fields as Fields)[key] !== undefined) {
            out ??= { ...fields };
            out[key] = CENSOR;
        }
    }
    return out ?? fields;
}

/**
 * pino `formatters.log` and `formatters.bindings`: the log call's fields with the secret keys
 * censored at the top level and one level down (inside any object value that is not an array),
 * as pino's `key` and `*.key` paths did. Never mutates what the caller passed; returns it as it
 * is when nothing needed censoring.
 */
export function redactSecrets(fields: Fields): Fields {
    let out: Fields | undefined;
    for (const key of Object.keys(fields)) {
        const value = fields[key];
        if (value === undefined || SERIALIZED_KEYS.has(key)) continue;
        let next: unknown = value;
        if (TOP_LEVEL_SECRET_KEYS.has(key)) next = CENSOR;
        else if (value !== null && typeof value === "object" && !Array.isArray(value)) next = censorOwn(value, NESTED_SECRET_KEYS);
        if (next !== value) {
            out ??= { ...fields };
            out[key] = next;
        }
    }
    return out ?? fields;
}

/** pino's standard error serializer (Fastify's default for `err`), with the nested secret keys censored in its result. */
export function redactedErrorSerializer(err: Error): SerializedError {
    const serialized = stdSerializers.err(err);
    // A value that is not error-like comes back as it was (null, a string, a plain object).
    if ((serialized as unknown) === null || typeof serialized !== "object") return serialized;
    // Censoring replaces values with a string and adds no key: still a SerializedError.
    return censorOwn(serialized, NESTED_SECRET_KEYS) as SerializedError;
}

type SerializedError = ReturnType<typeof stdSerializers.err>;

/**
 * Makes `child(bindings)` censor `bindings` as `redactSecrets` does, on `logger` and on every
 * logger derived from it (a child is created from its parent's prototype chain, so it finds this
 * `child`). pino runs `formatters.bindings` over the root's bindings only.
 */
export function redactChildBindings(logger: Logger): Logger {
    const child = logger.child;
    logger.child = function (this: Logger, bindings, options) {
        return child.call(this, redactSecrets(bindings), options);
    } as Logger["child"];
    return logger;
}
