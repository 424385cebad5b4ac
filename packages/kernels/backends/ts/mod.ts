/**
 * Registers the "ts" reference backend and all of its kernels. Importing this module is enough.
 */
import type { CoreKernelMap } from "../../kernel_types.ts";
import { registerBackend, registerKernel } from "../../registry.ts";
import * as activation from "./activation.ts";
import * as attention from "./attention.ts";
import { tsBackend } from "./backend.ts";
import * as elementwise from "./elementwise.ts";
import * as embedding from "./embedding.ts";
import * as logprob from "./logprob.ts";
import { matmul } from "./matmul.ts";
import * as norm from "./norm.ts";
import * as optim from "./optim.ts";
import { rope } from "./rope.ts";
import * as softmax from "./softmax.ts";

/** Every reference kernel, by kernel name. */
export const tsKernels: CoreKernelMap = {
  matmul,
  ...elementwise,
  ...embedding,
  ...norm,
  ...activation,
  rope,
  ...softmax,
  ...attention,
  ...logprob,
  ...optim,
};

registerBackend(tsBackend);
for (const name of Object.keys(tsKernels) as (keyof CoreKernelMap)[]) {
  registerKernel({ kernelName: name, backendName: "ts", fn: tsKernels[name] as never });
}

export { tsBackend };
