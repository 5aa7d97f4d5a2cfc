/**
 * The routing table: every path the service answers, one handler file each. All are GET; app.ts
 * registers them in this order after the hooks and the rate limiter. The admin routes
 * (`/v1/admin/...`, bearer BOOT_ADMIN_TOKEN, read-only) list machines for operators.
 */
import { adminEnrolledRoute } from "./admin-enrolled";
import { adminMachineRoute } from "./admin-machine";
import { adminPendingRoute } from "./admin-pending";
import { configRoute } from "./config";
import { healthzRoute } from "./healthz";
import { machineScriptRoute } from "./machine-script";
import type { Route } from "./route";
import { routePattern } from "./route";
import { siteScriptRoute } from "./site-script";

export const ROUTES: readonly Route[] = [
    healthzRoute,
    siteScriptRoute,
    machineScriptRoute,
    configRoute,
    adminPendingRoute,
    adminEnrolledRoute,
    adminMachineRoute,
];

/** The paths of ROUTES, so that other methods on them are answered 405 rather than 404 before routing. */
export const ROUTE_SHAPES: readonly RegExp[] = ROUTES.map((route) => routePattern(route.url));
