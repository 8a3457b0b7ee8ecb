// Small bridges between the plain types in common/ and the vscode API.

import * as vscode from 'vscode';
import type { FolderRef } from './common/hits';
import type { Position, Range } from './common/types';

export function folderRefs(): FolderRef[] {
  return (vscode.workspace.workspaceFolders ?? []).map((f) => ({ uri: f.uri.toString(), name: f.name }));
}

export function hitRange(range: Range): vscode.Range {
  return new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character);
}

export function toPosition(p: vscode.Position): Position {
  return { line: p.line, character: p.character };
}

export function toRange(r: vscode.Range): Range {
  return { start: toPosition(r.start), end: toPosition(r.end) };
}

/** True for the error a request rejects with after its token was cancelled. */
export function isCancellation(error: unknown): boolean {
  if (error instanceof vscode.CancellationError) {
    return true;
  }
  const e = error as { code?: number; name?: string } | undefined;
  // -32800: RequestCancelled in JSON-RPC/LSP.
  return e?.code === -32800 || e?.name === 'Canceled';
}
