/**
 * `talos-cloud-edge:images`: Image Factory extensions and URL, and the optional custom iPXE build.
 */
import * as fs from "fs";
import * as nodePath from "path";
import { Problems } from "../../model/problems";
import { asObject, checkKeys, child, str, strList } from "../../model/readers";
import { extensionName, httpUrl } from "../../model/checks";
import { DEFAULT_SERVED_IPXE, ipxeProblems, readCustomIpxeBuild, RUN_APP_BOOT_URL } from "../../lib/ipxe/check";
import { type ImagesConfig } from "../../components/model";
import { key } from "./common";
import { DEFAULTS } from "./defaults";

export function parseImages(p: Problems, raw: unknown): ImagesConfig | undefined {
    const path = key("images");
    const o = raw === undefined ? {} : asObject(p, path, raw, "write it as a YAML mapping with cloudExtensions, edgeExtensions, factoryUrl");
    if (!o) {
        return undefined;
    }
    checkKeys(p, path, o, ["cloudExtensions", "edgeExtensions", "factoryUrl", "ipxeEfi", "ipxeBios"]);
    const extensions = (name: "cloudExtensions" | "edgeExtensions", fallback: string[]): string[] | undefined => {
        if (o[name] === undefined) {
            return [...fallback];
        }
        const list = strList(p, o, path, name, { check: extensionName, unique: true });
        if (list && !list.includes("siderolabs/tailscale")) {
            p.invalid(child(path, name), list, 'does not include "siderolabs/tailscale"; nodes join the cluster over the tailnet, so add it');
            return undefined;
        }
        return list;
    };
    const cloudExtensions = extensions("cloudExtensions", DEFAULTS.cloudExtensions);
    const edgeExtensions = extensions("edgeExtensions", DEFAULTS.edgeExtensions);
    const factoryUrl = o.factoryUrl === undefined ? DEFAULTS.factoryUrl : str(p, o, path, "factoryUrl", { check: httpUrl(false) });
    const ipxe = parseIpxeBuild(p, path, o);
    // The boot URL is Cloud Run's https:// one: the iPXE every site serves must be able to use it.
    if (ipxe !== null) {
        for (const problem of ipxeProblems(RUN_APP_BOOT_URL, ipxe ? readCustomIpxeBuild(ipxe) : DEFAULT_SERVED_IPXE)) p.add(child(path, "ipxeEfi"), problem);
    }
    if (!cloudExtensions || !edgeExtensions || !factoryUrl || ipxe === null) {
        return undefined;
    }
    return { cloudExtensions, edgeExtensions, factoryUrl: factoryUrl.replace(/\/+$/, ""), ...(ipxe ? { ipxe } : {}) };
}

/** The repository root (this file is stacks/config/images.ts): where Pulumi.yaml and the README's relative paths start. */
const REPOSITORY_ROOT = nodePath.resolve(__dirname, "..", "..");

/**
 * A path from the stack config as the program uses it: an absolute one as it is; a relative one
 * taken from the repository root (as the README writes them, `infra/ipxe/dist/ipxe.efi`) and
 * expressed relative to the directory the program runs in, which is also where the engine reads
 * file assets. Pulumi runs the program in `main` (stacks/), so such a path becomes
 * `../infra/ipxe/dist/ipxe.efi` — the same on every checkout, so nothing in state changes
 * between runners.
 */
export function configPathFromRoot(value: string, programDir: string = process.cwd()): string {
    if (nodePath.isAbsolute(value)) return value;
    return nodePath.relative(programDir, nodePath.resolve(REPOSITORY_ROOT, value)) || ".";
}

/**
 * `images.ipxeEfi` + `images.ipxeBios`: both or neither; files that exist on the runner, absolute
 * or relative to the repository root. null = invalid.
 */
export function parseIpxeBuild(p: Problems, path: string, o: Record<string, unknown>): { efi: string; bios: string } | undefined | null {
    if (o.ipxeEfi === undefined && o.ipxeBios === undefined) {
        return undefined;
    }
    let ok = true;
    const files: Record<string, string> = {};
    for (const name of ["ipxeEfi", "ipxeBios"] as const) {
        const v = o[name];
        if (typeof v !== "string" || v === "") {
            p.add(child(path, name), `is required with ${name === "ipxeEfi" ? "ipxeBios" : "ipxeEfi"}: the path of the custom iPXE build's ${name === "ipxeEfi" ? "bin-x86_64-efi/ipxe.efi" : "bin/undionly.kpxe"} (infra/ipxe/build.sh)`);
            ok = false;
        } else if (!fs.existsSync(configPathFromRoot(v))) {
            p.invalid(child(path, name), v, "does not exist on this machine (a relative path starts at the repository root); build it with infra/ipxe/build.sh --out <dir> and point here");
            ok = false;
        } else {
            files[name] = configPathFromRoot(v);
        }
    }
    return ok ? { efi: files.ipxeEfi, bios: files.ipxeBios } : null;
}
