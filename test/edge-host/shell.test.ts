/** Shell quoting, the remote command wrapper, and the shellcheck run every script test relies on. */
import * as assert from "node:assert/strict";
import { remoteBashCommand, shq } from "../../infra/edge-host/shell";
import { checkScript, removeTmpDirs, run } from "./helpers";

describe("edge-host shell helpers", () => {
    after(removeTmpDirs);

    it("shellcheck really checks: an unquoted expansion is reported", () => {
        assert.match(checkScript("#!/bin/bash\nrm -rf $1/tmp\n"), /SC2086/);
    });

    it("shq survives bash with quotes and expansions in the value", () => {
        const value = `it's $HOME and \`id\` "x"`;
        const r = run("bash", ["-c", `printf %s ${shq(value)}`]);
        assert.equal(r.stdout, value);
    });

    describe("remoteBashCommand", () => {
        const script = '#!/bin/bash\nset -euo pipefail\nread -r line || line=none\necho "stdin:$line"\necho "$HOME-\'q\'"\necho done\n';

        it("runs the script intact under a POSIX login shell, and stdin cannot swallow it", () => {
            const cmd = remoteBashCommand(script, { sshUser: "root", comment: "content sha256 abc" });
            assert.match(cmd, /^# content sha256 abc\nbash -c /);
            const r = run("dash", ["-c", cmd], { input: "from-ssh\n" });
            assert.equal(r.status, 0, r.stderr);
            assert.equal(r.stdout, `stdin:from-ssh\n${process.env.HOME}-'q'\ndone\n`);
        });

        it("goes through sudo -n for other users", () => {
            assert.match(remoteBashCommand(script, { sshUser: "ops" }), /^sudo -n bash -c /);
        });

        it("refuses a script that would end the here-document and a multi-line comment", () => {
            assert.throws(() => remoteBashCommand("echo\nTALOS_EDGE_SCRIPT_EOF\nid\n", { sshUser: "root" }), /would end the here-document/);
            assert.throws(() => remoteBashCommand("echo", { sshUser: "root", comment: "a\nid" }), /line break/);
        });
    });
});
