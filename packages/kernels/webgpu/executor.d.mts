// Types of executor.mjs (plain JS so it runs in the device worker without a TS loader).
export type Command =
  | { op: "alloc"; id: number; bytes: number }
  | { op: "free"; id: number }
  | { op: "write"; id: number; data: ArrayBuffer; offset?: number }
  | {
      op: "dispatch";
      key: string;
      code?: string;
      layout: string;
      ids: number[];
      params: Uint32Array;
      groups: [number, number, number];
    }
  | { op: "copy"; src: number; srcOff: number; dst: number; dstOff: number; bytes: number };
export declare class Executor {
  constructor(device: unknown);
  run(cmds: Command[]): void;
  read(id: number, bytes: number): Promise<ArrayBuffer>;
}
