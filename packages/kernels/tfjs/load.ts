/**
 * Finding TensorFlow.js at run time: @tensorflow/tfjs-core (an optional peer dependency) and one tfjs
 * backend package, by flavor. Every failure says what to install or which alternative to pick; a
 * tfjs-node(-gpu) that is installed but cannot load its native library names that cause.
 *
 * Test: packages/kernels/tfjs/tfjs_test.ts.
 */
import type { Tf } from "./backend.ts";

/** The tfjs backend packages this project knows, by the name MEMPO_TFJS_BACKEND uses. */
export const TFJS_FLAVORS = {
  "node-gpu": { pkg: "@tensorflow/tfjs-node-gpu", tfName: "tensorflow" },
  node: { pkg: "@tensorflow/tfjs-node", tfName: "tensorflow" },
  wasm: { pkg: "@tensorflow/tfjs-backend-wasm", tfName: "wasm" },
  cpu: { pkg: "@tensorflow/tfjs-backend-cpu", tfName: "cpu" },
  webgpu: { pkg: "@tensorflow/tfjs-backend-webgpu", tfName: "webgpu" },
} as const;

export type TfjsFlavor = keyof typeof TFJS_FLAVORS;

/** Tried in this order when no flavor is named (browsers: webgpu, wasm, cpu). */
export const AUTO_ORDER: readonly TfjsFlavor[] =
  typeof process !== "undefined" && process.versions?.node
    ? ["node-gpu", "node", "wasm", "cpu"]
    : ["webgpu", "wasm", "cpu"];

const ALTERNATIVES =
  "Alternatives: MEMPO_TFJS_BACKEND=wasm (npm install @tensorflow/tfjs-core @tensorflow/tfjs-backend-wasm) " +
  "or cpu (@tensorflow/tfjs-backend-cpu) with --backend tfjs, or this project's own backends: --backend wasm (CPU) / --backend webgpu (GPU).";

/** An import that failed because the package itself is not installed (not a failure inside it). */
export function isNotInstalled(e: unknown, pkg: string): boolean {
  const code = (e as { code?: string } | null)?.code;
  const msg = e instanceof Error ? e.message : String(e);
  return (
    (code === "ERR_MODULE_NOT_FOUND" ||
      code === "MODULE_NOT_FOUND" ||
      // Node's message, and those of bundlers / vite-node that resolve the import themselves
      /Cannot find (module|package)|Could not resolve|Failed to (resolve|load)/.test(msg)) &&
    msg.includes(pkg)
  );
}

/** The error for a tfjs backend package that could not be imported. */
export function loadError(flavor: TfjsFlavor, e: unknown): Error {
  const { pkg } = TFJS_FLAVORS[flavor];
  const why = (e instanceof Error ? e.message.split("\n")[0]! : String(e)).replace(/\.$/, "");
  if (isNotInstalled(e, pkg)) {
    return new Error(`tfjs backend: ${pkg} is not installed. Fix: npm install ${pkg}. ${ALTERNATIVES}`);
  }
  const native =
    flavor === "node-gpu"
      ? "It needs libtensorflow 2.9.1 (its install script downloads it into node_modules/@tensorflow/tfjs-node-gpu/deps; rerun `npm rebuild @tensorflow/tfjs-node-gpu` on a machine that can reach storage.googleapis.com) and CUDA 11.2 + cuDNN 8.1 on the library path (LD_LIBRARY_PATH)."
      : flavor === "node"
        ? "It needs libtensorflow 2.9.1 (its install script downloads it; rerun `npm rebuild @tensorflow/tfjs-node` where that works)."
        : "";
  return new Error(
    `tfjs backend: ${pkg} is installed but failed to load: ${why}. ${native} ${ALTERNATIVES}`.replace(
      / {2,}/g,
      " ",
    ),
  );
}

/** Imports @tensorflow/tfjs-core, or explains how to install it. */
export async function importCore(): Promise<Tf> {
  try {
    // A computed specifier: TensorFlow.js is an optional peer that bundlers must not require.
    const core = "@tensorflow/tfjs-core";
    const mod = (await import(/* @vite-ignore */ core)) as Tf & { default?: Tf };
    return typeof mod.tensor === "function" ? mod : (mod.default as Tf);
  } catch (e) {
    if (isNotInstalled(e, "@tensorflow/tfjs-core")) {
      throw new Error(
        "tfjs backend: TensorFlow.js is not installed (it is an optional peer dependency of @mempo/kernels). " +
          "Fix: npm install @tensorflow/tfjs-core @tensorflow/tfjs-backend-wasm (or @tensorflow/tfjs-node / " +
          "@tensorflow/tfjs-node-gpu where their install can download libtensorflow), or use --backend wasm.",
      );
    }
    throw e;
  }
}

/** Imports a flavor's package (which registers its tfjs backend) and makes it tf's active backend. */
export async function activate(
  tf: Tf,
  flavor: TfjsFlavor,
  importer = (p: string) => import(p),
): Promise<void> {
  const { pkg, tfName } = TFJS_FLAVORS[flavor];
  try {
    await importer(pkg);
  } catch (e) {
    throw loadError(flavor, e);
  }
  let ok = false;
  try {
    ok = await tf.setBackend(tfName);
  } catch (e) {
    throw loadError(flavor, e);
  }
  if (!ok) throw loadError(flavor, new Error(`tf.setBackend("${tfName}") failed to initialise`));
}
