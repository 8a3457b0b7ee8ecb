// The Markdown shown by `nearcode: Show Completion Context`.

import { displayPath, type FolderRef } from './hits';
import type { Range, Snippet } from './types';

/** A fence longer than any backtick run in `text`, so the code cannot close it early. */
function fenceFor(text: string): string {
  const longest = Math.max(2, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  return '`'.repeat(longest + 1);
}

/** The last line a range covers (0-based): an end at character 0 stops before its line. */
export function lastLine(range: Range): number {
  return range.end.character === 0 && range.end.line > range.start.line ? range.end.line - 1 : range.end.line;
}

/**
 * Renders what would be sent to a completion model at `where` (e.g. `src/app.py:12:4`).
 */
export function renderCompletionContext(
  where: string,
  snippets: readonly Snippet[],
  folders: readonly FolderRef[],
): string {
  const total = snippets.reduce((n, s) => n + s.text.length, 0);
  const lines = [
    `# nearcode completion context`,
    '',
    `At \`${where}\`: ${snippets.length} snippet${snippets.length === 1 ? '' : 's'}, ${total} characters.`,
    '',
  ];
  if (snippets.length === 0) {
    lines.push('_Nothing from elsewhere in the workspace matches this cursor._', '');
  }
  snippets.forEach((s, i) => {
    const path = `${displayPath(s.uri, folders)}:${s.range.start.line + 1}-${lastLine(s.range) + 1}`;
    const name = s.symbol ? `\`${s.symbol}\` — ` : '';
    const fence = fenceFor(s.text);
    lines.push(`## ${i + 1}. ${name}${path}`, '', `score ${s.score.toFixed(3)}${s.kind ? ` · ${s.kind}` : ''} · ${s.language}`, '');
    lines.push(`${fence}${s.language}`, s.text.replace(/\n$/, ''), fence, '');
  });
  return lines.join('\n');
}
