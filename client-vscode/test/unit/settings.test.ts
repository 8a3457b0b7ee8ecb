import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import {
  SERVER_SETTINGS,
  explicitValue,
  needsRestart,
  toInitializationOptions,
  type InspectedValue,
} from '../../src/common/settings';
import { TRUST_OPTION } from '../../src/common/constants';
import { CONFIG_PY, PACKAGE_JSON } from './paths';

/** The field names of `class Settings` in config.py, in order. */
function settingsFields(source: string): string[] {
  const withoutDocs = source.replace(/"""[\s\S]*?"""/g, '""');
  const body = /^class Settings\b.*?:\n((?:[ \t]+.*\n|\n)+)/m.exec(withoutDocs);
  assert.ok(body, 'class Settings not found in config.py');
  return Array.from(body[1].matchAll(/^ {4}([a-z_][a-z0-9_]*)\s*:[^=\n]*=/gm), (m) => m[1]);
}

const camel = (snake: string): string => snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

const pkg = JSON.parse(fs.readFileSync(PACKAGE_JSON, 'utf8'));
const properties: Record<string, { default?: unknown; type?: unknown }> = pkg.contributes.configuration.properties;

test('SERVER_SETTINGS are the camelCase fields of config.py Settings', () => {
  const fields = settingsFields(fs.readFileSync(CONFIG_PY, 'utf8'));
  assert.ok(fields.includes('max_file_bytes'));
  assert.deepEqual([...SERVER_SETTINGS], fields.map(camel));
});

test('every server setting is contributed as nearcode.<name>', () => {
  for (const name of SERVER_SETTINGS) {
    assert.ok(properties[`nearcode.${name}`], `nearcode.${name} missing from package.json`);
  }
});

test('package.json defaults are the server defaults written in config.py', () => {
  const source = fs.readFileSync(CONFIG_PY, 'utf8');
  const expect: Record<string, unknown> = { model: 'default', backend: 'auto', maxFileBytes: 1 << 20, diagnostics: true, watch: true, duplicateThreshold: 0.5 };
  for (const [name, value] of Object.entries(expect)) {
    assert.deepEqual(properties[`nearcode.${name}`].default, value, name);
  }
  assert.match(source, /max_file_bytes: int = 1 << 20/);
  assert.match(source, /duplicate_threshold: float = 0\.50\n/);
});

const inspectFrom = (values: Record<string, InspectedValue>) => (name: string) => values[name];

test('only explicitly set values are forwarded, under camelCase names', () => {
  const options = toInitializationOptions(inspectFrom({
    model: { defaultValue: 'default', globalValue: 'fake' },
    maxFileBytes: { defaultValue: 1048576, workspaceValue: 2048 },
    diagnostics: { defaultValue: true, globalValue: true, workspaceValue: false },
    denseWeight: { defaultValue: 1 },
    exclude: { defaultValue: [], globalValue: ['vendor/**'] },
  }), false);
  assert.deepEqual(options, { model: 'fake', exclude: ['vendor/**'], maxFileBytes: 2048, diagnostics: false });
});

test('nothing set: empty options, so pyproject [tool.nearcode] keeps its say', () => {
  assert.deepEqual(toInitializationOptions(() => undefined, false), {});
  assert.deepEqual(toInitializationOptions(() => ({ defaultValue: 'x' }), false), {});
});

test('blank strings and nulls count as unset', () => {
  const options = toInitializationOptions(inspectFrom({
    dbPath: { globalValue: '  ' },
    store: { globalValue: null },
    model: { globalValue: 'my-model' },
  }), false);
  assert.deepEqual(options, { model: 'my-model' });
});

test('an untrusted workspace cannot choose paths, hosts or model folders; a trusted one can', () => {
  const values = inspectFrom({
    model: { globalValue: 'mine', workspaceValue: './weights' },
    dbPath: { workspaceValue: '/home/me/.bashrc' },
    store: { workspaceFolderValue: 'postgresql://attacker.example/db' },
    exclude: { workspaceValue: ['gen/**'] },
  });
  assert.deepEqual(toInitializationOptions(values, false), { model: 'mine', exclude: ['gen/**'] });
  assert.deepEqual(toInitializationOptions(values, true), {
    model: './weights', dbPath: '/home/me/.bashrc', store: 'postgresql://attacker.example/db',
    exclude: ['gen/**'], [TRUST_OPTION]: true,
  });
});

test('the most specific scope wins', () => {
  assert.equal(explicitValue({ globalValue: 1, workspaceValue: 2, workspaceFolderValue: 3 }), 3);
  assert.equal(explicitValue({ globalValue: 1, workspaceValue: 2 }), 2);
  assert.equal(explicitValue({ globalValue: false }), false);
  assert.equal(explicitValue({ defaultValue: 1 }), undefined);
  assert.equal(explicitValue(undefined), undefined);
});

test('server settings and the command restart the server; client-only settings do not', () => {
  const affects = (changed: string) => (section: string) => changed === section || changed.startsWith(`${section}.`);
  assert.equal(needsRestart(affects('nearcode.model')), true);
  assert.equal(needsRestart(affects('nearcode.server.command')), true);
  assert.equal(needsRestart(affects('nearcode.search.debounceMs')), false);
  assert.equal(needsRestart(affects('nearcode.trace.server')), false);
  assert.equal(needsRestart(affects('editor.fontSize')), false);
});
