/**
 * Allocator for tensor storage inside the shared WebAssembly.Memory: size classes (four per power of
 * two, 64-byte aligned) with a free list per class, a bump pointer above them, and memory.grow when
 * the bump pointer reaches the end. No coalescing: training loops allocate the same shapes every step,
 * so classes fill up and then recycle. A request whose class has no free block borrows the smallest
 * free block of a class up to four times its size before it takes fresh memory: a batch of a new length
 * (every SFT step has one) otherwise keeps carving fresh pages, and the first touch of a fresh page (a
 * page fault, several µs in a VM) costs far more than clearing the block. A borrowed block returns to
 * its own class when freed.
 *
 * Test: packages/kernels/wasm/alloc_test.ts.
 */

const PAGE = 65536;
const ALIGN = 64;

/** Rounds a byte count up to its size class (≥ 64, at most 25% larger). */
export function sizeClass(bytes: number): number {
  if (bytes <= ALIGN) return ALIGN;
  const p = 2 ** Math.floor(Math.log2(bytes - 1));
  const step = Math.max(ALIGN, p / 4);
  return Math.ceil(bytes / step) * step;
}

/** The size class after `cls` (a class: sizeClass(cls) = cls). */
function nextClass(cls: number): number {
  return sizeClass(cls + 1);
}

export class Allocator {
  readonly memory: WebAssembly.Memory;
  readonly maxBytes: number;
  #top: number;
  #free = new Map<number, number[]>();
  /** Blocks handed out from a larger class than their request's: pointer → that class. */
  #borrowed = new Map<number, number>();
  #live = 0;
  /** Clears a reused block (the engine installs a multi-threaded one); default: a host fill. */
  zeroer: (ptr: number, bytes: number) => void = (ptr, bytes) => {
    new Uint8Array(this.memory.buffer, ptr, bytes).fill(0);
  };

  /** Manages memory from byte `base` (a multiple of 64) up to the memory's maximum `maxBytes`. */
  constructor(memory: WebAssembly.Memory, base: number, maxBytes: number) {
    if (base % ALIGN !== 0) throw new Error(`Allocator: base ${base} is not ${ALIGN}-byte aligned.`);
    this.memory = memory;
    this.maxBytes = maxBytes;
    this.#top = base;
  }

  /** Returns a 64-byte aligned block of at least `bytes` bytes; `zero` clears a reused block. */
  alloc(bytes: number, zero = true): number {
    const cls = sizeClass(bytes);
    const reused = this.#free.get(cls)?.pop();
    if (reused !== undefined) {
      this.#live += cls;
      if (zero) this.zeroer(reused, cls);
      return reused;
    }
    // the smallest free block of a larger class, up to four times this one
    for (let c = nextClass(cls); c <= 4 * cls; c = nextClass(c)) {
      const ptr = this.#free.get(c)?.pop();
      if (ptr === undefined) continue;
      this.#live += c;
      this.#borrowed.set(ptr, c);
      if (zero) this.zeroer(ptr, cls);
      return ptr;
    }
    this.#live += cls;
    const ptr = this.#top;
    const end = ptr + cls;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      if (end > this.maxBytes) {
        this.#live -= cls;
        throw new Error(
          `wasm backend: out of memory allocating ${(cls / 2 ** 20).toFixed(1)} MiB ` +
            `(live ${(this.#live / 2 ** 20).toFixed(1)} MiB, shared memory maximum ${this.maxBytes / 2 ** 20} MiB). ` +
            `Fix: dispose tensors (tidy()), or raise MEMPO_WASM_MAX_MB (at most 4096).`,
        );
      }
      // Grow by what is missing plus 1/8 of the current size, within the maximum.
      const want = Math.min(this.maxBytes, Math.max(end, have + have / 8));
      this.memory.grow(Math.ceil((want - have) / PAGE));
    }
    this.#top = end;
    return ptr; // fresh memory is zero
  }

  /** Returns a block from `alloc(bytes)` to its class's free list. */
  free(ptr: number, bytes: number): void {
    let cls = sizeClass(bytes);
    const own = this.#borrowed.get(ptr);
    if (own !== undefined) {
      this.#borrowed.delete(ptr);
      cls = own;
    }
    this.#live -= cls;
    let list = this.#free.get(cls);
    if (!list) {
      list = [];
      this.#free.set(cls, list);
    }
    list.push(ptr);
  }

  /** Bytes handed out and not freed; bytes below the bump pointer; current memory size. */
  stats(): { liveBytes: number; usedBytes: number; memoryBytes: number } {
    return { liveBytes: this.#live, usedBytes: this.#top, memoryBytes: this.memory.buffer.byteLength };
  }
}
