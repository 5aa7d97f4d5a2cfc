/**
 * fast-check generators for raw edge machines and sites, as a user would write them in
 * `talos-cloud-edge:edgeSites[].machines[]`: every field mixes values the model accepts with
 * values it refuses (wrong shape, wrong type, placeholders, out of range), and sites sometimes
 * repeat a name, MAC, UUID or serial, so the parsers' uniqueness rules are exercised too.
 *
 * Two strengths: `sites()` mixes good and bad fields (for comparing the stack and the
 * service); `validSites()` draws only values the model documents as valid, with every
 * identifier unique (for rendering and starting the service from what the stack accepts).
 * Nothing here knows the verdict: the tests compare the two parsers, or render what one accepts.
 */
import * as fc from "fast-check";
import { normaliseMac } from "../../model/net";
import { ZONE_LABEL } from "../../model/identity";

/** A raw machine entry: the JSON a user writes (may be any JSON value when it is malformed). */
export type RawMachine = Record<string, unknown>;

/** One value of a field: `undefined` means "key absent". */
type Field = fc.Arbitrary<unknown>;

/** Draws from `good` mostly and from `bad` about one time in `1 + goodWeight`. */
function mix(good: Field, bad: Field, goodWeight = 5): Field {
    return fc.oneof({ arbitrary: good, weight: goodWeight }, { arbitrary: bad, weight: 1 });
}

/** Adds "absent" (the key is not written) with the given weight. */
function orAbsent(arb: Field, absentWeight = 1, presentWeight = 1): Field {
    return fc.oneof({ arbitrary: fc.constant(undefined), weight: absentWeight }, { arbitrary: arb, weight: presentWeight });
}

const HEX = "0123456789abcdef".split("");
const hexString = (length: number): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom(...HEX), minLength: length, maxLength: length });
const anyCase = (arb: fc.Arbitrary<string>): fc.Arbitrary<string> => fc.mixedCase(arb);

// ---------------------------------------------------------------------------------------
// name: a DNS label, unique across all sites (and not a cloud node's name, a stack-only rule)

/** Names the fixture stack's cloud nodes use: the stack refuses them for edge machines, the service cannot know them. */
const CLOUD_NODE_NAMES = ["master-1", "worker-1"];

const NAME_POOL = ["edge-a", "edge-b", "talos-edge-1", "n1", "0"];
const goodName = fc.oneof(
    fc.constantFrom(...NAME_POOL),
    fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,14}[a-z0-9])?$/),
    fc.constant("a".repeat(63)),
).filter((n) => !CLOUD_NODE_NAMES.includes(n));
const badName = fc.oneof(
    fc.constantFrom("Edge-1", "-edge", "edge-", "edge_1", "edge.1", "a".repeat(64), "", "   ", "\u00e9dge", "edge 1", "edge-REPLACE"),
    fc.constantFrom(12, true, null, ["edge-a"], { name: "edge-a" }),
);

// ---------------------------------------------------------------------------------------
// mac: colon or hyphen form, any case; not multicast, not all-zero

function formatMac(octets: number[], sep: ":" | "-"): string {
    return octets.map((o) => o.toString(16).padStart(2, "0")).join(sep);
}
const unicastOctets = fc
    .tuple(fc.integer({ min: 0, max: 127 }).map((x) => x * 2), ...Array.from({ length: 5 }, () => fc.integer({ min: 0, max: 255 })))
    .filter((o) => o.some((x) => x !== 0));
