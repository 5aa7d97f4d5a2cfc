/**
 * `npm run machines -- pending|enrolled|show <mac>|reenroll <mac> [--stack <name>] …`: operators
 * see which machines wait to be added and which are enrolled, through the boot service's
 * read-only admin API, and get the exact `pulumi config set --path` lines that enroll a pending
 * machine or re-enroll an inventory one. Progress on stderr, results on stdout; exit 1 on an
 * error, 2 on bad usage.
 */
import * as fs from "node:fs";
import { normaliseMac } from "../../model/net";
import { type Exec, spawnExec } from "../day-two/exec";
import { AdminClient } from "./client";
import { type StackSiteLayout } from "./enroll";
import { enrolledReport, type EnrollOverrides, machineReport, pendingReport, Placer, reenrollFor } from "./report";
import { type AdminTarget, readAdminTarget, readStackSites, STACK_OUTPUTS } from "./stack";

export const HELP = `Usage: npm run machines -- <command> [options]

Commands:
  pending            machines that asked to boot but are not in the inventory, and for each the
                     pulumi config set --path lines that add it (then: pulumi up)
  enrolled           machines that got a config (and whether for their current generation), and
                     inventory machines still awaiting one
  show <mac>         everything known about one MAC; for a pending machine the lines that enroll
                     it, for an inventory machine the line that re-enrolls it
  reenroll <mac>     only the line that lets an enrolled machine fetch a config again (raises its
                     enrollment generation by one; then pulumi up and network-boot it)

Options:
  --stack <name>         Pulumi stack to read the service URL (output ${STACK_OUTPUTS.url}), the admin
                         credential (secret output ${STACK_OUTPUTS.adminToken}) and edgeSites from
                         (default: the selected stack)
  --url <url>            talk to this service instead (e.g. http://127.0.0.1:8080 for a local one);
                         the credential then comes from --token-file or BOOT_ADMIN_TOKEN
  --token-file <path>    file holding the admin credential (BOOT_ADMIN_TOKEN of the service)
  --site <name>          only this site (pending, enrolled)
  --name <name>          name for the machine being enrolled (show; default <site>-<MAC tail>)
  --ip <address>         its static lease (show; default: the first free address of the site's
                         DHCP range in the stack config)
  --install-disk <path>  its install disk, erased by the install (show; default /dev/sda)
  --help                 this text

Environment: PULUMI (default pulumi), BOOT_ADMIN_TOKEN (with --url, when --token-file is not given).
The credential is sent only in an Authorization header, never printed and never put in a URL.
`;

export type Command = "pending" | "enrolled" | "show" | "reenroll";

export interface MachinesArgs {
    command?: Command;
    mac?: string;
    stack?: string;
    url?: string;
    tokenFile?: string;
    site?: string;
    overrides: EnrollOverrides;
    help: boolean;
}

export class UsageError extends Error {}

