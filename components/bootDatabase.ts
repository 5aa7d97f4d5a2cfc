/**
 * The boot service's state store on GCP (decision 0011): Cloud SQL for PostgreSQL 16, the
 * smallest tier that holds every instance's connections, reached only through Cloud Run's
 * built-in Cloud SQL connection (a Unix socket, IAM-authorised by roles/cloudsql.client, TLS to
 * the instance): connectorEnforcement REQUIRED refuses every other client, and there are no
 * authorised networks. The password lives only in the database URL, a Secret Manager secret.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/** Pool size of each service instance; with its claim holder lock an instance holds one connection more. */
export const DATABASE_POOL_SIZE = 4;

/**
 * Cloud SQL tiers from the smallest, with PostgreSQL's default max_connections on each (Cloud SQL
 * sets it from the tier's memory; a few are reserved for its own superuser).
 */
export const CLOUD_SQL_TIERS: ReadonlyArray<{ tier: string; maxConnections: number }> = [
    { tier: "db-f1-micro", maxConnections: 25 },
    { tier: "db-g1-small", maxConnections: 50 },
    { tier: "db-custom-1-3840", maxConnections: 100 },
];
/** Above the largest tier in CLOUD_SQL_TIERS: 2 vCPUs, 7.5 GB, and max_connections set explicitly. */
const LARGE_TIER = "db-custom-2-7680";
/** Connections kept free for Cloud SQL's reserved superuser and an operator's psql session. */
const RESERVED_CONNECTIONS = 5;

/**
 * The smallest tier whose connections cover `maxInstances` instances (pool + holder lock each),
 * plus one lock connection per instance of a revision still draining after a deploy (its idle
 * pool connections close after 30 s). `maxConnectionsFlag` is set only above the listed tiers.
 */
export function cloudSqlTier(maxInstances: number): { tier: string; maxConnectionsFlag?: number } {
    const needed = maxInstances * (DATABASE_POOL_SIZE + 1) + maxInstances + RESERVED_CONNECTIONS;
    const fits = CLOUD_SQL_TIERS.find((t) => t.maxConnections >= needed);
    return fits ? { tier: fits.tier } : { tier: LARGE_TIER, maxConnectionsFlag: needed };
}

export interface BootDatabaseArgs {
    /** GCP project id. */
    project: pulumi.Input<string>;
    /** Short name prefix for GCP resources (the cluster name); the instance is `<prefix>-boot-db`. */
    namePrefix: string;
    /** Region, the Cloud Run service's. */
    region: string;
    /** The service's maximum instances; picks the tier (`cloudSqlTier`). */
    maxInstances: number;
    /** IAM member of the service's runtime account, granted roles/cloudsql.client. */
    serviceAccountMember: pulumi.Input<string>;
}

/** What the service needs to reach its database, and the grant it must wait for. */
export interface BootDatabase {
    /** postgresql:// URL through the connector's socket (secret: carries the password). */
    url: pulumi.Output<string>;
    /** `<project>:<region>:<instance>`, for the Cloud Run Cloud SQL volume. */
    connectionName: pulumi.Output<string>;
    /** roles/cloudsql.client for the service account. */
    grant: gcp.projects.IAMMember;
}

/** Creates the instance, database, user and grant as children of `parent` (the BootService). */
export function bootDatabase(name: string, args: BootDatabaseArgs, parent: pulumi.Resource): BootDatabase {
    const { tier, maxConnectionsFlag } = cloudSqlTier(args.maxInstances);
    const instance = new gcp.sql.DatabaseInstance(`${name}-db`, {
        project: args.project,
        name: `${args.namePrefix}-boot-db`,
        region: args.region,
        databaseVersion: "POSTGRES_16",
        deletionProtection: true,
        settings: {
            // Shared-core tiers exist only in the Enterprise edition (the API's default for
            // PostgreSQL 16 can be Enterprise Plus).
            edition: "ENTERPRISE",
            tier,
            availabilityType: "ZONAL",
            diskType: "PD_SSD",
            diskSize: 10,
            connectorEnforcement: "REQUIRED",
            ipConfiguration: { ipv4Enabled: true, sslMode: "ENCRYPTED_ONLY" },
            backupConfiguration: { enabled: true, pointInTimeRecoveryEnabled: true },
            ...(maxConnectionsFlag !== undefined ? { databaseFlags: [{ name: "max_connections", value: String(maxConnectionsFlag) }] } : {}),
        },
    }, { parent, protect: true });
    const database = new gcp.sql.Database(`${name}-db`, {
        project: args.project,
        instance: instance.name,
        name: "talos_boot",
    }, { parent });
    const password = new random.RandomPassword(`${name}-db-password`, { length: 32, special: false }, { parent });
    const user = new gcp.sql.User(`${name}-db-user`, {
        project: args.project,
        instance: instance.name,
        name: "talos_boot",
        password: password.result,
    }, { parent });
    const grant = new gcp.projects.IAMMember(`${name}-sql-client`, {
        project: args.project,
        role: "roles/cloudsql.client",
        member: args.serviceAccountMember,
    }, { parent });
    const url = pulumi.secret(pulumi.interpolate`postgresql://${user.name}:${password.result}@localhost/${database.name}?host=/cloudsql/${instance.connectionName}`);
    return { url, connectionName: instance.connectionName, grant };
}
