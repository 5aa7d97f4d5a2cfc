/** The LVM disk scripts `EdgeVm` runs over SSH (`bash -n` + shellcheck). Needs the packages listed in ./helpers.ts. */
import * as assert from "node:assert/strict";
import { renderLvCreateScript, renderLvRemoveScript } from "../../infra/edge-host/lvm";
import { assertCleanScript, removeTmpDirs } from "./helpers";

describe("edge-host LVM scripts", () => {
    after(removeTmpDirs);

    for (const [label, text] of [
        ["LVM create", renderLvCreateScript({ volumeGroup: "vg-talos-setup02", name: "talos-edge-1", sizeGiB: 20 })],
        ["LVM remove", renderLvRemoveScript({ volumeGroup: "vg-talos-setup02", name: "talos-edge-1" })],
    ]) {
        it(`${label}: bash -n and shellcheck are silent, strict mode is on`, () => assertCleanScript(text));
    }

    it("rejects a volume group name that could reach a root shell unquoted", () => {
        assert.throws(() => renderLvCreateScript({ volumeGroup: "vg talos", name: "x", sizeGiB: 20 }), /LVM volume group is not a valid name/);
    });
});
