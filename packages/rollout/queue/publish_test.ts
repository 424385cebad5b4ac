import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Model, preset } from "@mempo/model";
import { afterAll, describe, expect, it } from "vitest";
import { scriptedPolicy } from "../scripted_policy.ts";
import { tinyWorld } from "../testing.ts";
import {
  type LoadedPolicy,
  localPolicyDir,
  modelLoader,
  PolicyCache,
  PolicyTooOldError,
  type PublishedPolicy,
  parsePublished,
  writePolicy,
} from "./publish.ts";

const { tokenizer: tok } = tinyWorld();
const tmp = mkdtempSync(join(tmpdir(), "mempo-publish-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const published = (version: number): PublishedPolicy => ({
  version,
  dir: `/x/policy-${version}`,
  publishedAt: "",
});

/** A cache over a settable "newest published" version and a loader that records loads and disposals. */
function fixture(keep = 2) {
  let latest: PublishedPolicy | null = null;
  const loads: number[] = [];
  const disposed: number[] = [];
  const cache = new PolicyCache(
    async () => latest,
    async (p): Promise<LoadedPolicy> => {
      loads.push(p.version);
      await new Promise((r) => setTimeout(r, 5));
      return {
        policy: scriptedPolicy({ codec: tok, respond: () => "" }),
        dispose: () => disposed.push(p.version),
      };
    },
    keep,
  );
  return { cache, loads, disposed, publish: (v: number) => (latest = published(v)) };
}

describe("PolicyCache", () => {
  it("refuses a job that needs a newer version than is published, naming both", async () => {
    const f = fixture();
    await expect(f.cache.acquire(0)).rejects.toThrow(
      /needs policy version ≥ 0 but no policy is published yet/,
    );
    f.publish(2);
    const err = await f.cache.acquire(3, " (learner 4 − staleness 1)").catch((e) => e);
    expect(err).toBeInstanceOf(PolicyTooOldError);
    expect(err.message).toBe(
      "needs policy version ≥ 3 (learner 4 − staleness 1) but the newest published is 2",
    );
    expect(f.loads).toEqual([]);
  });

  it("loads the newest version once for concurrent jobs, sets its version, frees old ones when unused", async () => {
    const f = fixture(1);
    f.publish(1);
    const [a, b] = await Promise.all([f.cache.acquire(0), f.cache.acquire(1)]);
    expect(f.loads).toEqual([1]);
    expect(a.policy).toBe(b.policy);
    expect(a.version).toBe(1);
    expect(a.policy.version).toBe(1); // StepRecords get the loaded version
    f.publish(3);
    const c = await f.cache.acquire(0); // an old minimum still gets the newest version
    expect(c.version).toBe(3);
    expect(f.cache.versions).toEqual([1, 3]); // 1 is in use
    a.release();
    b.release();
    b.release(); // idempotent
    await new Promise((r) => setTimeout(r, 0));
    expect(f.cache.versions).toEqual([3]);
    expect(f.disposed).toEqual([1]);
    c.release();
    f.cache.dispose();
    await new Promise((r) => setTimeout(r, 0));
    expect(f.disposed).toEqual([1, 3]);
    expect(f.cache.loads).toBe(2);
  });

  it("a failed load is not cached: the next job tries again", async () => {
    let fail = true;
    const cache = new PolicyCache(
      async () => published(0),
      async () => {
        if (fail) throw new Error("disk not mounted");
        return { policy: scriptedPolicy({ codec: tok, respond: () => "" }) };
      },
    );
    await expect(cache.acquire(0)).rejects.toThrow("disk not mounted");
    fail = false;
    expect((await cache.acquire(0)).version).toBe(0);
  });
});

describe("policy files", () => {
  it("writePolicy + modelLoader: the worker's model equals the orchestrator's bit for bit", async () => {
    const m = Model.init(preset("tiny-gpt2"), { seed: 3 });
    const dir = await writePolicy(tmp, 7, m);
    expect(dir).toBe(join(tmp, "policy-7"));
    const { policy, dispose } = await modelLoader()({ version: 7, dir, publishedAt: "" });
    expect(policy.version).toBe(7);
    const loaded = await (policy as unknown as { model: Model }).model.toArrays();
    const want = await m.toArrays();
    for (const [name, a] of want)
      expect(Buffer.from(loaded.get(name)!.buffer).equals(Buffer.from(a.buffer))).toBe(true);
    dispose?.();
    // another machine's copy of the directory
    const remote = await modelLoader({ policyRoot: tmp })({
      version: 7,
      dir: "/elsewhere/policy-7",
      publishedAt: "",
    });
    expect(remote.policy.version).toBe(7);
  });

  it("a missing checkpoint names the directory and the fix; a bad record names the key and field", async () => {
    await expect(modelLoader()(published(4))).rejects.toThrow(
      /cannot load policy version 4 from \/x\/policy-4: .*policyRoot \/ mempo worker --rollout.policyRoot/,
    );
    expect(localPolicyDir(published(4), "/mnt/p")).toBe("/mnt/p/policy-4");
    expect(() => parsePublished('{"version": -1, "dir": "d", "publishedAt": ""}', "key k")).toThrow(
      /key k is malformed:\n {2}version: /,
    );
    expect(() => parsePublished("{", "key k")).toThrow(/key k: not JSON/);
  });
});
