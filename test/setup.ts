/**
 * Mocha `--require` hook: installs the Pulumi mocks once for the whole run, before any
 * module that declares resources is imported. Project and stack match Pulumi.yaml/dev.
 */
import * as pulumi from "@pulumi/pulumi";
import { mocks } from "./mocks";

void pulumi.runtime.setMocks(mocks, "talos-cloud-edge", "dev", false);
