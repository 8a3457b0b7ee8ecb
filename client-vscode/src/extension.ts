// nearcode for VS Code: starts `nearcode serve` and puts search, similar code and the index status
// into the editor. The logic that needs no editor lives in common/ (unit-tested under node).

import * as vscode from 'vscode';
import { ExecuteCommandRequest } from 'vscode-languageclient/node';
import * as ids from './common/commands';
import { CMD_REINDEX } from './common/constants';
import { needsRestart } from './common/settings';
import type { CompletionContextResult } from './common/types';
import {
  CONTEXT_SCHEME,
  CompletionContextDocuments,
  getCompletionContext,
  showCompletionContext,
  type CompletionContextOptions,
} from './completionContext';
import { registerLanguageModelTools } from './lmTools';
import { searchCode } from './search';
import { ServerManager } from './server';
import { findSimilarCode } from './similar';
import { IndexStatusBar } from './statusBar';

export type { CompletionContextOptions } from './completionContext';
export type { CompletionContextResult, Hit, Snippet } from './common/types';

/** What `vscode.extensions.getExtension('nearcode.nearcode').activate()` resolves to. */
export interface NearcodeApi {
  readonly apiVersion: 1;
  /**
   * The `nearcode/completionContext` answer at `position`: snippets from elsewhere in the
   * workspace that a completion model should see. Waits for the server to start; rejects when it
   * cannot.
   */
  getCompletionContext(
    document: vscode.TextDocument,
    position: vscode.Position,
    options?: CompletionContextOptions,
  ): Promise<CompletionContextResult>;
}

let server: ServerManager | undefined;

export function activate(context: vscode.ExtensionContext): NearcodeApi {
  const output = vscode.window.createOutputChannel('nearcode', { log: true });
  server = new ServerManager(output, pythonInterpreter);
  const manager = server;
  const status = new IndexStatusBar(manager, output);
  const contextDocuments = new CompletionContextDocuments();

  const command = (id: string, run: (...args: any[]) => unknown): void => {
    context.subscriptions.push(vscode.commands.registerCommand(id, run));
  };
  command(ids.SEARCH_CODE, (initial?: unknown) => searchCode(manager, () => status.indexing, typeof initial === 'string' ? initial : selectedLine()));
  command(ids.FIND_SIMILAR_CODE, (uri?: unknown) => findSimilarCode(manager, uri instanceof vscode.Uri ? uri : undefined));
  command(ids.REINDEX_WORKSPACE, () => reindex(manager, status, false));
  command(ids.REBUILD_INDEX, () => reindex(manager, status, true));
  command(ids.RESTART_SERVER, async () => {
    output.info('restart requested');
    if (await manager.restart()) {
      vscode.window.setStatusBarMessage('nearcode: server restarted', 5000);
    }
  });
  command(ids.SHOW_COMPLETION_CONTEXT, () => showCompletionContext(manager, contextDocuments));
  command(ids.SHOW_OUTPUT, () => output.show(true));
  command(ids.STATUS_MENU, () => statusMenu());

  context.subscriptions.push(
    output,
    status,
    contextDocuments,
    vscode.workspace.registerTextDocumentContentProvider(CONTEXT_SCHEME, contextDocuments),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (needsRestart((section) => e.affectsConfiguration(section))) {
        output.info('settings changed; restarting the server');
        void manager.restart();
      }
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => {
      // The server learns the roots at initialize; a fresh one indexes the new set.
      void manager.restart();
    }),
  );

  // Copilot agent mode and other chat participants call these through vscode.lm.
  context.subscriptions.push(...registerLanguageModelTools(manager, output));

  if (vscode.workspace.workspaceFolders?.length) {
    void manager.start();
  }

  return {
    apiVersion: 1,
    getCompletionContext: (document, position, options) => getCompletionContext(manager, document, position, options),
  };
}

export async function deactivate(): Promise<void> {
  await server?.dispose();
  server = undefined;
}

/** Rescans the workspace (changed files are embedded again), or with `rebuild` everything. */
async function reindex(manager: ServerManager, status: IndexStatusBar, rebuild: boolean): Promise<void> {
  const client = await manager.ready();
  if (!client) {
    return;
  }
  try {
    await client.sendRequest(ExecuteCommandRequest.type, {
      command: CMD_REINDEX,
      arguments: rebuild ? [{ rebuild: true }] : [],
    });
  } catch (error) {
    void vscode.window.showErrorMessage(`nearcode: reindex failed: ${(error as Error).message}`);
    return;
  }
  vscode.window.setStatusBarMessage(rebuild ? 'nearcode: index rebuild started' : 'nearcode: reindex started', 5000);
  status.refresh();
}

async function statusMenu(): Promise<void> {
  const items: (vscode.QuickPickItem & { command: string })[] = [
    { label: '$(search) Search Code…', command: ids.SEARCH_CODE },
    { label: '$(references) Find Similar Code', command: ids.FIND_SIMILAR_CODE },
    { label: '$(refresh) Reindex Workspace', command: ids.REINDEX_WORKSPACE },
    { label: '$(trash) Rebuild Index', description: 'embed every file again', command: ids.REBUILD_INDEX },
    { label: '$(debug-restart) Restart Server', command: ids.RESTART_SERVER },
    { label: '$(output) Show Output', command: ids.SHOW_OUTPUT },
  ];
  const choice = await vscode.window.showQuickPick(items, { title: 'nearcode' });
  if (choice) {
    await vscode.commands.executeCommand(choice.command);
  }
}

/** The selected text when it is one short line: a natural first query. */
function selectedLine(): string | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.selection.isEmpty || !editor.selection.isSingleLine) {
    return undefined;
  }
  const text = editor.document.getText(editor.selection).trim();
  return text.length > 0 && text.length <= 200 ? text : undefined;
}

/** The Python extension's selected interpreter, if that extension is installed and answers. */
async function pythonInterpreter(): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!ext) {
    return undefined;
  }
  try {
    const lookup = (async () => {
      const api = ext.isActive ? ext.exports : await ext.activate();
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
      const envPath = api?.environments?.getActiveEnvironmentPath(folder);
      const env = envPath ? await api.environments?.resolveEnvironment(envPath) : undefined;
      return env?.executable?.uri?.fsPath;
    })();
    const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5000));
    return await Promise.race([lookup, timeout]);
  } catch {
    return undefined;
  }
}

/** The part of the Python extension's API used here (ms-python.python ≥ 2023). */
interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { id: string; path: string } | undefined;
    resolveEnvironment(env: { id: string; path: string }): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  };
}