const MAC_POOL = ["52:54:00:00:02:01", "52-54-00-00-02-01", "52:54:00:AA:BB:CC", "52-54-00-aa-bb-cc"];
const goodMac = fc.oneof(
    { arbitrary: fc.tuple(unicastOctets, fc.constantFrom(":", "-") as fc.Arbitrary<":" | "-">).chain(([o, sep]) => anyCase(fc.constant(formatMac(o, sep)))), weight: 3 },
    { arbitrary: fc.constantFrom(...MAC_POOL), weight: 1 },
);
const badMac = fc.oneof(
    // Multicast: the low bit of the first octet set.
    fc.tuple(unicastOctets, fc.constantFrom(":", "-") as fc.Arbitrary<":" | "-">).map(([o, sep]) => formatMac([o[0] | 1, ...o.slice(1)], sep)),
    fc.constantFrom(
        "01:00:5e:00:00:01",
        "ff:ff:ff:ff:ff:ff",
        "00:00:00:00:00:00",
        "00-00-00-00-00-00",
        "52:54:00:00:02",
        "52:54:00:00:02:01:03",
        "52:54-00:00:02:01",
        "5254.0000.0201",
        "525400000201",
        "52:54:00:00:02:0g",
        " 52:54:00:00:02:01",
        "",
    ),
    fc.constantFrom(525400000201, null, false),
);

// ---------------------------------------------------------------------------------------
// uuid: 8-4-4-4-12 hex, any case; not a placeholder

const UUID_POOL = ["11111111-2222-3333-4444-555555555555", "11111111-2222-3333-4444-555555555555".toUpperCase(), "03000200-0400-0500-0006-000700080009"];
/** Placeholder SMBIOS UUIDs (the first is one of the regression values). */
const PLACEHOLDER_UUIDS = ["00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff", "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF"];
const goodUuid = fc.oneof(
    { arbitrary: anyCase(fc.tuple(hexString(8), hexString(4), hexString(4), hexString(4), hexString(12)).map((g) => g.join("-"))), weight: 3 },
    { arbitrary: fc.constantFrom(...UUID_POOL), weight: 1 },
);
const badUuid = fc.oneof(
    fc.constantFrom(...PLACEHOLDER_UUIDS),
    fc.constantFrom(
        "11111111222233334444555555555555",
        "{11111111-2222-3333-4444-555555555555}",
        "11111111-2222-3333-4444-55555555555",
        "g1111111-2222-3333-4444-555555555555",
        "not-a-uuid",
        "",
    ),
    fc.constantFrom(42, true, ["11111111-2222-3333-4444-555555555555"]),
);

// ---------------------------------------------------------------------------------------
// serial: 1-64 of letters, digits, space and . _ / + - :, no space at either end; not a vendor placeholder

const SERIAL_POOL = ["SN:1234", "SN-0101", "PF2ABCDE", "ABC 123", "x".repeat(64), "chassis/1+2_3.4"];
/** Vendor placeholder serials (the first is one of the regression values). */
const PLACEHOLDER_SERIALS = ["To Be Filled By O.E.M.", "to be filled by o.e.m", "Default string", "System Serial Number", "Not Specified", "N/A", "None", "0", "123456789"];
const goodSerial = fc.oneof(
    { arbitrary: fc.stringMatching(/^[A-Za-z0-9._/+:-](?:[A-Za-z0-9 ._/+:-]{0,20}[A-Za-z0-9._/+:-])?$/), weight: 3 },
    { arbitrary: fc.constantFrom(...SERIAL_POOL), weight: 2 },
    { arbitrary: fc.constant(12345), weight: 1 },
).filter((s) => !PLACEHOLDER_SERIALS.some((p) => p.toLowerCase() === String(s).trim().toLowerCase()));
const badSerial = fc.oneof(
    fc.constantFrom(...PLACEHOLDER_SERIALS),
    fc.constantFrom("x".repeat(65), " SN1", "SN1 ", "SN$1", "a,b", "a=b", "a#b", "a;b", "${serial}", "\u00e9", "a\tb", "", "   ", "SN\n1"),
    fc.constantFrom(true, { sn: 1 }, [1]),
);
/**
 * Serials inside the serial alphabet that look like the stack's example-file placeholders
 * ("REPLACE", "...", an `example` domain): that rule must not reach machine values, which the
 * service decides without it. Kept separate so the equivalence property draws them on purpose.
 */
const placeholderLookingSerial = fc.constantFrom("REPLACE-ME", "SN...1", "rack1.example.com");

