/**
 * Request shapes: the path parameters and query strings each route accepts, as TypeScript types
 * and as the JSON schemas Fastify validates them against before a handler runs. Anything else
 * (a missing, malformed, duplicated or unknown parameter) is answered 400 invalid_request by
 * `handleError` (errors.ts), naming the parameter when it is one of ours.
 *
 * Validation is strict on purpose (Fastify's ajv runs with `coerceTypes`, `removeAdditional`
 * and `useDefaults` off, see hardening.ts): a repeated parameter arrives as an array and fails
 * `type: "string"`.
 */
import { DNS_LABEL, IPXE_ARCHES, IPXE_PLATFORMS, IpxeArch, SERIAL, SITE_TOKEN_CHARS, TICKET } from "../formats";

/** Query parameters the API documents; a validation error about anything else names no field. */
export const KNOWN_QUERY_FIELDS = ["token", "mac", "uuid", "serial", "arch", "platform", "site"];
/** Path parameters the API documents. */
export const KNOWN_PATH_PARAMS = ["site", "ticket", "mac"];

export interface SiteParams {
    site: string;
}
export interface TokenQuery {
    token?: string;
}
/** iPXE's values, as the site script's machine URL template asks for them (ipxe.ts). */
export interface MachineQuery extends TokenQuery {
    mac: string;
    uuid?: string;
    serial?: string;
    arch: IpxeArch;
    platform: string;
}
export interface TicketParams {
    ticket: string;
}

/** `:site` is a DNS label. */
export const siteParamsSchema = {
    type: "object",
    properties: { site: { type: "string", maxLength: 63, pattern: DNS_LABEL.source } },
    required: ["site"],
} as const;

/** `token` is optional in the schema so that its absence is answered 401 token_required, not 400. */
const tokenProperty = { type: "string", maxLength: 128, pattern: SITE_TOKEN_CHARS } as const;

/** Site script: the token and nothing else. */
export const siteScriptQuerySchema = { type: "object", properties: { token: tokenProperty }, additionalProperties: false };

/** Machine script: the token plus iPXE's `${mac:hexhyp}`, `${uuid}`, `${serial:uristring}`, `${buildarch}`, `${platform}`. */
export const machineQuerySchema = {
    type: "object",
    properties: {
        token: tokenProperty,
        mac: { type: "string", maxLength: 17, pattern: "^[0-9A-Fa-f]{2}([-:])[0-9A-Fa-f]{2}(\\1[0-9A-Fa-f]{2}){4}$" },
        uuid: { type: "string", maxLength: 36, pattern: "^(|[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})$" },
        serial: { type: "string", maxLength: 64, pattern: `^(|${SERIAL.source.slice(1, -1)})$` },
        arch: { type: "string", enum: [...IPXE_ARCHES] },
        platform: { type: "string", enum: [...IPXE_PLATFORMS] },
    },
    required: ["mac", "arch", "platform"],
    additionalProperties: false,
};

/** `:ticket` is 43 base64url characters (256 bits, tickets.ts). */
export const ticketParamsSchema = {
    type: "object",
    properties: { ticket: { type: "string", minLength: 43, maxLength: 43, pattern: TICKET.source } },
    required: ["ticket"],
};

/** No query parameters at all. */
export const emptyQuerySchema = { type: "object", additionalProperties: false };

/** Admin lists: an optional `site` to narrow them to one site. */
export interface AdminListQuery {
    site?: string;
}
export const adminListQuerySchema = {
    type: "object",
    properties: { site: { type: "string", maxLength: 63, pattern: DNS_LABEL.source } },
    additionalProperties: false,
} as const;

/** Admin machine view: `:mac` in colon or hyphen form, any case. */
export interface AdminMacParams {
    mac: string;
}
export const adminMacParamsSchema = {
    type: "object",
    properties: { mac: { type: "string", maxLength: 17, pattern: "^[0-9A-Fa-f]{2}([-:])[0-9A-Fa-f]{2}(\\1[0-9A-Fa-f]{2}){4}$" } },
    required: ["mac"],
} as const;
