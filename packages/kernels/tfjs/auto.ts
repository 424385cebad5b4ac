/**
 * Loaded by backends/all.ts: records "tfjs" as not yet initialised (cheap: no TensorFlow.js is
 * imported), and when MEMPO_BACKEND=tfjs initialises it before first use, so that
 * `MEMPO_BACKEND=tfjs <any command>` runs on TensorFlow.js with no code change. A failed
 * initialisation rejects, and backends/all.ts records the reason for getBackend()/setBackend().
 */
import { envVar } from "../env.ts";

const wanted = envVar("MEMPO_BACKEND") === "tfjs";
const { initTfjs } = await import("./mod.ts");
if (wanted) await initTfjs();
