/**
 * The workload of the connectivity suite (the seed's busybox test, in its own namespace): a
 * DaemonSet that tolerates every taint, so one pod runs on every node, control planes and
 * tainted edge nodes included; each pod serves "hello from <node>" over HTTP on 8080; a
 * ClusterIP service in front of them.
 */
import { stringify } from "yaml";

export const VERIFY_APP = "talos-verify";
export const VERIFY_PORT = 8080;

export interface VerifyWorkload {
    namespace: string;
    /** Container image with sh, httpd, wget, ping and nslookup (busybox). */
    image: string;
}

export function verifyManifest(w: VerifyWorkload): string {
    const labels = { app: VERIFY_APP };
    const docs = [
        {
            apiVersion: "v1",
            kind: "Namespace",
            metadata: { name: w.namespace, labels: { "app.kubernetes.io/managed-by": "talos-cloud-edge-verify" } },
        },
        {
            apiVersion: "apps/v1",
            kind: "DaemonSet",
            metadata: { name: VERIFY_APP, namespace: w.namespace, labels },
            spec: {
                selector: { matchLabels: labels },
                template: {
                    metadata: { labels },
                    spec: {
                        tolerations: [{ operator: "Exists" }],
                        terminationGracePeriodSeconds: 1,
                        containers: [
                            {
                                name: "busybox",
                                image: w.image,
                                env: [{ name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }],
                                command: ["sh", "-c", `mkdir -p /www && echo "hello from $NODE_NAME" > /www/test.txt && exec httpd -f -p ${VERIFY_PORT} -h /www`],
                                ports: [{ containerPort: VERIFY_PORT, name: "http" }],
                                readinessProbe: { tcpSocket: { port: VERIFY_PORT }, periodSeconds: 2 },
                                resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "64Mi" } },
                            },
                        ],
                    },
                },
            },
        },
        {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: VERIFY_APP, namespace: w.namespace, labels },
            spec: { type: "ClusterIP", selector: labels, ports: [{ name: "http", port: VERIFY_PORT, targetPort: VERIFY_PORT }] },
        },
    ];
    return docs.map((d) => stringify(d)).join("---\n");
}
