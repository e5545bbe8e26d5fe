import type { CustomMetadata } from '../api/types';

/** What an adapter stamps on its records' `metadata`: its framework's name and its own version. */
export interface AdapterStamp {
  /** The framework the adapter tracks (`ai-sdk`, `mastra`, `mcp`, `langchain`, `openai-agents`, `opencode`). */
  readonly framework: string;
  /** The adapter package's version (`perftrack doctor` prints `framework@adapterVersion`). */
  readonly adapterVersion: string;
}

/**
 * The `customMetadata` an adapter passes to core: its frozen `stamp` itself when the user gave
 * none (one object shared by every record: no per-call allocation), the user's object with the
 * stamp merged in once at wrap time, or the user's function unchanged (stamping what it returns
 * would allocate on every call; its records then carry only what it returns).
 */
export function withAdapterStamp(custom: CustomMetadata | undefined, stamp: Readonly<AdapterStamp>): CustomMetadata {
  if (custom === undefined) return stamp;
  if (typeof custom === 'object' && custom !== null) return { ...custom, ...stamp };
  return custom;
}
