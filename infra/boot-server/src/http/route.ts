/** One entry of the routing table (routes.ts): a GET path, its request schema and its handler. */
import type { FastifyContextConfig, FastifyReply, FastifyRequest, FastifySchema, RouteGenericInterface } from "fastify";
import type { HandlerContext } from "./context";

export interface Route {
    /** Path with `:name` parameters. Every route answers GET only (hardening.ts answers 405 to other methods). */
    readonly url: string;
    /** Params and querystring schemas, validated before `handle` runs; absent = no validation. */
    readonly schema?: FastifySchema;
    /** Route config; `{ rateLimit: false }` exempts the route from the per-address rate limit. */
    readonly config?: FastifyContextConfig;
    readonly handle: (ctx: HandlerContext, req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;
}

/**
 * A table entry whose handler sees its request typed as `G`. The table itself is untyped; the
 * cast is sound as long as `schema` enforces `G`, which Fastify does before calling `handle`.
 */
export function defineRoute<G extends RouteGenericInterface>(
    route: Omit<Route, "handle"> & { handle: (ctx: HandlerContext, req: FastifyRequest<G>, reply: FastifyReply) => Promise<FastifyReply> },
): Route {
    return route as unknown as Route;
}

/** A regular expression matching the paths `url` routes (each `:name` matches one non-empty segment). */
export function routePattern(url: string): RegExp {
    const segments = url.split("/").map((segment) => (segment.startsWith(":") ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
    return new RegExp(`^${segments.join("/")}$`);
}
