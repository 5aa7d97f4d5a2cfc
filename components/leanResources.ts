/**
 * The custom resources the program declares once per edge machine, registered with only the
 * properties the program sets (docs/decisions/0135-lean-registrations.md): `command:local:Command`,
 * `command:remote:Command`, and the libvirt `Domain` and `Volume`.
 *
 * Generated SDK classes (and our libvirt binding, which follows them) register every property of
 * the type, set or not, and the Node.js SDK gives each registered property an Output (a proxy,
 * about a dozen closures and half a dozen promises), kept as long as the resource is: the SDK's
 * parent components hold their children until the program ends. A machine's four commands and
 * its domain had about 100 such Outputs, most for properties the program never sets or reads
 * (`stdout`, `archive`, `assets`, `interpreter`, `cmdlines`, `filesystems`, ...).
 *
 * These classes send the engine the same registration as the full ones: the same type, the same
 * set inputs (absent ones are not sent by either), the same plugin version and the same options
 * the full constructors add (`replaceOnChanges`, secret connection with the provider's defaults,
 * secret inputs and outputs). `test/leanResources.test.ts` compares the two requests field by
 * field. What they lack is the program-side Outputs of properties nobody set; the engine's state
 * is the provider's as before. A resource whose outputs the program reads beyond what it set
 * (the readiness gate reads `stdout`) keeps the full class.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as libvirt from "@pulumi/libvirt";
// The binding's shared constructor plumbing (sdks/libvirt/utilities.ts), what its own classes call.
import * as libvirtUtilities from "@pulumi/libvirt/bin/libvirt/utilities";
import type { ResourceSpec } from "@pulumi/libvirt/bin/common/spec";

/**
 * The `@pulumi/command` release the generated classes name as plugin version (their
 * `utilities.getVersion()`: package.json's version without a leading "v").
 */
export const COMMAND_PLUGIN_VERSION: string = (require("@pulumi/command/package.json") as { version: string }).version.replace(/^v/, "");

/** The options the generated classes add to the caller's, in their order. */
function commandOptions(opts: pulumi.CustomResourceOptions | undefined, extra: pulumi.CustomResourceOptions[]): pulumi.CustomResourceOptions {
    let merged = pulumi.mergeOptions({ version: COMMAND_PLUGIN_VERSION }, opts ?? {});
    for (const more of extra) {
        merged = pulumi.mergeOptions(merged, more);
    }
    return merged;
}

/** Only the properties that are set: the SDK makes an Output for every key it is given. */
export function setProperties(args: object): pulumi.Inputs {
    const props: pulumi.Inputs = {};
    for (const [key, value] of Object.entries(args)) {
        if (value !== undefined) {
            props[key] = value;
        }
    }
    return props;
}

/** A change to any trigger replaces the command (as the generated classes declare). */
const REPLACE_ON_TRIGGERS: pulumi.CustomResourceOptions = { replaceOnChanges: ["triggers[*]"] };

/** `command:local:Command`: a command run on the Pulumi runner. Exposes no outputs but its URN and ID. */
export class LocalCommand extends pulumi.CustomResource {
    /** The type token of the generated class. */
    public static readonly __pulumiType = "command:local:Command";

    /**
     * @param name Resource name, as for `command.local.Command`.
     * @param args The same arguments as `command.local.Command`; unset ones are not registered.
     * @param opts Resource options, as for `command.local.Command`.
     */
    constructor(name: string, args: command.local.CommandArgs, opts?: pulumi.CustomResourceOptions) {
        super(LocalCommand.__pulumiType, name, setProperties(args), commandOptions(opts, [REPLACE_ON_TRIGGERS]));
    }
}

/** `command:remote:Command`: a command run over SSH. Exposes no outputs but its URN and ID. */
export class RemoteCommand extends pulumi.CustomResource {
    /** The type token of the generated class. */
    public static readonly __pulumiType = "command:remote:Command";

    /**
     * @param name Resource name, as for `command.remote.Command`.
     * @param args The same arguments as `command.remote.Command` (`connection` required); unset ones are not registered.
     * @param opts Resource options, as for `command.remote.Command`.
     */
    constructor(name: string, args: command.remote.CommandArgs, opts?: pulumi.CustomResourceOptions) {
        if (args.connection === undefined) {
            throw new Error(`remote command ${name}: connection is required (the SSH host, user and key the command runs with)`);
        }
        const props = setProperties(args);
        // As the generated class: the connection with the provider's defaults (port 22, user
        // root, dial attempts), always secret, and named a secret output.
        props.connection = pulumi.secret(pulumi.output(args.connection).apply(command.types.input.remote.connectionArgsProvideDefaults));
        super(RemoteCommand.__pulumiType, name, props, commandOptions(opts, [{ additionalSecretOutputs: ["connection"] }, REPLACE_ON_TRIGGERS]));
    }
}

/**
 * A libvirt registration through the binding's own plumbing (`resourceInputs`, `resourceOptions`:
 * required inputs checked, secret inputs wrapped, plugin version and secret outputs added), with
 * the unset properties left out.
 */
function libvirtRegistration(token: string, args: object, opts: pulumi.CustomResourceOptions | undefined): { props: pulumi.Inputs; options: pulumi.CustomResourceOptions } {
    const spec = (libvirt.manifest.resources as Record<string, ResourceSpec | undefined>)[token];
    if (!spec) {
        throw new Error(`the libvirt binding has no resource ${token}`);
    }
    return { props: setProperties(libvirtUtilities.resourceInputs(spec, args as Record<string, unknown>, opts ?? {})), options: libvirtUtilities.resourceOptions(spec, opts ?? {}) };
}

/** `libvirt:index/domain:Domain`: a VM. Exposes its URN, ID and the `name` it was given. */
export class LibvirtDomain extends pulumi.CustomResource {
    /** The type token of the binding's class. */
    public static readonly __pulumiType = "libvirt:index/domain:Domain";
    /** The domain's name on the host (the `name` argument). */
    declare public readonly name: pulumi.Output<string>;

    /**
     * @param name Resource name, as for `libvirt.Domain`.
     * @param args The same arguments as `libvirt.Domain`, with `name` required; unset ones are not registered.
     * @param opts Resource options, as for `libvirt.Domain` (`provider` names the site's libvirt provider).
     */
    constructor(name: string, args: libvirt.DomainArgs & { name: pulumi.Input<string> }, opts?: pulumi.CustomResourceOptions) {
        const { props, options } = libvirtRegistration(LibvirtDomain.__pulumiType, args, opts);
        super(LibvirtDomain.__pulumiType, name, props, options);
    }
}

/** `libvirt:index/volume:Volume`: a disk image in a storage pool. Exposes its URN and ID (what a domain's disk names). */
export class LibvirtVolume extends pulumi.CustomResource {
    /** The type token of the binding's class. */
    public static readonly __pulumiType = "libvirt:index/volume:Volume";

    /**
     * @param name Resource name, as for `libvirt.Volume`.
     * @param args The same arguments as `libvirt.Volume`; unset ones are not registered.
     * @param opts Resource options, as for `libvirt.Volume`.
     */
    constructor(name: string, args: libvirt.VolumeArgs, opts?: pulumi.CustomResourceOptions) {
        const { props, options } = libvirtRegistration(LibvirtVolume.__pulumiType, args, opts);
        super(LibvirtVolume.__pulumiType, name, props, options);
    }
}
