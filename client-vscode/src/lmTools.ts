// nearcode's language-model tools: Copilot agent mode and other chat participants (or any
// extension, through vscode.lm.invokeTool) search the workspace, find similar code and get
// completion context through the running language server. The logic without the editor is in
// common/lmTools.ts.

import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMPLETION_CONTEXT, FIND_SIMILAR, SEARCH } from './common/constants';
import {
  completionContextToolParams,
  findSimilarParams,
  renderHits,
  searchParams,
  TOOL_COMPLETION_CONTEXT,
  TOOL_FIND_SIMILAR,
  TOOL_SEARCH,
  type CompletionContextInput,
  type FindSimilarInput,
  type SearchInput,
} from './common/lmTools';
import { lastLine } from './common/completionContext';
import type { CompletionContextResult, Hit, HitsResult, Snippet } from './common/types';
import type { ServerManager } from './server';
import { folderRefs } from './util';

const TITLE_NOTE = 'best first; paths relative to the workspace folder, lines 1-based and inclusive';

/** Registers the tools where this VS Code has the API (1.95+); nothing otherwise. */
export function registerLanguageModelTools(server: ServerManager, output: vscode.LogOutputChannel): vscode.Disposable[] {
  const lm = (vscode as { lm?: Partial<typeof vscode.lm> }).lm;
  if (typeof lm?.registerTool !== 'function') {
    output.info('this VS Code has no language-model tools API (vscode.lm.registerTool): the nearcode tools are not offered');
    return [];
  }
  return [
    lm.registerTool<SearchInput>(TOOL_SEARCH, new SearchTool(server)),
    lm.registerTool<FindSimilarInput>(TOOL_FIND_SIMILAR, new FindSimilarTool(server)),
    lm.registerTool<CompletionContextInput>(TOOL_COMPLETION_CONTEXT, new CompletionContextTool(server)),
  ];
}

async function client(server: ServerManager) {
  const running = await server.ready();
  if (!running) {
    throw new Error('the nearcode language server is not running (see the nearcode output channel)');
  }
  return running;
}

function answer(text: string): vscode.LanguageModelToolResult {
  return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(text)]);
}

/** A path the model gave (relative to a workspace folder, or absolute) as a file URI. */
async function uriOf(given: string): Promise<string> {
  if (path.isAbsolute(given)) {
    return vscode.Uri.file(given).toString();
  }
  const folders = vscode.workspace.workspaceFolders ?? [];
  for (const folder of folders) {
    const candidate = vscode.Uri.joinPath(folder.uri, given);
    try {
      await vscode.workspace.fs.stat(candidate);
      return candidate.toString();
    } catch {
      // not in this folder
    }
  }
  if (folders.length === 0) {
    throw new Error('no workspace folder is open');
  }
  return vscode.Uri.joinPath(folders[0].uri, given).toString();
}

/** The hits with their code: the open buffer's text, else the file's, else the preview. */
async function withCode(hits: readonly Hit[]): Promise<Snippet[]> {
  const files = new Map<string, string[] | undefined>();
  const out: Snippet[] = [];
  for (const hit of hits) {
    if (!files.has(hit.uri)) {
      const uri = vscode.Uri.parse(hit.uri);
      const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === hit.uri);
      let content: string | undefined = open?.getText();
      if (content === undefined) {
        try {
          content = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
        } catch {
          content = undefined;
        }
      }
      files.set(hit.uri, content?.split(/\r?\n/));
    }
    const lines = files.get(hit.uri);
    const text = lines ? lines.slice(hit.range.start.line, lastLine(hit.range) + 1).join('\n') : hit.preview;
    out.push({ ...hit, text });
  }
  return out;
}

class SearchTool implements vscode.LanguageModelTool<SearchInput> {
  constructor(private readonly server: ServerManager) {}

  prepareInvocation(options: vscode.LanguageModelToolInvocationPrepareOptions<SearchInput>): vscode.PreparedToolInvocation {
    return { invocationMessage: `Searching the workspace for “${String(options.input?.query ?? '')}”` };
  }

  async invoke(options: vscode.LanguageModelToolInvocationOptions<SearchInput>, token: vscode.CancellationToken) {
    const params = searchParams(options.input);
    const result = await (await client(this.server)).sendRequest<HitsResult>(SEARCH, params, token);
    const title = `${result.results.length} results for ${JSON.stringify(params.query)} (${TITLE_NOTE})`;
    return answer(renderHits(title, await withCode(result.results), folderRefs(), { empty: 'No code matched. Try other words.' }));
  }
}

class FindSimilarTool implements vscode.LanguageModelTool<FindSimilarInput> {
  constructor(private readonly server: ServerManager) {}

  prepareInvocation(options: vscode.LanguageModelToolInvocationPrepareOptions<FindSimilarInput>): vscode.PreparedToolInvocation {
    const where = options.input?.path ? `${options.input.path}${options.input.line ? `:${options.input.line}` : ''}` : 'the given code';
    return { invocationMessage: `Finding code like ${where}` };
  }

  async invoke(options: vscode.LanguageModelToolInvocationOptions<FindSimilarInput>, token: vscode.CancellationToken) {
    const given = options.input?.path;
    const uri = typeof given === 'string' && given.trim() ? await uriOf(given.trim()) : '';
    const params = findSimilarParams(options.input, () => uri);
    const result = await (await client(this.server)).sendRequest<HitsResult>(FIND_SIMILAR, params, token);
    const line = options.input?.line ? `:${String(options.input.line)}${options.input.endLine ? `-${String(options.input.endLine)}` : ''}` : '';
    const title = `${result.results.length} chunks like ${given ? `${String(given)}${line}` : 'the given code'} (${TITLE_NOTE})`;
    return answer(renderHits(title, await withCode(result.results), folderRefs()));
  }
}

class CompletionContextTool implements vscode.LanguageModelTool<CompletionContextInput> {
  constructor(private readonly server: ServerManager) {}

  prepareInvocation(options: vscode.LanguageModelToolInvocationPrepareOptions<CompletionContextInput>): vscode.PreparedToolInvocation {
    return { invocationMessage: `Gathering the context for code at ${String(options.input?.path ?? '')}:${String(options.input?.line ?? '')}` };
  }

  async invoke(options: vscode.LanguageModelToolInvocationOptions<CompletionContextInput>, token: vscode.CancellationToken) {
    const given = options.input?.path;
    const uri = typeof given === 'string' && given.trim() ? await uriOf(given.trim()) : '';
    let document: vscode.TextDocument | undefined;
    if (uri) {
      try {
        document = await vscode.workspace.openTextDocument(vscode.Uri.parse(uri));
      } catch {
        throw new Error(`there is no file '${String(given)}' in the workspace`);
      }
    }
    const params = completionContextToolParams(options.input, () => uri,
      (line) => (document && line < document.lineCount ? document.lineAt(line).text.length : undefined));
    const result = await (await client(this.server)).sendRequest<CompletionContextResult>(COMPLETION_CONTEXT, params, token);
    const where = `${String(given)}:${params.position.line + 1}:${params.position.character}`;
    const title = `${result.snippets.length} definitions from other files for code at ${where} (${TITLE_NOTE})`;
    return answer(renderHits(title, result.snippets, folderRefs(), {
      codeChars: params.maxChars, empty: 'Nothing from other files matches this place.',
    }));
  }
}
