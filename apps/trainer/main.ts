/**
 * The `mempo` CLI entry. Run with `npm run train` (or `npx mempo <command>`).
 *
 * Commands are added as the pipeline lands; each prints what it will do and
 * then does it. Until the end-to-end trainer lands, `train` prints the plan
 * and says plainly that no training was run.
 */
import { planText } from "./plan.ts";

export function main(argv: string[]): number {
  const [command = "help"] = argv;
  switch (command) {
    case "train":
      console.log(planText());
      console.log("\nNot implemented yet: the end-to-end trainer has not landed, so no training was run.");
      return 0;
    case "help":
    case "--help":
    case "-h":
      console.log("usage: mempo <train|help>");
      return 0;
    default:
      console.error(`mempo: unknown command '${command}'. Run 'mempo help' for the list of commands.`);
      return 2;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.slice(2));
