// Types of build.mjs (the wasm build script, plain JS so it runs without a TS loader).
export declare const BUILD_DIR: string;
export declare const VARIANTS: Record<"baseline" | "relaxed", { file: string; features: string }>;
export declare function sourcesMtime(): Promise<number>;
export declare function buildKernels(options?: { quiet?: boolean }): Promise<void>;
