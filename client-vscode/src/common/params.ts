// The params of nearcode's requests, built from what the editor knows.

import type { CompletionContextParams, FindSimilarParams, Position, Range } from './types';

/** An editor selection as far as requests care. */
export interface SelectionLike extends Range {
  active: Position;
}

const isEmpty = (r: Range): boolean => r.start.line === r.end.line && r.start.character === r.end.character;

/**
 * findSimilar params: the selected range when there is a selection, else the cursor position
 * (the server then takes the chunk that encloses it, i.e. the function at the cursor).
 */
export function findSimilarParams(uri: string, selection: SelectionLike, limit: number): FindSimilarParams {
  return isEmpty(selection)
    ? { textDocument: { uri }, position: { ...selection.active }, limit }
    : { textDocument: { uri }, range: { start: { ...selection.start }, end: { ...selection.end } }, limit };
}

/** completionContext params; limit and maxChars only when given, so the server's defaults apply. */
export function completionContextParams(
  uri: string,
  position: Position,
  options: { limit?: number; maxChars?: number } = {},
): CompletionContextParams {
  const params: CompletionContextParams = { textDocument: { uri }, position: { ...position } };
  if (options.limit !== undefined) {
    params.limit = options.limit;
  }
  if (options.maxChars !== undefined) {
    params.maxChars = options.maxChars;
  }
  return params;
}
