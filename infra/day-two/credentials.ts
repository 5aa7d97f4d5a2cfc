/**
 * Credentials on the runner's disk only while a step runs: a private temporary directory
 * (0700) holding 0600 files, removed afterwards whatever happens. talosctl and kubectl read
 * them by path; the secrets never appear on a command line or in a message.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";

export interface CredentialDir {
    /** Directory (0700). */
    dir: string;
    /** Writes `content` to `<dir>/<name>` with mode 0600 and returns the path. */
    write(name: string, content: string): string;
}

/** Runs `fn` with a fresh private directory and removes the directory afterwards. */
export async function withCredentialDir<T>(fn: (creds: CredentialDir) => Promise<T>): Promise<T> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "day-two-"));
    fs.chmodSync(dir, 0o700);
    const creds: CredentialDir = {
        dir,
        write(name, content) {
            if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`credential file name ${JSON.stringify(name)} is not a plain file name`);
            const file = path.join(dir, name);
            fs.writeFileSync(file, content, { mode: 0o600 });
            fs.chmodSync(file, 0o600);
            return file;
        },
    };
    try {
        return await fn(creds);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** `https://<address>:6443`, bracketing IPv6. */
export function apiServerUrl(address: string): string {
    return `https://${address.includes(":") ? `[${address}]` : address}:6443`;
}

/**
 * The kubeconfig with every cluster entry pointed at `server`: used to talk to another control
 * plane while one is being removed. Throws without quoting the kubeconfig (it holds a key).
 */
export function kubeconfigServer(kubeconfig: string, server: string): string {
    const doc = parse(kubeconfig) as { clusters?: { cluster?: { server?: string } }[] } | null;
    if (!doc || !Array.isArray(doc.clusters) || doc.clusters.length === 0) {
        throw new Error("the kubeconfig has no clusters entry");
    }
    for (const entry of doc.clusters) {
        if (entry.cluster) entry.cluster.server = server;
    }
    return stringify(doc);
}
