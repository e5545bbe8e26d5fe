import { foldToolId, OTHER_TOOL } from '@perftrack/core/internal';

export { OTHER_TOOL };

/** Largest `maxTools` a tracker accepts: its per-tool arrays are allocated once at this size. */
export const MAX_TOOLS_LIMIT = 100_000;

/**
 * Interns tool ids as dense indices `0..maxTools-1`, so per-tool figures live in typed arrays.
 * Past `maxTools - 1` distinct ids, further tools share one index named {@link OTHER_TOOL}
 * (counted), so the registry never grows past its bound.
 * @internal
 */
export class ToolRegistry {
  readonly #indexOf = new Map<string, number>();
  readonly #names: string[] = [];
  readonly #maxTools: number;
  #otherIndex = -1;
  /** Calls whose tool went to {@link OTHER_TOOL}. */
  otherToolCalls = 0;

  constructor(maxTools: number) {
    this.#maxTools = maxTools;
  }

  /** Distinct tools held (including {@link OTHER_TOOL} once used). */
  get size(): number {
    return this.#names.length;
  }

  /** The index of a tool id, registering it (or {@link OTHER_TOOL}) if new. */
  intern(toolId: string): number {
    const known = this.#indexOf.get(toolId);
    if (known !== undefined) return known;
    if (foldToolId(this.#indexOf, toolId, this.#maxTools) === OTHER_TOOL) {
      this.otherToolCalls++;
      if (this.#otherIndex < 0) this.#otherIndex = this.#add(OTHER_TOOL);
      return this.#otherIndex;
    }
    return this.#add(toolId);
  }

  /** The index of a known tool id, or `undefined`; never registers. */
  find(toolId: string): number | undefined {
    return this.#indexOf.get(toolId);
  }

  nameOf(index: number): string {
    return this.#names[index]!;
  }

  /** All tool names, by index. */
  names(): readonly string[] {
    return this.#names;
  }

  clear(): void {
    this.#indexOf.clear();
    this.#names.length = 0;
    this.#otherIndex = -1;
    this.otherToolCalls = 0;
  }

  #add(name: string): number {
    const index = this.#names.length;
    this.#names.push(name);
    this.#indexOf.set(name, index);
    return index;
  }
}
