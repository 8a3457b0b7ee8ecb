// package.json's contributions agree with the code.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import * as ids from '../../src/common/commands';
import { COMMANDS } from '../../src/common/constants';
import { RESTRICTED_SETTINGS } from '../../src/common/settings';
import { PACKAGE_JSON } from './paths';

const pkg = JSON.parse(fs.readFileSync(PACKAGE_JSON, 'utf8'));

test('every client command is contributed, and only those', () => {
  const contributed = pkg.contributes.commands.map((c: { command: string }) => c.command).sort();
  assert.deepEqual(contributed, [...ids.CLIENT_COMMANDS].sort());
});

test('client command ids never collide with the server commands the client registers', () => {
  for (const id of ids.CLIENT_COMMANDS) {
    assert.ok(!(COMMANDS as readonly string[]).includes(id), id);
  }
});

test('titles carry the nearcode category, as the palette shows them', () => {
  for (const c of pkg.contributes.commands) {
    assert.equal(c.category, 'nearcode', c.command);
  }
  const titles = Object.fromEntries(pkg.contributes.commands.map((c: { command: string; title: string }) => [c.command, c.title]));
  assert.equal(titles[ids.SEARCH_CODE], 'Search Code…');
  assert.equal(titles[ids.FIND_SIMILAR_CODE], 'Find Similar Code');
  assert.equal(titles[ids.REINDEX_WORKSPACE], 'Reindex Workspace');
  assert.equal(titles[ids.RESTART_SERVER], 'Restart Server');
  assert.equal(titles[ids.SHOW_COMPLETION_CONTEXT], 'Show Completion Context');
});

test('the bundle is the entry point and vscode-languageclient matches the engine', () => {
  assert.equal(pkg.main, './dist/extension.js');
  assert.match(pkg.engines.vscode, /^\^1\.(9[1-9]|1\d\d)\./);
  assert.ok(pkg.dependencies['vscode-languageclient']);
  assert.equal(pkg.devDependencies['@types/vscode'], pkg.engines.vscode.replace('^', ''));
});

test('the server command and the settings naming paths or hosts cannot be set by an untrusted workspace', () => {
  assert.deepEqual(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations,
    ['nearcode.server.command', ...RESTRICTED_SETTINGS.map((name) => `nearcode.${name}`)]);
});
