/**
 * @module @mempo/kernels/tfjs — the "tfjs" backend: every kernel as @tensorflow/tfjs-core ops, so any
 * TensorFlow.js backend the user has installed runs the models (tfjs-node-gpu on a CUDA machine,
 * tfjs-node, tfjs-backend-wasm / -cpu, tfjs-backend-webgpu in browsers). Tensors stay tfjs tensors
 * between kernels; host copies are made only for read-back and for kernels that fall back to "ts".
 *
 *   import { initTfjs } from "@mempo/kernels/tfjs";
 *   await initTfjs({ flavor: "wasm" }); // or MEMPO_TFJS_BACKEND=wasm; default: the first that loads
 *   setBackend("tfjs");                 // before initTfjs this throws with the fix
 *
 * TensorFlow.js is an optional peer dependency; importing this module loads none of it. Env:
 * MEMPO_TFJS_BACKEND=node-gpu|node|wasm|cpu|webgpu|auto picks the tfjs backend (auto: node-gpu, node,
 * wasm, cpu in Node — the first that is installed and loads — or whatever tfjs backend the program
 * registered itself). MEMPO_TFJS_ATTENTION=auto|dense|headwise picks how attention runs (attention.ts).
 * `MEMPO_BACKEND=tfjs` initialises it on import of @mempo/kernels.
 *
 * Test: packages/kernels/tfjs/tfjs_test.ts, tfjs/spec_test.ts.
 */
import { envVar } from "../env.ts";
import {
  backendFailed,
  listBackends,
  markBackendUnavailable,
  registerBackend,
  registerKernel,
} from "../registry.ts";
import { attentionKernels, type TfjsAttention } from "./attention.ts";
import { type Tf, tfjsBackend } from "./backend.ts";
import { coreKernels } from "./kernels.ts";
import { AUTO_ORDER, activate, importCore, isNotInstalled, TFJS_FLAVORS, type TfjsFlavor } from "./load.ts";
import { io } from "./util.ts";

export type { TfjsAttention } from "./attention.ts";
export { TfjsStorage } from "./backend.ts";
export { loadError, TFJS_FLAVORS, type TfjsFlavor } from "./load.ts";

export interface TfjsOptions {
  /** The tfjs backend to run on; default MEMPO_TFJS_BACKEND, else "auto". */
  flavor?: TfjsFlavor | "auto";
  /**
   * How attention runs (tfjs/attention.ts): default MEMPO_TFJS_ATTENTION, else "auto" — per sequence
   * and head through host arrays on wasm/cpu (measured 10–40× faster there), batched tfjs ops elsewhere.
   */
  attention?: TfjsAttention;
}

export interface TfjsInfo {
  /** The flavor that loaded, or null when the program had registered its own tfjs backend. */
  flavor: TfjsFlavor | null;
  /** tf.getBackend(): "tensorflow", "wasm", "cpu", "webgpu"... */
  tfBackend: string;
  /** tfjs-core version. */
  version: string;
  /** Flavors tried before the one that loaded, with why they did not (auto only). */
  skipped: string[];
}

const NOT_INITIALISED =
  'not initialised: call `await initTfjs()` (import { initTfjs } from "@mempo/kernels/tfjs") before setBackend("tfjs"), ' +
  "or set MEMPO_BACKEND=tfjs; TensorFlow.js must be installed (npm install @tensorflow/tfjs-core @tensorflow/tfjs-backend-wasm)";

if (!listBackends().includes("tfjs")) markBackendUnavailable("tfjs", NOT_INITIALISED);

let info: TfjsInfo | null = null;
let starting: Promise<TfjsInfo> | null = null;

function envFlavor(): TfjsFlavor | "auto" {
  const v = envVar("MEMPO_TFJS_BACKEND");
  if (v === undefined || v === "" || v === "auto") return "auto";
  if (!(v in TFJS_FLAVORS)) {
    throw new Error(
      `MEMPO_TFJS_BACKEND: unknown tfjs backend "${v}". Fix: use one of ${Object.keys(TFJS_FLAVORS).join(", ")} or auto.`,
    );
  }
  return v as TfjsFlavor;
}

function envAttention(): TfjsAttention {
  const v = typeof process !== "undefined" ? process.env?.MEMPO_TFJS_ATTENTION : undefined;
  if (v === undefined || v === "") return "auto";
  if (v !== "auto" && v !== "dense" && v !== "headwise") {
    throw new Error(`MEMPO_TFJS_ATTENTION: unknown mode "${v}". Fix: use auto, dense or headwise.`);
  }
  return v;
}

async function start(tf: Tf, want: TfjsFlavor | "auto", attention: TfjsAttention): Promise<TfjsInfo> {
  const skipped: string[] = [];
  let flavor: TfjsFlavor | null = null;
  if (want !== "auto") {
    await activate(tf, want);
    flavor = want;
  } else if (tf.engine().backendNames().length > 0) {
    await tf.ready(); // the program registered a tfjs backend itself: use tf's choice
  } else {
    for (const f of AUTO_ORDER) {
      try {
        await activate(tf, f);
        flavor = f;
        break;
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        skipped.push(
          `${f}: ${isNotInstalled(e, TFJS_FLAVORS[f].pkg) || /is not installed/.test(msg) ? "not installed" : msg}`,
        );
      }
    }
    if (flavor === null) {
      throw new Error(
        `tfjs backend: no TensorFlow.js backend could be loaded (${skipped.join("; ")}). ` +
          "Fix: npm install @tensorflow/tfjs-backend-wasm (or @tensorflow/tfjs-node-gpu on a CUDA 11.2 machine), or use --backend wasm.",
      );
    }
  }
  const ker = io(tf);
  const kernels = { ...coreKernels(ker), ...attentionKernels(ker, attention) };
  registerBackend(tfjsBackend(tf));
  for (const name of Object.keys(kernels) as (keyof typeof kernels)[]) {
    registerKernel({ kernelName: name, backendName: "tfjs", fn: kernels[name] as never });
  }
  return { flavor, tfBackend: tf.getBackend(), version: tf.version_core, skipped };
}

/**
 * Loads TensorFlow.js and a tfjs backend, and registers the "tfjs" backend with its kernels.
 * Idempotent once it succeeded (later calls return the same info; naming another flavor throws); a
 * failure rejects with what to install, is recorded for setBackend("tfjs"), and may be retried.
 */
export function initTfjs(opts: TfjsOptions = {}): Promise<TfjsInfo> {
  const want = opts.flavor ?? envFlavor();
  const attention = opts.attention ?? envAttention();
  if (info && want !== "auto" && want !== info.flavor) {
    return Promise.reject(
      new Error(
        `initTfjs: the tfjs backend already runs on "${info.flavor ?? info.tfBackend}"; cannot switch to "${want}" in this process. ` +
          "Fix: pick the flavor before the first initTfjs (MEMPO_TFJS_BACKEND).",
      ),
    );
  }
  starting ??= importCore()
    .then((tf) => start(tf, want, attention))
    .then(
      (i) => {
        info = i;
        return i;
      },
      (e: unknown) => {
        starting = null;
        return backendFailed("tfjs", e);
      },
    );
  return starting;
}

/** What initTfjs loaded, or null before it succeeded. */
export function tfjsInfo(): TfjsInfo | null {
  return info;
}
