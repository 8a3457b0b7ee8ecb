// Hits as the editor shows them: QuickPick rows and reference-style locations.

import type { Hit, Range } from './types';

/** A workspace folder as far as labels care: its URI and display name. */
export interface FolderRef {
  uri: string;
  name: string;
}

/** The data of one QuickPick row; the vscode side adds nothing but the type. */
export interface HitPickItem {
  label: string;
  description: string;
  detail: string;
  alwaysShow: true;
  hit: Hit;
}

const KIND_ICONS: Record<string, string> = {
  function: 'symbol-function',
  method: 'symbol-method',
  class: 'symbol-class',
  interface: 'symbol-interface',
  struct: 'symbol-struct',
  enum: 'symbol-enum',
  module: 'symbol-namespace',
  namespace: 'symbol-namespace',
  variable: 'symbol-variable',
  constant: 'symbol-constant',
  type: 'symbol-class',
  property: 'symbol-property',
};

const DETAIL_MAX = 160;

/** The codicon for a chunk kind; plain code gets a generic one. */
export function kindIcon(kind: string | null | undefined): string {
  return (kind && KIND_ICONS[kind]) || 'symbol-snippet';
}

/** Keep `$(name)` in user text from being drawn as an icon. */
export function escapeIcons(text: string): string {
  return text.replace(/\$\(([a-z0-9-]+?(?:~[a-z0-9-]*?)?)\)/gi, '\\$($1)');
}

/**
 * The preview line that best shows the chunk: the one naming its symbol (a chunk may begin with
 * a docstring or decorators), else the first non-blank one; whitespace collapsed, cut to a row.
 */
export function previewLine(preview: string, symbol?: string | null): string {
  const lines = preview.split('\n').filter((line) => line.trim() !== '');
  const name = symbol ? symbol.split(/[.:#]/).pop() : undefined;
  const chosen = (name && lines.find((line) => line.includes(name))) || lines[0] || '';
  const flat = chosen.replace(/\s+/g, ' ').trim();
  return flat.length > DETAIL_MAX ? `${flat.slice(0, DETAIL_MAX - 1)}…` : flat;
}

/**
 * A hit's path for display: relative to its workspace folder (prefixed with the folder's name
 * when there are several, as VS Code does), else the URI's path.
 */
export function displayPath(uri: string, folders: readonly FolderRef[]): string {
  for (const folder of folders) {
    const base = folder.uri.endsWith('/') ? folder.uri : `${folder.uri}/`;
    if (uri.startsWith(base)) {
      const rel = decodePath(uri.slice(base.length));
      return folders.length > 1 ? `${folder.name}/${rel}` : rel;
    }
  }
  const match = /^[a-z][a-z0-9+.-]*:\/\/[^/]*(\/.*)$/i.exec(uri);
  return decodePath(match ? match[1] : uri);
}

function decodePath(path: string): string {
  return path.split('/').map((part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  }).join('/');
}

/** `path:line` with the 1-based line the editor shows. */
export function hitLocationLabel(hit: Hit, folders: readonly FolderRef[]): string {
  return `${displayPath(hit.uri, folders)}:${hit.range.start.line + 1}`;
}

/** One QuickPick row: symbol (or the first line of code), path:line, and a preview line. */
export function hitToPickItem(hit: Hit, folders: readonly FolderRef[]): HitPickItem {
  const line = previewLine(hit.preview, hit.symbol);
  const title = hit.symbol || line || '(empty chunk)';
  return {
    label: `$(${kindIcon(hit.kind)}) ${escapeIcons(title)}`,
    description: hitLocationLabel(hit, folders),
    detail: hit.symbol ? escapeIcons(line) : '',
    // The server already ranked these; VS Code must not hide rows whose label misses the query.
    alwaysShow: true,
    hit,
  };
}

/** The hits as `{uri, range}` locations, each hit once, in rank order. */
export function hitsToLocations(hits: readonly Hit[]): { uri: string; range: Range }[] {
  const seen = new Set<string>();
  const out: { uri: string; range: Range }[] = [];
  for (const hit of hits) {
    const key = `${hit.uri}#${hit.range.start.line}:${hit.range.start.character}-${hit.range.end.line}:${hit.range.end.character}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push({ uri: hit.uri, range: hit.range });
    }
  }
  return out;
}
