/**
 * The part of autocannon 9's programmatic API the benchmark uses (the package ships no types;
 * shapes from its README, "API" and "Results").
 */
declare module "autocannon" {
    import type { EventEmitter } from "node:events";

    interface AutocannonRequestParams {
        method?: string;
        path?: string;
        headers?: Record<string, string>;
        body?: string;
    }

    interface AutocannonRequest extends AutocannonRequestParams {
        /** Returns the request to send; a falsy value restarts the sequence. */
        setupRequest?: (req: AutocannonRequestParams, context: Record<string, unknown>) => AutocannonRequestParams | undefined;
        onResponse?: (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string>) => void;
    }

    interface AutocannonOptions {
        url: string;
        connections?: number;
        /** Seconds. */
        duration?: number;
        /** Total requests; overrides duration. */
        amount?: number;
        /** Per-request timeout, seconds. */
        timeout?: number;
        pipelining?: number;
        title?: string;
        requests?: AutocannonRequest[];
        headers?: Record<string, string>;
        excludeErrorStats?: boolean;
    }

    interface Histogram {
        average: number;
        mean: number;
        stddev: number;
        min: number;
        max: number;
        total: number;
        p2_5: number;
        p50: number;
        p75: number;
        p90: number;
        p97_5: number;
        p99: number;
        p99_9: number;
    }

    interface AutocannonResult {
        title?: string;
        url: string;
        requests: Histogram & { sent: number };
        latency: Histogram;
        throughput: Histogram;
        /** Seconds. */
        duration: number;
        errors: number;
        timeouts: number;
        mismatches: number;
        non2xx: number;
        resets: number;
        start: Date;
        finish: Date;
        connections: number;
        statusCodeStats: Record<string, { count: number }>;
    }

    interface AutocannonInstance extends EventEmitter, PromiseLike<AutocannonResult> {
        stop(): void;
    }

    function autocannon(opts: AutocannonOptions, cb?: (err: Error | null, result: AutocannonResult) => void): AutocannonInstance;
    namespace autocannon {
        export { AutocannonOptions, AutocannonResult, AutocannonInstance, AutocannonRequest, Histogram };
    }
    export = autocannon;
}