export function parseMachinesArgs(argv: string[]): MachinesArgs {
    const args: MachinesArgs = { overrides: {}, help: false };
    const positional: string[] = [];
    const valued = new Set(["--stack", "--url", "--token-file", "--site", "--name", "--ip", "--install-disk"]);
    const values: Record<string, string> = {};
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--help" || a === "-h") args.help = true;
        else if (valued.has(a)) {
            const v = argv[++i];
            if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} needs a value`);
            values[a] = v;
        } else if (a.startsWith("-")) throw new UsageError(`unknown option ${a}; see --help`);
        else positional.push(a);
    }
    if (args.help) return args;
    const [command, mac, ...extra] = positional;
    if (command === undefined) throw new UsageError("name a command: pending, enrolled, show <mac> or reenroll <mac>; see --help");
    if (!["pending", "enrolled", "show", "reenroll"].includes(command)) throw new UsageError(`unknown command ${JSON.stringify(command)}; use pending, enrolled, show <mac> or reenroll <mac>`);
    args.command = command as Command;
    if (command === "show" || command === "reenroll") {
        if (mac === undefined) throw new UsageError(`${command} needs a MAC address, e.g. ${command} 52:54:00:12:34:56`);
        const normal = normaliseMac(mac);
        if (normal === undefined) throw new UsageError(`${JSON.stringify(mac)} is not a MAC address; use six hex pairs separated by ":" or "-"`);
        args.mac = normal;
        if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(" ")}`);
    } else if (mac !== undefined) {
        throw new UsageError(`unexpected arguments: ${[mac, ...extra].join(" ")}`);
    }
    args.stack = values["--stack"];
    args.url = values["--url"];
    args.tokenFile = values["--token-file"];
    args.site = values["--site"];
    if (values["--name"] !== undefined) args.overrides.name = values["--name"];
    if (values["--ip"] !== undefined) args.overrides.ip = values["--ip"];
    if (values["--install-disk"] !== undefined) args.overrides.installDisk = values["--install-disk"];
    if (args.url !== undefined && !/^https?:\/\/[^\s/?#]+\/?$/.test(args.url)) throw new UsageError(`--url ${JSON.stringify(args.url)} must be http(s)://host[:port] with no path`);
    if (args.site !== undefined && !/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(args.site)) throw new UsageError(`--site ${JSON.stringify(args.site)} is not a site name (a DNS label)`);
    if (args.overrides.name !== undefined && !/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(args.overrides.name)) {
        throw new UsageError(`--name ${JSON.stringify(args.overrides.name)} is not a machine name; use a DNS label (a-z, 0-9, -)`);
    }
    if (args.overrides.ip !== undefined && !/^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/.test(args.overrides.ip)) {
        throw new UsageError(`--ip ${JSON.stringify(args.overrides.ip)} is not an IPv4 address`);
    }
    if (args.overrides.installDisk !== undefined && !/^\/dev\/[A-Za-z0-9._/:+-]{1,120}$/.test(args.overrides.installDisk)) {
        throw new UsageError(`--install-disk ${JSON.stringify(args.overrides.installDisk)} is not a device path such as /dev/sda or /dev/disk/by-id/...`);
    }
    return args;
}

export interface MachinesIo {
    env: NodeJS.ProcessEnv;
    exec: Exec;
    out: (text: string) => void;
    log: (line: string) => void;
}

/** The service and credential: from --url plus --token-file/BOOT_ADMIN_TOKEN, else from the stack's outputs. */
async function adminTarget(args: MachinesArgs, io: MachinesIo): Promise<AdminTarget> {
    if (args.url === undefined) {
        io.log(`machines: reading outputs ${STACK_OUTPUTS.url} and ${STACK_OUTPUTS.adminToken} of stack ${args.stack ?? "(selected)"}`);
        return readAdminTarget(io.exec, io.env.PULUMI || "pulumi", args.stack);
    }
    let token: string | undefined;
    if (args.tokenFile !== undefined) {
        try {
            token = fs.readFileSync(args.tokenFile, "utf8").trim();
        } catch (err) {
            throw new UsageError(`--token-file: cannot read ${args.tokenFile} (${(err as NodeJS.ErrnoException).code ?? "error"})`);
        }
    } else {
        token = io.env.BOOT_ADMIN_TOKEN?.trim();
    }
    if (!token) throw new UsageError("--url needs the admin credential: --token-file <path> or BOOT_ADMIN_TOKEN");
    return { url: args.url.replace(/\/+$/, ""), token };
}

export async function runMachinesCli(argv: string[], io: MachinesIo): Promise<number> {
    let args: MachinesArgs;
    try {
        args = parseMachinesArgs(argv);
    } catch (e) {
        io.log(`machines: ${(e as Error).message}`);
        return 2;
    }
    if (args.help) {
        io.out(HELP);
        return 0;
    }
    try {
        const target = await adminTarget(args, io);
        // The stack config decides positions and addresses whenever a stack is involved.
        let stackSites: StackSiteLayout[] | undefined;
        if (args.url === undefined || args.stack !== undefined) {
            io.log(`machines: reading edgeSites from the config of stack ${args.stack ?? "(selected)"}`);
            stackSites = await readStackSites(io.exec, io.env.PULUMI || "pulumi", args.stack);
        }
        const client = new AdminClient(target.url, target.token);
        const stack = args.stack;
        switch (args.command) {
            case "pending": {
                io.log(`machines: asking ${target.url} for pending machines${args.site ? ` at site ${args.site}` : ""}`);
                const answer = await client.pending(args.site);
                io.out(pendingReport(answer, new Placer(answer.sites, stackSites), args.overrides, stack));
                return 0;
            }
            case "enrolled": {
                io.log(`machines: asking ${target.url} for enrolled machines${args.site ? ` at site ${args.site}` : ""}`);
                io.out(enrolledReport(await client.enrolled(args.site)));
                return 0;
            }
            case "show": {
                io.log(`machines: asking ${target.url} about ${args.mac}`);
                const answer = await client.machine(args.mac!);
                io.out(machineReport(answer, new Placer(answer.sites, stackSites), args.overrides, stack));
                return 0;
            }
            case "reenroll": {
                io.log(`machines: asking ${target.url} about ${args.mac}`);
                const answer = await client.machine(args.mac!);
                const r = reenrollFor(answer, new Placer(answer.sites, stackSites), stack);
                if ("problem" in r) {
                    io.log(`machines: ${r.problem}`);
                    return 1;
                }
                io.log(`machines: run this line, then pulumi up, then network-boot ${r.machine}: it fetches a config for generation ${r.next}`);
                io.out(r.line);
                return 0;
            }
            default:
                return 2;
        }
    } catch (e) {
        io.log(`machines: ${(e as Error).message}`);
        return e instanceof UsageError ? 2 : 1;
    }
}

if (require.main === module) {
    void runMachinesCli(process.argv.slice(2), {
        env: process.env,
        exec: spawnExec,
        out: (t) => process.stdout.write(`${t}\n`),
        log: (l) => process.stderr.write(`${l}\n`),
    }).then((code) => {
        process.exitCode = code;
    });
}
