// @ts-check
// Calls nearcode's language-model tools the way a chat participant does (vscode.lm.invokeTool,
// no chat session: no Copilot needed) and writes the answers as JSON for test/e2e/drive.js.
'use strict';

const fs = require('node:fs');
const vscode = require('vscode');

/** @param {vscode.ExtensionContext} context */
function activate(context) {
  context.subscriptions.push(vscode.commands.registerCommand('nearcodeE2E.invokeSearchTool', run));
}

async function run() {
  const out = process.env.NEARCODE_E2E_TOOL_OUT;
  if (!out) {
    throw new Error('NEARCODE_E2E_TOOL_OUT is not set; run scripts/e2e.sh');
  }
  const write = (value) => fs.writeFileSync(out, JSON.stringify({ version: vscode.version, ...value }, null, 2));
  const lm = /** @type {any} */ (vscode).lm;
  if (!lm || typeof lm.invokeTool !== 'function') {
    write({ skipped: `VS Code ${vscode.version} has no vscode.lm.invokeTool (language-model tools came in 1.95)` });
    return;
  }
  try {
    const tools = lm.tools.map((t) => t.name).filter((name) => name.startsWith('nearcode_')).sort();
    const invoke = async (name, input) => {
      const result = await lm.invokeTool(name, { input, toolInvocationToken: undefined });
      return result.content.map((part) => (typeof part.value === 'string' ? part.value : '')).join('');
    };
    const search = await invoke('nearcode_search', { query: 'sales tax rate of a region', limit: 3 });
    const similar = await invoke('nearcode_findSimilar', { path: 'shop/cart.py', line: 26 });
    let error = '';
    try {
      await invoke('nearcode_search', { limit: 3 });
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    write({ tools, search, similar, error });
  } catch (e) {
    write({ failure: e instanceof Error ? `${e.message}\n${e.stack}` : String(e) });
  }
}

module.exports = { activate };
