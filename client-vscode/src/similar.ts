// `nearcode: Find Similar Code`: the selection, or the function at the cursor, as the query;
// the answers in a peek view, navigable like references.

import * as vscode from 'vscode';
import { FIND_SIMILAR } from './common/constants';
import { hitsToLocations } from './common/hits';
import { findSimilarParams } from './common/params';
import type { HitsResult } from './common/types';
import type { ServerManager } from './server';
import { hitRange, isCancellation, toPosition, toRange } from './util';


export async function findSimilarCode(server: ServerManager, target?: vscode.Uri): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || (target && editor.document.uri.toString() !== target.toString())) {
    void vscode.window.showInformationMessage(
      'nearcode: open a file and put the cursor in a function (or select code) to find similar code.');
    return;
  }
  const limit = vscode.workspace.getConfiguration('nearcode.findSimilar').get<number>('maxResults', 10);
  const params = findSimilarParams(editor.document.uri.toString(), {
    ...toRange(editor.selection),
    active: toPosition(editor.selection.active),
  }, limit);
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: 'nearcode: finding similar code', cancellable: true },
    async (_progress, token) => {
      const client = await server.ready();
      if (!client) {
        return undefined;
      }
      try {
        return await client.sendRequest<HitsResult>(FIND_SIMILAR, params, token);
      } catch (error) {
        if (!isCancellation(error)) {
          void vscode.window.showErrorMessage(`nearcode: Find Similar Code failed: ${(error as Error).message}`);
        }
        return undefined;
      }
    });
  if (!result) {
    return;
  }
  if (result.results.length === 0) {
    void vscode.window.showInformationMessage('nearcode: no similar code found.');
    return;
  }
  const locations = hitsToLocations(result.results).map(
    (l) => new vscode.Location(vscode.Uri.parse(l.uri), hitRange(l.range)));
  // The same peek widget as Find All References: a list to step through with F4 / Shift+F4.
  await vscode.commands.executeCommand(
    'editor.action.peekLocations', editor.document.uri, editor.selection.active, locations, 'peek');
}
