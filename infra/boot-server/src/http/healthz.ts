/** GET /healthz: liveness, `{"status":"ok"}`. Not rate limited, touches nothing. */
import { defineRoute } from "./route";

export const healthzRoute = defineRoute({
    url: "/healthz",
    config: { rateLimit: false },
    handle: async (_ctx, _req, reply) => reply.type("application/json; charset=utf-8").send({ status: "ok" }),
});
