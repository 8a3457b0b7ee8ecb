// `nearcode: Search Code…`: a QuickPick that asks the server as the user types.

import * as vscode from 'vscode';
import { SEARCH } from './common/constants';
import { hitToPickItem, type HitPickItem } from './common/hits';
import { LatestQuery } from './common/latest';
import type { HitsResult, SearchParams } from './common/types';
import type { ServerManager } from './server';
import { folderRefs, hitRange, isCancellation } from './util';

type Item = vscode.QuickPickItem & { hit?: HitPickItem['hit'] };

/** Opens the search QuickPick; `initial` pre-fills the query (e.g. the selected text). */
export async function searchCode(server: ServerManager, indexing: () => boolean, initial?: string): Promise<void> {
  const config = vscode.workspace.getConfiguration('nearcode.search');
  const delayMs = config.get<number>('debounceMs', 200);
  const limit = config.get<number>('maxResults', 20);

  const pick = vscode.window.createQuickPick<Item>();
  pick.title = 'nearcode: Search Code';
  pick.placeholder = 'Describe the code you are looking for, or type an identifier';
  pick.matchOnDescription = false;
  pick.matchOnDetail = false;
  const disposables: vscode.Disposable[] = [pick];

  const message = (label: string): Item[] => [{ label, alwaysShow: true }];
  const query = new LatestQuery<vscode.CancellationToken, HitsResult>({
    delayMs,
    empty: { results: [] },
    newTokenSource: () => new vscode.CancellationTokenSource(),
    run: async (text, token) => {
      const client = await server.ready();
      if (!client) {
        throw new Error('the nearcode server is not running');
      }
      const params: SearchParams = { query: text, limit };
      return client.sendRequest<HitsResult>(SEARCH, params, token);
    },
    onBusy: (busy) => {
      pick.busy = busy;
    },
    onResult: (text, result) => {
      const folders = folderRefs();
      if (text.trim() === '') {
        pick.items = [];
      } else if (result.results.length === 0) {
        pick.items = message(indexing()
          ? `No code found for “${text}” yet: the workspace is still being indexed`
          : `No code found for “${text}”`);
      } else {
        pick.items = result.results.map((hit) => hitToPickItem(hit, folders));
      }
    },
    onError: (_text, error) => {
      if (!isCancellation(error)) {
        pick.items = message(`$(error) ${error instanceof Error ? error.message : String(error)}`);
      }
    },
  });
  disposables.push({ dispose: () => query.dispose() });

  disposables.push(pick.onDidChangeValue((value) => query.schedule(value)));
  disposables.push(pick.onDidAccept(async () => {
    const hit = pick.selectedItems[0]?.hit;
    if (!hit) {
      return;
    }
    pick.hide();
    await openHit(hit.uri, hitRange(hit.range));
  }));
  disposables.push(pick.onDidHide(() => disposables.forEach((d) => d.dispose())));

  pick.show();
  if (initial && initial.trim() !== '') {
    pick.value = initial;
    query.now(initial);
  }
}

/** Opens `uri` with `range` selected and revealed in the middle of the editor. */
export async function openHit(uri: string, range: vscode.Range, viewColumn?: vscode.ViewColumn): Promise<void> {
  const editor = await vscode.window.showTextDocument(vscode.Uri.parse(uri), {
    selection: new vscode.Range(range.start, range.start),
    preview: true,
    viewColumn,
  });
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}
