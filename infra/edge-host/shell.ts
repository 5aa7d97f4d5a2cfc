/**
 * Shell helpers for the scripts `EdgeSite` and `EdgeVm` run on the host over SSH: quoting,
 * the remote command wrapper, and the content hash that turns a file change into a command change.
 */
import { createHash } from "node:crypto";
import { fail } from "./checks";

/** Single-quotes a value for bash. Validation already keeps quotes out; this is the second guard. */
export function shq(value: string | number): string {
    return `'${String(value).replace(/'/g, `'\\''`)}'`;
}

/**
 * Wraps a script for remote.Command: runs it with bash as root (through `sudo -n` unless the
 * SSH user is root). The script travels in a quoted here-document, so nothing in it expands
 * on the way, and reaches bash as its `-c` argument rather than on stdin, so a command in it
 * that reads stdin cannot swallow the rest of the script. A leading comment line can carry a
 * content hash so a content change is a change of the command string (an in-place update
 * that re-runs it).
 */
export function remoteBashCommand(script: string, opts: { sshUser: string; comment?: string }): string {
    const delimiter = "TALOS_EDGE_SCRIPT_EOF";
    if (script.split("\n").includes(delimiter)) {
        fail("remote script", `contains the line ${delimiter}`, "this would end the here-document early");
    }
    if (opts.comment !== undefined && /[\r\n]/.test(opts.comment)) {
        fail("remote command comment", "contains a line break", "keep it on one line");
    }
    const sudo = opts.sshUser === "root" ? "" : "sudo -n ";
    const head = opts.comment === undefined ? "" : `# ${opts.comment}\n`;
    return `${head}${sudo}bash -c "$(cat <<'${delimiter}'\n${script.endsWith("\n") ? script : `${script}\n`}${delimiter}\n)"\n`;
}

/** SHA-256 (hex) over named parts, order-independent of how the caller built the record. */
export function contentHash(parts: Record<string, string | Buffer>): string {
    const h = createHash("sha256");
    for (const key of Object.keys(parts).sort()) {
        const value = parts[key];
        h.update(key).update("\0").update(typeof value === "string" ? Buffer.from(value, "utf8") : value).update("\0");
    }
    return h.digest("hex");
}
