export * from "./getUrls";
export * from "./schematic";