// ---------------------------------------------------------------------------------------
// arch

const goodArch = fc.constantFrom("amd64", "arm64");
const badArch = fc.constantFrom("x86_64", "AMD64", "arm", "", 64, null);

// ---------------------------------------------------------------------------------------
// installDisk and diskSelector

/** The by-path install disk of the regression values: a ':' inside a device path. */
export const BY_PATH_DISK = "/dev/disk/by-path/pci-0000:00:17.0-ata-1";
const goodDisk = fc.oneof(
    fc.constantFrom("/dev/sda", "/dev/vda", "/dev/nvme0n1", BY_PATH_DISK, "/dev/disk/by-id/ata-WDC_WD10EZEX-00BN5A0_WD-WCC3F7ZZ1234", "/dev/disk/by-id/nvme-eui.0025388b91b3c2d1"),
    fc.stringMatching(/^\/dev\/[a-z0-9_:+-][a-z0-9._:+-]{0,20}$/),
);
const badDisk = fc.constantFrom("sda", "/dev/../etc/passwd", "/dev/sda;reboot", "/dev/sd a", "/dev/", "/tmp/disk", `/dev/${"a".repeat(121)}`, "", 0, ["/dev/sda"], null);

const selectorValue: Record<string, fc.Arbitrary<string>> = {
    size: fc.constantFrom(">= 100GB", "<= 2TB", "100GB", "> 1TB"),
    name: fc.constantFrom("/dev/sda", "/dev/nvme0n1"),
    model: fc.constantFrom("WDC*", "Samsung SSD 870*", "QEMU HARDDISK"),
    serial: fc.constantFrom("S5ABC123", "WD-WCC3F7ZZ1234"),
    modalias: fc.constantFrom("scsi:t-0x00", "nvme:v144Dd0000A808"),
    uuid: fc.constantFrom("0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"),
    wwid: fc.constantFrom("naa.5000c500a1b2c3d4", "eui.0025388b91b3c2d1"),
    type: fc.constantFrom("ssd", "hdd", "nvme", "sd"),
    busPath: fc.constantFrom("/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0", "/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0/nvme0n1"),
};
const goodSelector = fc.record(selectorValue, { requiredKeys: [] }).filter((s) => Object.keys(s).length > 0);
const badSelector = fc.oneof(
    // A known shape with one bad key or value.
    fc.tuple(goodSelector, fc.constantFrom<[string, unknown]>(
        ["Size", ">= 1GB"],
        ["vendor", "WDC"],
        ["serial_number", "X"],
        ["type", "SSD"],
        ["type", "usb"],
        ["type", 100],
        ["size", ""],
        ["model", "a$b"],
        ["model", "m".repeat(129)],
        ["size", { min: 1 }],
    )).map(([s, [k, v]]) => ({ ...s, [k]: v })),
    fc.constantFrom({}, [], "nvme", null),
);

// ---------------------------------------------------------------------------------------
// labels and taints

const goodLabelKey = fc.oneof(
    fc.constantFrom("node.kubernetes.io/instance-type", "rack", "team_a", "edge.acme.io/room", "a".repeat(63)),
    fc.stringMatching(/^[a-z0-9]{1,6}(?:\.[a-z0-9]{1,6})?\/[A-Za-z0-9][A-Za-z0-9_.-]{0,8}[A-Za-z0-9]$/),
);
const badLabelKey = fc.constantFrom(ZONE_LABEL, "bad key", "-x", "a/b/c", "x".repeat(64), "Example.com/x", "");
const goodLabelValue = fc.oneof(fc.constantFrom("r1", "", "a.b-c_d", "x".repeat(63), "kvm"), fc.stringMatching(/^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,10}[A-Za-z0-9])?$/), fc.constant(null), fc.constant(7), fc.constant(true));
const badLabelValue = fc.constantFrom("x".repeat(64), "-a", "a b", "a/b", { v: 1 }, ["a"]);
const placeholderLookingLabelValue = fc.constantFrom("rack...2", "REPLACE");

