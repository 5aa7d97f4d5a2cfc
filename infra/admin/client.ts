/**
 * The boot service's admin API over HTTPS (or HTTP locally): `Authorization: Bearer <token>`,
 * one GET per call, a time bound, and errors that say what to fix without quoting the token.
 */
import type { EnrolledAnswer, MachineAnswer, PendingAnswer } from "../boot-server/src/admin/views";
import { ADMIN_API_PREFIX } from "../../model/bootContract";

export class AdminApiError extends Error {
    constructor(
        message: string,
        readonly status?: number,
        readonly code?: string,
    ) {
        super(message);
        this.name = "AdminApiError";
    }
}

/** What each refusal means to an operator. */
const EXPLAIN: Record<string, string> = {
    admin_disabled: "the service runs without BOOT_ADMIN_TOKEN, so its admin API is off",
    token_required: "no admin credential was sent",
    forbidden: "the service refused the admin credential (is it the stack's bootAdminToken, not a site token?)",
    rate_limited: "too many requests from this address; wait a minute",
    store_unavailable: "the service's store is unavailable; try again shortly",
    machine_unknown: "the service knows nothing about this MAC (not in the inventory, never seen booting)",
};

export class AdminClient {
    constructor(
        private readonly baseUrl: string,
        private readonly token: string,
        private readonly timeoutMs = 30_000,
    ) {}

    pending(site?: string): Promise<PendingAnswer> {
        return this.get<PendingAnswer>(`/machines/pending${site ? `?site=${encodeURIComponent(site)}` : ""}`);
    }

    enrolled(site?: string): Promise<EnrolledAnswer> {
        return this.get<EnrolledAnswer>(`/machines/enrolled${site ? `?site=${encodeURIComponent(site)}` : ""}`);
    }

    machine(mac: string): Promise<MachineAnswer> {
        return this.get<MachineAnswer>(`/machines/${encodeURIComponent(mac)}`);
    }

    private async get<T>(path: string): Promise<T> {
        const url = `${this.baseUrl.replace(/\/+$/, "")}${ADMIN_API_PREFIX}${path}`;
        let res: Response;
        try {
            res = await fetch(url, {
                headers: { authorization: `Bearer ${this.token}`, accept: "application/json" },
                redirect: "error",
                signal: AbortSignal.timeout(this.timeoutMs),
            });
        } catch (err) {
            const cause = (err as Error & { cause?: Error }).cause;
            throw new AdminApiError(`cannot reach ${url}: ${cause?.message ?? (err as Error).message}`);
        }
        const text = await res.text();
        let body: unknown;
        try {
            body = JSON.parse(text);
        } catch {
            throw new AdminApiError(`${url} answered ${res.status} with something that is not JSON; is this the boot service?`, res.status);
        }
        if (!res.ok) {
            const code = typeof (body as { error?: unknown }).error === "string" ? (body as { error: string }).error : "unknown";
            throw new AdminApiError(`${res.status} ${code}: ${EXPLAIN[code] ?? "the service refused the request"}`, res.status, code);
        }
        return body as T;
    }
}
