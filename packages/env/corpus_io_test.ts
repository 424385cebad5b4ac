import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readCorpus, readQA, writeJsonl } from "./corpus_files.ts";
import { collect, DataFormatError, makeContents, splitContents } from "./corpus_io.ts";

const dir = mkdtempSync(join(tmpdir(), "mempo-env-io-"));

describe("corpus and QA JSONL", () => {
  it("round-trips documents and questions through files", async () => {
    const docs = [
      { id: "0", contents: makeContents("Alma R. Vetterling", "Alma R. Vetterling was born in 1947.") },
      { id: "1", contents: makeContents("Sarn River", 'The "Sarn" River\nis long.') },
    ];
    const qa = [
      {
        id: "q0",
        question: "When was Alma R. Vetterling born?",
        golden_answers: ["1947"],
        metadata: { kind: "x" },
      },
      { id: "q1", question: "How long is the Sarn River?", golden_answers: ["412 km", "412"] },
    ];
    await writeJsonl(join(dir, "corpus.jsonl"), docs);
    await writeJsonl(join(dir, "qa.jsonl"), qa);
    expect(await collect(readCorpus(join(dir, "corpus.jsonl")))).toEqual(docs);
    expect(await collect(readQA(join(dir, "qa.jsonl")))).toEqual(qa);
  });

  it("splits and builds the quoted title line", () => {
    expect(splitContents('"Sarn River"\nThe river.\nMore.')).toEqual({
      title: "Sarn River",
      text: "The river.\nMore.",
    });
    expect(splitContents("Plain title\ntext")).toEqual({ title: "Plain title", text: "text" });
    expect(splitContents("no title")).toEqual({ title: "", text: "no title" });
    expect(makeContents("T", "x")).toBe('"T"\nx');
  });

  it("accepts numeric ids and skips blank lines", async () => {
    const f = join(dir, "num.jsonl");
    writeFileSync(f, '{"id": 7, "contents": "\\"T\\"\\nx"}\n\n{"id": "8", "contents": "y"}\n');
    expect(await collect(readCorpus(f))).toEqual([
      { id: "7", contents: '"T"\nx' },
      { id: "8", contents: "y" },
    ]);
  });

  it.each([
    ['{"id": "0", "contents": "ok"}\n{"id": "1", "contents": 5}\n', "corpus", 2, "contents"],
    ['{"id": "0", "contents": "ok"}\n{"id": "1",\n', "corpus", 2, "(line)"],
    ['{"id": "0"}\n', "corpus", 1, "contents"],
    ['{"id": "q", "question": "Q?", "golden_answers": []}\n', "qa", 1, "golden_answers"],
    ['{"id": "q", "question": "Q?", "golden_answers": ["a", 3]}\n', "qa", 1, "golden_answers.1"],
    ['{"question": "Q?", "golden_answers": ["a"]}\n', "qa", 1, "id"],
    ["[1, 2]\n", "qa", 1, "(record)"],
  ])("names file, line and field: %j", async (text, kind, line, field) => {
    const f = join(dir, `bad-${kind}-${line}-${field}.jsonl`);
    writeFileSync(f, text);
    const read = kind === "corpus" ? collect(readCorpus(f)) : collect(readQA(f));
    const err = await read.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DataFormatError);
    const e = err as DataFormatError;
    expect(e.file).toBe(f);
    expect(e.line).toBe(line);
    expect(e.field).toBe(field);
    expect(e.message).toContain(`${f}:${line}: field '${field}'`);
  });

  it("reads lines as strict UTF-8: a gold answer never turns into U+FFFD", async () => {
    const f = join(dir, "latin1.jsonl");
    const good = Buffer.from('{"id": "q0", "question": "Who?", "golden_answers": ["Zoë"]}\r\n', "utf8");
    // "José" in Latin-1: 0xE9 is not UTF-8
    const bad = Buffer.concat([
      Buffer.from('{"id": "q1", "question": "Who?", "golden_answers": ["Jos'),
      Buffer.from([0xe9]),
      Buffer.from('"]}\n'),
    ]);
    writeFileSync(f, good);
    expect((await collect(readQA(f)))[0]!.golden_answers).toEqual(["Zoë"]);
    writeFileSync(f, Buffer.concat([good, good, bad]));
    const err = await collect(readQA(f)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataFormatError);
    expect((err as Error).message).toBe(
      `${f}:3: field '(line)' is not valid UTF-8; the file is corrupt or in another encoding (save it as UTF-8)`,
    );
  });

  it("splits lines across read chunks without breaking multi-byte characters", async () => {
    const f = join(dir, "long.jsonl");
    const records = Array.from({ length: 3000 }, (_, i) => ({
      id: `d${i}`,
      contents: `"Ünïcödé ${i}"\n${"ß€".repeat(i % 50)}`,
    }));
    writeFileSync(f, records.map((r) => JSON.stringify(r)).join("\n"));
    expect(await collect(readCorpus(f))).toEqual(records);
  });

  it.skipIf(!existsSync("/dev/full"))("a failed write (disk full) names the file", async () => {
    const err = await writeJsonl("/dev/full", [{ id: "1", contents: "x".repeat(1 << 17) }]).catch(
      (e: unknown) => e,
    );
    expect(String(err)).toMatch(/^Error: \/dev\/full: cannot write \(ENOSPC/);
  });
});