const goodTaintValue = fc.constantFrom("edge:NoSchedule", ":NoExecute", "x:PreferNoSchedule", "gpu.1:NoSchedule");
const badTaintValue = fc.constantFrom("edge", "edge:noschedule", "edge:NoSchedule:x", "", null, "-x:NoSchedule", 3);

function map(key: fc.Arbitrary<string>, value: Field, maxKeys = 3): fc.Arbitrary<Record<string, unknown>> {
    return fc.dictionary(key, value, { maxKeys, noNullPrototype: true });
}

// ---------------------------------------------------------------------------------------
// enrollment and vm

const goodEnrollment = fc.oneof(fc.constantFrom(1, 2, 1_000_000, "3", " 4 "), fc.integer({ min: 1, max: 1_000_000 }));
const badEnrollment = fc.constantFrom(0, -1, 1_000_001, 1.5, "1.5", "two", true, "", [1]);

const goodVm = fc.record(
    {
        vcpu: fc.integer({ min: 1, max: 256 }),
        memoryMiB: fc.constantFrom(1024, 4096, 8192, "2048"),
        diskSizeGb: fc.integer({ min: 10, max: 65536 }),
        firmware: fc.constantFrom("uefi", "bios"),
    },
    { requiredKeys: [] },
);

// ---------------------------------------------------------------------------------------
// machines

/** Field draws of one machine before they become an object (undefined = key absent). */
interface MachineDraw {
    name: unknown;
    mac: unknown;
    uuid: unknown;
    serial: unknown;
    arch: unknown;
    /** Which disk keys are written; "blank" writes one of them with no value (null). */
    disk: "installDisk" | "diskSelector" | "both" | "neither" | "blank";
    installDisk: unknown;
    diskSelector: unknown;
    labels: unknown;
    taints: unknown;
    enrollment: unknown;
    vm: unknown;
    extra: Record<string, unknown>;
    /** A key written with no value (YAML `installDisk:`), which parses as null. */
    blank?: string;
}

function assemble(d: MachineDraw): RawMachine {
    const m: RawMachine = {};
    const put = (k: string, v: unknown): void => {
        if (v !== undefined) m[k] = v;
    };
    put("name", d.name);
    put("mac", d.mac);
    put("uuid", d.uuid);
    put("serial", d.serial);
    put("arch", d.arch);
    if (d.disk === "installDisk" || d.disk === "both") put("installDisk", d.installDisk);
    if (d.disk === "diskSelector" || d.disk === "both") put("diskSelector", d.diskSelector);
    if (d.disk === "blank") m[typeof d.installDisk === "string" ? "installDisk" : "diskSelector"] = null;
    put("labels", d.labels);
    put("taints", d.taints);
    put("enrollment", d.enrollment);
    put("vm", d.vm);
    Object.assign(m, d.extra);
    if (d.blank !== undefined) m[d.blank] = null;
    return m;
}

/**
 * A raw machine whose fields are each good most of the time and bad now and then, plus the odd
 * entry that is not an object at all. No `ip`: the stack form adds a valid one per position.
 *
 * `vm` (stack only) is always valid and never on an arm64 machine: a machine the stack refuses
 * for a stack-only reason drops out of its uniqueness checks, so the two sides' problem lists
 * would differ for that reason alone. The VM rules have their own cases in test/config.test.ts
 * and edgeRender.property.test.ts.
 */
