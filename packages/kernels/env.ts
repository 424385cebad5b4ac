/**
 * Reading a MEMPO_* setting from the environment wherever the package runs: Node's process.env,
 * nothing in browsers, and nothing (instead of a permission error) under Deno without --allow-env.
 */
export function envVar(name: string): string | undefined {
  try {
    return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
  } catch {
    return undefined; // Deno without --allow-env: the defaults apply
  }
}
