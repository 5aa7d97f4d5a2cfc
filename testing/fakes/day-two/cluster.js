/*
 * A fake Talos + Kubernetes cluster for the day-two tests, shared by the fake `talosctl` and
 * `kubectl` executables next to this file. Its state is one JSON file (FAKE_CLUSTER_STATE);
 * every call is appended to a JSON-lines log (FAKE_CLUSTER_LOG) with its arguments (credential
 * paths replaced by "<file>"), the mode of the credential file it was given, and its start and
 * end times, so tests can assert order, overlap and secret handling. Failures are injected by
 * the state's `fail` section. Plain CommonJS: the executables start in milliseconds.
 *
 * State shape (see testing/fakes/day-two/fakeCluster.ts for the typed builder):
 *   nodes: { [address]: { name, role, location, version, schematic, etcdHealthy, reachable,
 *            registered, ready, kubeletVersion, labels, annotations, podIp, config } }
 *   etcdMembers: [{ id, hostname }]
 *   apiServerVersion, apiServerReady
 *   fail: { upgrade: [address], rollback: [address], etcdUnhealthyAfterUpgrade: [address],
 *           drain: [name], reset: [address], upgradeK8s: bool,
 *           readPartial: [address] (a read that prints part of the config, then fails) }
 *   upgradeDelayMs
 *   network: { brokenPairs: [[nodeA, nodeB]], dnsBroken, egressBroken: [node], resolveBroken: [node] }
 *   namespaces: [name], pods: [{ namespace, name, nodeName, podIp }], services: { "ns/name": ip }
 */
"use strict";
const fs = require("fs");
const path = require("path");

const statePath = () => {
    const p = process.env.FAKE_CLUSTER_STATE;
    if (!p) {
        process.stderr.write("fake cluster: FAKE_CLUSTER_STATE is not set\n");
        process.exit(90);
    }
    return p;
};

function sleep(ms) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs `fn(state)` under a lock (a directory), saving the state afterwards. */
function withState(fn) {
    const lock = `${statePath()}.lock`;
    for (let i = 0; ; i++) {
        try {
            fs.mkdirSync(lock);
            break;
        } catch (e) {
            if (e.code !== "EEXIST" || i > 2000) throw e;
            sleep(5);
        }
    }
    try {
        const state = JSON.parse(fs.readFileSync(statePath(), "utf8"));
        const result = fn(state);
        fs.writeFileSync(statePath(), JSON.stringify(state, null, 2));
        return result;
    } finally {
        fs.rmdirSync(lock);
    }
}

function readState() {
    return withState((s) => s);
}

/** Appends one call to the log. */
function logCall(entry) {
    const file = process.env.FAKE_CLUSTER_LOG;
    if (!file) return;
    fs.appendFileSync(file, `${JSON.stringify(entry)}\n`);
}

/** Splits `--flag value` global options off argv; returns { options, rest, credentialMode }. */
function takeOptions(argv, names) {
    const options = {};
    const rest = [];
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (names.includes(a)) {
            options[a] = argv[++i];
        } else {
            rest.push(a);
        }
    }
    return { options, rest };
}

function fileMode(file) {
    try {
        return (fs.statSync(file).mode & 0o777).toString(8);
    } catch {
        return "missing";
    }
}

function fail(message, code = 1) {
    process.stderr.write(`${message}\n`);
    process.exit(code);
}

module.exports = { withState, readState, logCall, takeOptions, fileMode, fail, sleep, path };
