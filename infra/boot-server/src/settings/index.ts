/**
 * The boot service's configuration: types (types.ts), the BOOT_SETTINGS parser (parse.ts) and
 * the environment loader (env.ts).
 */
export * from "./types";
export { parseBootSettings } from "./parse";
export { loadBootEnvironment, parseSiteTokens, parseStaticKeys } from "./env";
export { parseAdminToken } from "./admin";
export { refuseRetiredIdentities, withDerivedIdentities } from "./identities";
export { MAX_ENROLLMENT } from "../../../../model/identity";