export function machine(): fc.Arbitrary<unknown> {
    const draw = fc.record({
        name: orAbsent(mix(goodName, badName), 1, 20),
        mac: orAbsent(mix(goodMac, badMac), 1, 20),
        uuid: orAbsent(mix(goodUuid, badUuid), 2, 1),
        serial: orAbsent(fc.oneof({ arbitrary: goodSerial, weight: 10 }, { arbitrary: badSerial, weight: 2 }, { arbitrary: placeholderLookingSerial, weight: 1 }), 2, 1),
        arch: orAbsent(mix(goodArch, badArch), 2, 1),
        disk: fc.constantFrom(...(["installDisk", "installDisk", "diskSelector", "both", "neither", "blank"] as const)),
        installDisk: mix(goodDisk, badDisk),
        diskSelector: mix(goodSelector, badSelector),
        labels: orAbsent(
            fc.oneof(
                { arbitrary: map(goodLabelKey, goodLabelValue), weight: 8 },
                { arbitrary: map(fc.oneof(goodLabelKey, badLabelKey), fc.oneof(goodLabelValue, badLabelValue, placeholderLookingLabelValue)), weight: 2 },
                { arbitrary: fc.constantFrom("rack=r1", ["rack"], 1), weight: 1 },
            ),
        ),
        taints: orAbsent(
            fc.oneof(
                { arbitrary: map(goodLabelKey, goodTaintValue), weight: 8 },
                { arbitrary: map(fc.oneof(goodLabelKey, badLabelKey), fc.oneof(goodTaintValue, badTaintValue)), weight: 2 },
            ),
            2,
            1,
        ),
        enrollment: orAbsent(mix(goodEnrollment, badEnrollment), 2, 1),
        vm: orAbsent(goodVm, 2, 1),
        extra: fc.oneof(
            { arbitrary: fc.constant({}), weight: 20 },
            { arbitrary: fc.constantFrom<Record<string, unknown>>({ hostname: "edge-x" }, { installdisk: "/dev/sda" }, { comment: "rack 2" }, { password: "hunter2" }), weight: 1 },
        ),
        blank: fc.oneof(
            { arbitrary: fc.constant(undefined), weight: 6 },
            { arbitrary: fc.constantFrom("name", "mac", "uuid", "serial", "arch", "installDisk", "diskSelector", "labels", "taints", "enrollment"), weight: 1 },
        ),
    }) as fc.Arbitrary<MachineDraw>;
    return fc.oneof(
        { arbitrary: draw.map((d) => assemble({ ...d, vm: d.arch === "arm64" ? undefined : d.vm })), weight: 40 },
        { arbitrary: fc.constantFrom<unknown>("talos-edge-1", null, [], 7), weight: 1 },
    );
}

// ---------------------------------------------------------------------------------------
// Valid sites: only values the model documents as valid, every identifier unique.

/** A machine of valid values only (identifiers may still repeat another machine's). */
const validMachine: fc.Arbitrary<RawMachine> = fc
    .record({
        name: goodName,
        mac: goodMac,
        uuid: orAbsent(goodUuid),
        serial: orAbsent(goodSerial),
        arch: orAbsent(goodArch, 2, 1),
        disk: fc.constantFrom(...(["installDisk", "installDisk", "diskSelector", "neither"] as const)),
        installDisk: goodDisk,
        diskSelector: goodSelector,
        labels: orAbsent(map(goodLabelKey, goodLabelValue)),
        taints: orAbsent(map(goodLabelKey, goodTaintValue), 2, 1),
        enrollment: orAbsent(goodEnrollment),
        vm: orAbsent(goodVm),
        extra: fc.constant({}),
        // An optional key written with no value is absent.
        blank: fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: fc.constantFrom("uuid", "serial", "arch", "labels", "taints", "enrollment"), weight: 1 }),
    })
    .map((d) => {
        // A VM is amd64 (OVMF x86-64) and a bare-metal machine names its disk.
        const vm = d.arch === "arm64" ? undefined : d.vm;
        const disk = d.disk === "neither" && vm === undefined ? "installDisk" : d.disk;
        return assemble({ ...d, vm, disk } as MachineDraw);
    });

const norm = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));
/** True when two machines would collide on a name, MAC, UUID or serial. */
function collide(a: RawMachine, b: RawMachine): boolean {
    const same = (x: string | undefined, y: string | undefined) => x !== undefined && x === y;
    return (
        same(norm(a.name), norm(b.name)) ||
        same(normaliseMac(String(a.mac)), normaliseMac(String(b.mac))) ||
        same(norm(a.uuid)?.toLowerCase(), norm(b.uuid)?.toLowerCase()) ||
        same(norm(a.serial), norm(b.serial))
    );
}

