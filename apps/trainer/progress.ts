/**
 * Progress display for long stages: a cli-progress bar (stage, step, loss/reward, ETA) when stdout is
 * a TTY, plain log lines every `every` steps otherwise (CI logs, pipes, tests).
 *
 *   const p = startProgress("sft", 400, cfg.log);
 *   p.tick(step, { loss: 2.31, lr: 1e-3 });
 *   p.done();
 */
import cliProgress from "cli-progress";
import type { Config } from "./config.ts";

export interface Progress {
  /** Reports that `step` (1-based) of the total is done, with the numbers to show. */
  tick(step: number, fields: Record<string, number | string>): void;
  /** Ends the display. */
  done(): void;
}

/** Formats a metric for display: 4 significant digits, exponent for small values. */
export function fmt(v: number | string): string {
  if (typeof v === "string") return v;
  if (v === 0 || Number.isInteger(v)) return String(v);
  return Math.abs(v) < 1e-2 ? v.toExponential(2) : v.toPrecision(4);
}

const fieldsText = (fields: Record<string, number | string>) =>
  Object.entries(fields)
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join("  ");

/** Seconds as 1h02m, 4m05s or 12s. */
export function duration(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const r = Math.round(s);
  if (r >= 3600) return `${Math.floor(r / 3600)}h${String(Math.floor((r % 3600) / 60)).padStart(2, "0")}m`;
  if (r >= 60) return `${Math.floor(r / 60)}m${String(r % 60).padStart(2, "0")}s`;
  return `${r}s`;
}

export function startProgress(stage: string, total: number, log: Config["log"]): Progress {
  const bars = log.progress === "bars" || (log.progress === "auto" && process.stdout.isTTY === true);
  const t0 = performance.now();
  if (bars) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${stage.padEnd(5)} {bar} {value}/{total} | {info} | {duration_formatted} ETA {eta_formatted}`,
        barsize: 24,
        hideCursor: true,
        etaBuffer: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { info: "" });
    return {
      tick: (step, fields) => bar.update(step, { info: fieldsText(fields) }),
      done: () => bar.stop(),
    };
  }
  let last = 0;
  return {
    tick(step, fields) {
      if (step % log.every !== 0 && step !== total && step !== 1) return;
      last = step;
      const el = (performance.now() - t0) / 1000;
      const eta = (el / step) * (total - step);
      console.log(
        `[${stage}] ${step}/${total}  ${fieldsText(fields)}  (${duration(el)}, ETA ${duration(eta)})`,
      );
    },
    done() {
      if (last === 0 && total > 0)
        console.log(`[${stage}] done in ${duration((performance.now() - t0) / 1000)}`);
    },
  };
}
