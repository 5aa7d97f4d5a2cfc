/**
 * One machine, one verdict: for generated edge machines and sites, the stack config
 * (`parseStackConfig`, form "stack") and the boot service (`parseBootSettings`, form "service")
 * accept exactly the same machines, report the same problems at the same keys, and read the
 * same values. Plus the four regression values on both sides.
 */
import { strict as assert } from "node:assert";
import * as fc from "fast-check";
import { bootMachineOf } from "../../model/edgeMachine";
import { BY_PATH_DISK, sites } from "./arbitraries";
import { byMachine, parseService, parseStack, serviceMachinePath, serviceSettingsJson, stackMachinePath, stackRaw } from "./forms";
import { runs } from "./params";

describe("edge machines: stack config <=> boot service (property)", () => {
    it("accepts the same machines, with the same problems at the same keys and the same values", () => {
        const seen = { accepted: 0, refused: 0 };
        fc.assert(
            fc.property(sites(), (lists) => {
                const stack = parseStack(stackRaw(lists));
                const service = parseService(serviceSettingsJson(lists));
                const s = byMachine(stack.problems, lists, stackMachinePath);
                const v = byMachine(service.problems, lists, serviceMachinePath);
                // Everything outside the machines is valid by construction on both sides.
                assert.deepEqual(s.other, [], "stack problems outside the generated machines");
                assert.deepEqual(v.other, [], "service problems outside the generated machines");
                lists.forEach((ms, i) =>
                    ms.forEach((_, j) => {
                        const where = `site ${i} machine ${j}`;
                        assert.deepEqual(s.machines[i][j].paths, v.machines[i][j].paths, `${where}: problem keys differ\nstack:   ${stack.problems.join("\n         ")}\nservice: ${service.problems.join("\n         ")}`);
                        assert.deepEqual(s.machines[i][j].texts, v.machines[i][j].texts, `${where}: problem texts differ`);
                    }),
                );
                // Accepted by the stack <=> accepted by the service, once the stack-only fields (ip, vm) are set aside.
                const stackAccepts = stack.value !== undefined || (s.stackOnly.length > 0 && s.stackOnly.length === stack.problems.length);
                assert.equal(stackAccepts, service.value !== undefined, "one side accepted what the other refused");
                if (stack.value && service.value) {
                    seen.accepted++;
                    // Accepted means every machine written is in the result: none dropped without a problem.
                    assert.deepEqual(stack.value.edgeSites.map((site) => site.machines.length), lists.map((ms) => ms.length), "the stack dropped a machine silently");
                    assert.deepEqual(
                        service.value.sites.map((site) => site.machines),
                        stack.value.edgeSites.map((site) => site.machines.map(bootMachineOf)),
                        "the service reads other values than the stack hands it",
                    );
                    for (const m of service.value.sites.flatMap((site) => site.machines)) {
                        assert.equal((m.installDisk === undefined) !== (m.diskSelector === undefined), true, `${m.name}: accepted without exactly one of installDisk / diskSelector`);
                    }
                } else {
                    seen.refused++;
                }
            }),
            runs(400),
        );
        // The generators must reach both verdicts often, or the equivalence says little.
        assert.ok(seen.accepted >= 40 && seen.refused >= 40, `too one-sided: ${JSON.stringify(seen)}`);
    });
});

