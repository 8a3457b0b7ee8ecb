// The language-model tools (Copilot agent mode and other chat participants call them) without
// the editor: their names, the model's input checked and turned into request params, and the
// answer as text within a budget, as `nearcode mcp` gives it to agents.

import { displayPath, type FolderRef } from './hits';
import { lastLine } from './completionContext';
import type { CompletionContextParams, FindSimilarParams, Hit, SearchParams, Snippet } from './types';

export const TOOL_SEARCH = 'nearcode_search';
export const TOOL_FIND_SIMILAR = 'nearcode_findSimilar';
export const TOOL_COMPLETION_CONTEXT = 'nearcode_completionContext';
export const LM_TOOLS = [TOOL_SEARCH, TOOL_FIND_SIMILAR, TOOL_COMPLETION_CONTEXT] as const;

/** The whole answer stays under this many characters (about 3–4k tokens). */
export const MAX_RESULT_CHARS = 12_000;
/** A hit's code is cut at a line end after this many characters. */
export const CODE_CHARS_PER_HIT = 1_200;
export const SEARCH_LIMIT = 8;
export const MAX_SEARCH_LIMIT = 30;
export const CONTEXT_LIMIT = 5;
export const MAX_CONTEXT_LIMIT = 10;
export const CONTEXT_CHARS = 6_000;
export const MAX_CONTEXT_CHARS = 10_000;
/** A range end past any file's last line: the server clamps it (findSimilar of a whole file). */
const WHOLE_FILE_END = 10_000_000;

/** Input the tool cannot use; the message says which field and why (the model reads it). */
export class ToolInputError extends Error {}

export interface SearchInput {
  query: string;
  limit?: number;
  paths?: string[];
  languages?: string[];
}

export interface FindSimilarInput {
  path?: string;
  line?: number;
  endLine?: number;
  code?: string;
  limit?: number;
}

export interface CompletionContextInput {
  path: string;
  line: number;
  character?: number;
  maxChars?: number;
  limit?: number;
}

type Fields = Record<string, unknown>;

function fields(input: unknown): Fields {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ToolInputError('the input must be an object');
  }
  return input as Fields;
}

function text(f: Fields, name: string, required: boolean): string | undefined {
  const value = f[name];
  if (value === undefined || value === null) {
    if (required) {
      throw new ToolInputError(`'${name}' is required`);
    }
    return undefined;
  }
  if (typeof value !== 'string') {
    throw new ToolInputError(`'${name}' must be a string`);
  }
  if (value.trim() === '') {
    throw new ToolInputError(`'${name}' must not be empty`);
  }
  return value;
}

function int(f: Fields, name: string, lo: number, hi: number): number | undefined {
  const value = f[name];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new ToolInputError(`'${name}' must be an integer`);
  }
  if (value < lo || value > hi) {
    throw new ToolInputError(`'${name}' must be between ${lo} and ${hi}, got ${value}`);
  }
  return value;
}

function strings(f: Fields, name: string): string[] | undefined {
  const value = f[name];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new ToolInputError(`'${name}' must be a list of strings`);
  }
  return value as string[];
}

/** nearcode/search params from the model's input. */
export function searchParams(input: unknown): SearchParams {
  const f = fields(input);
  const params: SearchParams = {
    query: text(f, 'query', true)!,
    limit: int(f, 'limit', 1, MAX_SEARCH_LIMIT) ?? SEARCH_LIMIT,
  };
  const languages = strings(f, 'languages');
  const paths = strings(f, 'paths');
  if (languages?.length) {
    params.languages = languages;
  }
  if (paths?.length) {
    params.paths = paths;
  }
  return params;
}

/**
 * nearcode/findSimilar params: the definition at `path`:`line`, lines `line`..`endLine`, the
 * whole file at `path`, or `code`. `uriOf` turns a path the model gave into a file URI.
 */
export function findSimilarParams(input: unknown, uriOf: (path: string) => string): FindSimilarParams {
  const f = fields(input);
  const path = text(f, 'path', false);
  const code = text(f, 'code', false);
  const line = int(f, 'line', 1, WHOLE_FILE_END);
  const endLine = int(f, 'endLine', 1, WHOLE_FILE_END);
  const limit = int(f, 'limit', 1, MAX_SEARCH_LIMIT) ?? SEARCH_LIMIT;
  if (path !== undefined && code !== undefined) {
    throw new ToolInputError("give either 'path' (with 'line') or 'code', not both");
  }
  if (code !== undefined) {
    if (line !== undefined || endLine !== undefined) {
      throw new ToolInputError("'line' and 'endLine' go with 'path', not with 'code'");
    }
    return { text: code, limit };
  }
  if (path === undefined) {
    throw new ToolInputError("give 'path' (a file in the workspace, with 'line' for the definition there) or 'code'");
  }
  if (endLine !== undefined && line === undefined) {
    throw new ToolInputError("'endLine' needs 'line'");
  }
  if (line !== undefined && endLine !== undefined && endLine < line) {
    throw new ToolInputError(`'endLine' (${endLine}) is before 'line' (${line})`);
  }
  const textDocument = { uri: uriOf(path) };
  if (line === undefined) {
    return { textDocument, range: { start: { line: 0, character: 0 }, end: { line: WHOLE_FILE_END, character: 0 } }, limit };
  }
  if (endLine === undefined) {
    return { textDocument, position: { line: line - 1, character: 0 }, limit };
  }
  return { textDocument, range: { start: { line: line - 1, character: 0 }, end: { line: endLine, character: 0 } }, limit };
}

