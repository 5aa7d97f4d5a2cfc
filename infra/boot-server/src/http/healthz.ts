/**
 * GET /healthz: liveness and startup probe. `200 {"status":"ok"}` when the store can write (a
 * real write, at most one per STORE_HEALTH_TTL_MS, store-health.ts), else
 * `503 {"status":"unavailable","error":"store_unavailable"}`, so Cloud Run neither sends traffic
 * to nor keeps alive an instance that cannot record tickets or enrollments. Not rate limited.
 */
import { sendError } from "./errors";
import { defineRoute } from "./route";
import { emptyQuerySchema } from "./schemas";

export const healthzRoute = defineRoute({
    url: "/healthz",
    schema: { querystring: emptyQuerySchema },
    config: { rateLimit: false },
    handle: async (ctx, req, reply) => {
        const health = await ctx.storeHealth.check();
        if (!health.ok) {
            if (health.fresh) req.log.error({ err: { message: health.error } }, "health check: the store cannot write");
            return sendError(reply.header("retry-after", "5"), 503, "store_unavailable", { status: "unavailable" });
        }
        return reply.type("application/json; charset=utf-8").send({ status: "ok" });
    },
});
