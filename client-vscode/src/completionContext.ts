// The public API's getCompletionContext, and the command that shows its answer.

import * as vscode from 'vscode';
import { COMPLETION_CONTEXT } from './common/constants';
import { renderCompletionContext } from './common/completionContext';
import { displayPath } from './common/hits';
import { completionContextParams } from './common/params';
import type { CompletionContextResult } from './common/types';
import type { ServerManager } from './server';
import { folderRefs, toPosition } from './util';

export interface CompletionContextOptions {
  /** At most this many snippets (server default 5). */
  limit?: number;
  /** At most this many characters of snippet text in all (server default: its own budget). */
  maxChars?: number;
  token?: vscode.CancellationToken;
}

/** What a completion model should see from elsewhere in the workspace at `position`. */
export async function getCompletionContext(
  server: ServerManager,
  document: vscode.TextDocument,
  position: vscode.Position,
  options: CompletionContextOptions = {},
): Promise<CompletionContextResult> {
  const client = await server.ready();
  if (!client) {
    throw new Error('the nearcode server is not running');
  }
  const params = completionContextParams(document.uri.toString(), toPosition(position), options);
  // An undefined token would travel as a second positional param: pass one only when given.
  return options.token
    ? client.sendRequest<CompletionContextResult>(COMPLETION_CONTEXT, params, options.token)
    : client.sendRequest<CompletionContextResult>(COMPLETION_CONTEXT, params);
}

export const CONTEXT_SCHEME = 'nearcode-context';

/** Read-only Markdown documents holding rendered completion contexts. */
export class CompletionContextDocuments implements vscode.TextDocumentContentProvider {
  private readonly contents = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private counter = 0;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '';
  }

  /** Stores `markdown` under a fresh URI (one per request, so that earlier ones stay readable). */
  add(markdown: string): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: CONTEXT_SCHEME, path: `/completion-context-${++this.counter}.md` });
    this.contents.set(uri.toString(), markdown);
    this.changed.fire(uri);
    return uri;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

export async function showCompletionContext(server: ServerManager, documents: CompletionContextDocuments): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.uri.scheme !== 'file') {
    void vscode.window.showInformationMessage('nearcode: put the cursor in a file of the workspace to see its completion context.');
    return;
  }
  const position = editor.selection.active;
  let result: CompletionContextResult;
  try {
    result = await getCompletionContext(server, editor.document, position);
  } catch (error) {
    void vscode.window.showErrorMessage(`nearcode: completion context failed: ${(error as Error).message}`);
    return;
  }
  const folders = folderRefs();
  const where = `${displayPath(editor.document.uri.toString(), folders)}:${position.line + 1}:${position.character + 1}`;
  const uri = documents.add(renderCompletionContext(where, result.snippets, folders));
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
  await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: true, preserveFocus: true });
}
