export * from "./getHealth";
export * from "./kubeconfig";