describe("edge machines: the issue's regression values, on both sides", () => {
    const base = { name: "talos-edge-1", mac: "52:54:00:00:02:01" };
    const installDisk = "/dev/vda";
    const decide = (m: Record<string, unknown>) => {
        const lists = [[m]];
        return { stack: parseStack(stackRaw(lists)), service: parseService(serviceSettingsJson(lists)) };
    };

    it(`installDisk ${BY_PATH_DISK}: accepted by both, unchanged`, () => {
        const { stack, service } = decide({ ...base, installDisk: BY_PATH_DISK });
        assert.deepEqual(stack.problems, []);
        assert.deepEqual(service.problems, []);
        assert.equal(stack.value!.edgeSites[0].machines[0].installDisk, BY_PATH_DISK);
        assert.equal(service.value!.sites[0].machines[0].installDisk, BY_PATH_DISK);
    });

    it('serial "To Be Filled By O.E.M.": refused by both, naming the key and calling it a placeholder', () => {
        const { stack, service } = decide({ ...base, installDisk, serial: "To Be Filled By O.E.M." });
        assert.equal(stack.value, undefined);
        assert.equal(service.value, undefined);
        assert.equal(stack.problems.length, 1, stack.problems.join("\n"));
        assert.equal(service.problems.length, 1, service.problems.join("\n"));
        assert.match(stack.problems[0], /^talos-cloud-edge:edgeSites\[0\]\.machines\[0\]\.serial: "To Be Filled By O\.E\.M\." is a vendor placeholder serial that identifies nothing; remove the key/);
        assert.match(service.problems[0], /^BOOT_SETTINGS\.sites\[0\]\.machines\[0\]\.serial: "To Be Filled By O\.E\.M\." is a vendor placeholder serial that identifies nothing; remove the key/);
    });

    it('serial "SN:1234": accepted by both, unchanged', () => {
        const { stack, service } = decide({ ...base, installDisk, serial: "SN:1234" });
        assert.deepEqual(stack.problems, []);
        assert.deepEqual(service.problems, []);
        assert.equal(stack.value!.edgeSites[0].machines[0].serial, "SN:1234");
        assert.equal(service.value!.sites[0].machines[0].serial, "SN:1234");
    });

    it("uuid 00000000-0000-0000-0000-000000000000: refused by both as a placeholder", () => {
        const { stack, service } = decide({ ...base, installDisk, uuid: "00000000-0000-0000-0000-000000000000" });
        assert.equal(stack.value, undefined);
        assert.equal(service.value, undefined);
        assert.equal(stack.problems.length, 1, stack.problems.join("\n"));
        assert.equal(service.problems.length, 1, service.problems.join("\n"));
        assert.match(stack.problems[0], /^talos-cloud-edge:edgeSites\[0\]\.machines\[0\]\.uuid: "00000000-0000-0000-0000-000000000000" is a placeholder UUID/);
        assert.match(service.problems[0], /^BOOT_SETTINGS\.sites\[0\]\.machines\[0\]\.uuid: "00000000-0000-0000-0000-000000000000" is a placeholder UUID/);
    });
});

describe("edge machines: derivedIdentity, the service form's mark of a VM whose identity is derived", () => {
    const vm = { name: "talos-edge-1", mac: "52:54:00:00:02:01", vm: {} };
    const decide = (m: Record<string, unknown>) => {
        const lists = [[m]];
        return { stack: parseStack(stackRaw(lists)), service: parseService(serviceSettingsJson(lists)) };
    };

    it("is set by the graph for a VM without both uuid and serial, and read back by the service unchanged", () => {
        for (const extra of [{}, { uuid: "5b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d" }, { serial: "SN-VM-1" }]) {
            const { stack, service } = decide({ ...vm, ...extra });
            assert.deepEqual([stack.problems, service.problems], [[], []]);
            const fromStack = bootMachineOf(stack.value!.edgeSites[0].machines[0]);
            assert.equal(fromStack.derivedIdentity, true, JSON.stringify(extra));
            assert.deepEqual(service.value!.sites[0].machines[0], fromStack);
        }
        const both = decide({ ...vm, uuid: "5b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d", serial: "SN-VM-1" });
        assert.equal(bootMachineOf(both.stack.value!.edgeSites[0].machines[0]).derivedIdentity, undefined, "nothing left to derive");
        assert.equal(both.service.value!.sites[0].machines[0].derivedIdentity, undefined);
    });

    it("is not a stack config key: the stack sets it itself", () => {
        const { stack } = decide({ ...vm, derivedIdentity: true });
        assert.deepEqual(stack.problems, [
            'talos-cloud-edge:edgeSites[0].machines[0].derivedIdentity: is set by the stack itself for a machine with "vm" whose uuid or serial is not set; remove it',
        ]);
    });
});
