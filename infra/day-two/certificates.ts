/**
 * When the admin credentials expire, and from when a `pulumi up` renews them. Talos issues the
 * admin kubeconfig's and the talosconfig's client certificates for one year; the provider
 * renews each on any update inside its window (the kubeconfig's is configurable, the
 * talosconfig's is the provider's fixed month). The stack exports these dates so an expiry is
 * never a surprise.
 */
import { X509Certificate } from "node:crypto";
import { goDurationMs } from "../../model/durations";

/** A certificate as the Talos provider hands it over: PEM, or base64 of PEM. */
export function certificateNotAfter(certificate: string): Date {
    const pem = certificate.trimStart().startsWith("-----BEGIN") ? certificate : Buffer.from(certificate, "base64").toString("utf8");
    if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
        throw new Error("not a PEM certificate (nor base64 of one)");
    }
    return new Date(new X509Certificate(pem).validTo);
}

export interface CredentialExpiry {
    /** ISO time the client certificate expires; undefined when it could not be read (see `problem`). */
    expires?: string;
    /** ISO time from which any `pulumi up` renews it. */
    renewsFrom?: string;
    /** Why the dates are missing. */
    problem?: string;
}

/** Expiry and renewal start of one credential's client certificate; never throws. */
export function credentialExpiry(certificate: string | undefined, renewalWindow: string): CredentialExpiry {
    try {
        if (!certificate) throw new Error("no client certificate");
        const notAfter = certificateNotAfter(certificate);
        return {
            expires: notAfter.toISOString(),
            renewsFrom: new Date(notAfter.getTime() - goDurationMs("renewal window", renewalWindow)).toISOString(),
        };
    } catch (e) {
        return { problem: `cannot read the client certificate: ${(e as Error).message}` };
    }
}