/**
 * Sites whose machines are all valid and pairwise distinct: 1-3 sites, at most `maxMachines`
 * machines in all. With `armVms`, now and then an arm64 machine asks for a VM, which no valid
 * stack may accept.
 */
export function validSites(opts: { maxMachines?: number; armVms?: boolean } = {}): fc.Arbitrary<RawMachine[][]> {
    const armVm = opts.armVms ? fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: fc.nat(20), weight: 1 }) : fc.constant(undefined);
    return fc
        .tuple(
            fc.integer({ min: 1, max: 3 }),
            fc.uniqueArray(fc.tuple(validMachine, fc.nat(2)), { maxLength: opts.maxMachines ?? 8, comparator: (a, b) => collide(a[0], b[0]) }),
            armVm,
        )
        .map(([count, placed, armAt]) => {
            const out: RawMachine[][] = Array.from({ length: count }, () => []);
            placed.forEach(([m, at], k) => out[at % count].push(armAt !== undefined && k === armAt % placed.length ? { ...m, arch: "arm64", vm: m.vm ?? {} } : m));
            return out;
        });
}

type SharedField = "name" | "mac" | "uuid" | "serial";

/** The identifier both machines get when `from` has none of its own. */
const SHARED: Record<SharedField, string> = { name: "shared-1", mac: "52:54:00:0f:0f:0f", uuid: "22222222-3333-4444-5555-666666666666", serial: "Shared SN 1" };

/**
 * Give machines `from` and `to` (flat indexes, taken modulo the count) the same identifier
 * `field`: `from`'s own, or a fixed one when it has none; spelt another way on `to` when `respell`.
 */
interface Share {
    from: number;
    to: number;
    field: SharedField;
    respell: boolean;
}

/** The same identifier written differently: MAC separators and case, UUID case, serial case. */
function respell(field: SharedField, v: unknown): unknown {
    if (typeof v !== "string") return v;
    if (field === "mac") return (v.includes(":") ? v.replace(/:/g, "-") : v.replace(/-/g, ":")).toUpperCase();
    if (field === "uuid" || field === "serial") return v === v.toUpperCase() ? v.toLowerCase() : v.toUpperCase();
    return v;
}

function applyShares(lists: unknown[][], shares: Share[]): unknown[][] {
    const out = lists.map((ms) => ms.map((m) => (isRecord(m) ? { ...m } : m)));
    const flat = out.flat();
    for (const s of shares) {
        const from = flat[s.from % Math.max(flat.length, 1)];
        const to = flat[s.to % Math.max(flat.length, 1)];
        if (!isRecord(from) || !isRecord(to) || from === to) continue;
        from[s.field] ??= SHARED[s.field];
        to[s.field] = s.respell ? respell(s.field, from[s.field]) : from[s.field];
    }
    return out;
}

const isRecord = (v: unknown): v is RawMachine => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Sites for the equivalence property: 1-3 sites of 0-4 machines, mostly clean machines, and
 * now and then an identifier of one machine copied to another (in the same site or another),
 * as written or spelt differently.
 */
export function sites(): fc.Arbitrary<unknown[][]> {
    const anyMachine = fc.oneof({ arbitrary: validMachine, weight: 3 }, { arbitrary: machine(), weight: 2 });
    const share: fc.Arbitrary<Share> = fc.record({ from: fc.nat(11), to: fc.nat(11), field: fc.constantFrom<SharedField>("name", "mac", "uuid", "serial"), respell: fc.boolean() });
    return fc
        .tuple(fc.array(fc.array(anyMachine, { maxLength: 4 }), { minLength: 1, maxLength: 3 }), fc.array(share, { maxLength: 3 }))
        .map(([lists, shares]) => applyShares(lists, shares));
}
