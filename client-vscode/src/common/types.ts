// The wire shapes of nearcode's requests (see the server README's request contract).
// Plain JSON types: no 'vscode' import, so the logic built on them runs under node:test.

/** LSP position: 0-based line and UTF-16 character. */
export interface Position {
  line: number;
  character: number;
}

/** LSP range, 0-based, end exclusive. */
export interface Range {
  start: Position;
  end: Position;
}

/** One ranked chunk of code. */
export interface Hit {
  uri: string;
  range: Range;
  score: number;
  symbol?: string | null;
  kind?: string | null;
  language: string;
  preview: string;
}

/** A completion-context snippet: a hit with its full text. */
export interface Snippet extends Hit {
  text: string;
}

export interface SearchParams {
  query: string;
  limit?: number;
  languages?: string[];
  paths?: string[];
}

export interface FindSimilarParams {
  textDocument?: { uri: string };
  range?: Range;
  position?: Position;
  text?: string;
  limit?: number;
}

export interface CompletionContextParams {
  textDocument: { uri: string };
  position: Position;
  limit?: number;
  maxChars?: number;
}

export interface HitsResult {
  results: Hit[];
}

export interface CompletionContextResult {
  snippets: Snippet[];
}

export interface IndexStatus {
  state: 'indexing' | 'idle' | string;
  files: number;
  chunks: number;
  /** Chunks with a vector; the others are found by their words until then (older servers: absent). */
  chunksEmbedded?: number;
  pendingFiles: number;
  /** The model's name; null before the workspace is open. */
  model: string | null;
}

/** The value of a `$/progress` notification for work-done progress. */
export type WorkDoneProgressValue =
  | { kind: 'begin'; title: string; message?: string; percentage?: number; cancellable?: boolean }
  | { kind: 'report'; message?: string; percentage?: number; cancellable?: boolean }
  | { kind: 'end'; message?: string };
