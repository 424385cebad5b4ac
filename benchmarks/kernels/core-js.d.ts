/** core-js ships no types; peer_jax.ts loads its Iterator helpers polyfill only for its side effect. */
declare module "core-js/actual/iterator/index.js";
