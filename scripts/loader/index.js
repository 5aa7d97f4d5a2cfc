/**
 * `nodeargs: --require=talos-cloud-edge-typescript-loader` (Pulumi.yaml) resolves here through
 * node_modules (a `file:` dependency of the project), from whichever directory Node starts in:
 * the project root or `main` (stacks/). The hook itself is ../typescript-loader.js.
 */
"use strict";

module.exports = require("../typescript-loader.js");