/**
 * nearcode/completionContext params. `lineLength(line)` gives the length of a 0-based line of
 * the file (undefined past its end), for the default cursor: the end of the line.
 */
export function completionContextToolParams(
  input: unknown,
  uriOf: (path: string) => string,
  lineLength: (line: number) => number | undefined,
): CompletionContextParams {
  const f = fields(input);
  const path = text(f, 'path', true)!;
  const line = int(f, 'line', 1, WHOLE_FILE_END);
  if (line === undefined) {
    throw new ToolInputError("'line' is required (1-based)");
  }
  const width = lineLength(line - 1);
  if (width === undefined) {
    throw new ToolInputError(`line ${line} is past the end of ${path}`);
  }
  const character = int(f, 'character', 0, WHOLE_FILE_END) ?? width;
  if (character > width) {
    throw new ToolInputError(`line ${line} of ${path} has ${width} characters; character ${character} is past its end`);
  }
  return {
    textDocument: { uri: uriOf(path) },
    position: { line: line - 1, character },
    limit: int(f, 'limit', 1, MAX_CONTEXT_LIMIT) ?? CONTEXT_LIMIT,
    maxChars: int(f, 'maxChars', 200, MAX_CONTEXT_CHARS) ?? CONTEXT_CHARS,
  };
}

/** `code` cut after the last whole line within `limit` characters, and the lines left out. */
export function trimCode(code: string, limit: number): { code: string; cut: number } {
  const body = code.replace(/\n+$/, '');
  if (body.length <= limit) {
    return { code: body, cut: 0 };
  }
  const lines = body.split('\n');
  const kept: string[] = [];
  let size = 0;
  for (const line of lines) {
    if (size + line.length + 1 > limit) {
      break;
    }
    kept.push(line);
    size += line.length + 1;
  }
  if (kept.length === 0) {
    kept.push(`${lines[0].slice(0, Math.max(0, limit - 1))}…`);
  }
  return { code: kept.join('\n'), cut: lines.length - kept.length };
}

function fence(code: string): string {
  const longest = Math.max(2, ...Array.from(code.matchAll(/`+/g), (m) => m[0].length));
  return '`'.repeat(longest + 1);
}

/** `1. shop/tax.py:3-10  compute_sales_tax  (function, python, score 0.8123)`. */
export function hitHeader(rank: number, hit: Hit, folders: readonly FolderRef[]): string {
  const name = hit.symbol ? `  ${hit.symbol}` : '';
  const lines = `${hit.range.start.line + 1}-${lastLine(hit.range) + 1}`;
  return `${rank}. ${displayPath(hit.uri, folders)}:${lines}${name}  (${hit.kind ?? 'code'}, ${hit.language}, score ${hit.score.toFixed(4)})`;
}

/**
 * The answer the model reads: `title`, then every hit's header (the ranking is the answer) and
 * the code of the best ranked ones while `maxChars` lasts; a snippet's full text, else a hit's
 * preview.
 */
export function renderHits(
  title: string,
  hits: readonly (Hit | Snippet)[],
  folders: readonly FolderRef[],
  options: { codeChars?: number; maxChars?: number; empty?: string } = {},
): string {
  const maxChars = options.maxChars ?? MAX_RESULT_CHARS;
  const codeChars = options.codeChars ?? CODE_CHARS_PER_HIT;
  const head = `${title.trimEnd()}\n`;
  if (hits.length === 0) {
    return `${head}${options.empty ?? 'No results.'}\n`;
  }
  const tailReserve = 120;
  let room = maxChars - head.length - tailReserve;
  const headers: string[] = [];
  for (const [i, hit] of hits.entries()) {
    const h = `${hitHeader(i + 1, hit, folders)}\n`;
    if (h.length > room) {
      break;
    }
    headers.push(h);
    room -= h.length;
  }
  const parts = [head];
  let withoutCode = 0;
  headers.forEach((h, i) => {
    const hit = hits[i];
    const source = 'text' in hit ? hit.text : hit.preview;
    const { code, cut } = trimCode(source, codeChars);
    const f = fence(code);
    let block = `${f}${hit.language}\n${code}\n${f}\n`;
    if (cut) {
      block += `… ${cut} more line${cut === 1 ? '' : 's'} (read the file for the rest)\n`;
    }
    parts.push(h);
    if (block.length <= room) {
      parts.push(block);
      room -= block.length;
    } else {
      withoutCode++;
    }
  });
  const plural = (n: number) => (n === 1 ? '' : 's');
  if (withoutCode) {
    parts.push(`(${withoutCode} result${plural(withoutCode)} listed without code: the answer is kept under ${maxChars} characters)\n`);
  }
  const dropped = hits.length - headers.length;
  if (dropped) {
    parts.push(`(${dropped} more result${plural(dropped)} left out: the answer is kept under ${maxChars} characters)\n`);
  }
  return parts.join('');
}
