/**
 * @module @mempo/trainer — the `mempo` CLI as a library: `main(argv)` and the run plan.
 */
export { main } from "./main.ts";
export { planText, STAGES } from "./plan.ts";
