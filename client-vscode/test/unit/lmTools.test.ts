// The language-model tools: input checked into request params, answers within the budget, and
// package.json's contributions agreeing with the code.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import {
  CODE_CHARS_PER_HIT,
  completionContextToolParams,
  findSimilarParams,
  LM_TOOLS,
  MAX_RESULT_CHARS,
  MAX_SEARCH_LIMIT,
  renderHits,
  searchParams,
  ToolInputError,
  trimCode,
} from '../../src/common/lmTools';
import type { Hit, Snippet } from '../../src/common/types';
import { PACKAGE_JSON } from './paths';

const pkg = JSON.parse(fs.readFileSync(PACKAGE_JSON, 'utf8'));
const uriOf = (path: string) => `file:///w/${path}`;
const folders = [{ uri: 'file:///w', name: 'w' }];

function hit(i: number, text = `def f${i}():\n    return ${i}\n`): Snippet {
  const lines = text.replace(/\n$/, '').split('\n').length;
  return {
    uri: `file:///w/pkg/m${i}.py`,
    range: { start: { line: 9, character: 0 }, end: { line: 9 + lines, character: 0 } },
    score: 1 / (i + 1),
    symbol: `f${i}`,
    kind: 'function',
    language: 'python',
    preview: text.split('\n')[0],
    text,
  };
}

test('search input becomes nearcode/search params, with the defaults', () => {
  assert.deepEqual(searchParams({ query: 'parse a config file' }), { query: 'parse a config file', limit: 8 });
  assert.deepEqual(searchParams({ query: 'x', limit: 3, paths: ['src/**'], languages: ['python'] }),
    { query: 'x', limit: 3, paths: ['src/**'], languages: ['python'] });
});

test('bad input is refused with a message naming the field', () => {
  const cases: [unknown, RegExp][] = [
    [{}, /'query' is required/],
    [{ query: '  ' }, /'query' must not be empty/],
    [{ query: 'x', limit: 0 }, /'limit' must be between 1 and 30, got 0/],
    [{ query: 'x', limit: MAX_SEARCH_LIMIT + 1 }, /'limit' must be between/],
    [{ query: 'x', limit: 2.5 }, /'limit' must be an integer/],
    [{ query: 'x', paths: 'src/**' }, /'paths' must be a list of strings/],
    ['query', /the input must be an object/],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => searchParams(input), (e: Error) => e instanceof ToolInputError && message.test(e.message), JSON.stringify(input));
  }
});

test('findSimilar: a definition at a line, a range of lines, a whole file, or code', () => {
  assert.deepEqual(findSimilarParams({ path: 'a.py', line: 5 }, uriOf),
    { textDocument: { uri: 'file:///w/a.py' }, position: { line: 4, character: 0 }, limit: 8 });
  assert.deepEqual(findSimilarParams({ path: 'a.py', line: 5, endLine: 7, limit: 2 }, uriOf),
    { textDocument: { uri: 'file:///w/a.py' }, range: { start: { line: 4, character: 0 }, end: { line: 7, character: 0 } }, limit: 2 });
  const whole = findSimilarParams({ path: 'a.py' }, uriOf);
  assert.equal(whole.range?.start.line, 0);
  assert.deepEqual(findSimilarParams({ code: 'x = 1' }, uriOf), { text: 'x = 1', limit: 8 });
  assert.throws(() => findSimilarParams({ path: 'a.py', code: 'x' }, uriOf), /not both/);
  assert.throws(() => findSimilarParams({}, uriOf), /give 'path'/);
  assert.throws(() => findSimilarParams({ code: 'x', line: 2 }, uriOf), /go with 'path'/);
  assert.throws(() => findSimilarParams({ path: 'a.py', line: 9, endLine: 3 }, uriOf), /'endLine' \(3\) is before 'line' \(9\)/);
  assert.throws(() => findSimilarParams({ path: 'a.py', endLine: 3 }, uriOf), /'endLine' needs 'line'/);
});

test('completionContext: 1-based line, the cursor at the end of the line by default', () => {
  const widths = [10, 0, 24];
  const width = (line: number) => widths[line];
  assert.deepEqual(completionContextToolParams({ path: 'a.py', line: 3 }, uriOf, width),
    { textDocument: { uri: 'file:///w/a.py' }, position: { line: 2, character: 24 }, limit: 5, maxChars: 6000 });
  assert.deepEqual(completionContextToolParams({ path: 'a.py', line: 1, character: 4, maxChars: 300, limit: 1 }, uriOf, width).position,
    { line: 0, character: 4 });
  assert.throws(() => completionContextToolParams({ path: 'a.py' }, uriOf, width), /'line' is required/);
  assert.throws(() => completionContextToolParams({ path: 'a.py', line: 9 }, uriOf, width), /line 9 is past the end of a.py/);
  assert.throws(() => completionContextToolParams({ path: 'a.py', line: 1, character: 11 }, uriOf, width), /character 11 is past its end/);
  assert.throws(() => completionContextToolParams({ path: 'a.py', line: 1, maxChars: 50 }, uriOf, width), /'maxChars' must be between 200/);
});

test('code is cut at a line end, saying how many lines were left out', () => {
  const code = Array.from({ length: 10 }, (_, i) => `line ${i} ${'x'.repeat(20)}`).join('\n');
  const { code: cut, cut: left } = trimCode(code, 100);
  assert.ok(cut.length <= 100);
  assert.equal(cut.split('\n').length + left, 10);
  assert.equal(trimCode('short\n', 100).cut, 0);
  assert.equal(trimCode('y'.repeat(300), 50).code.length, 50);
});

test('the answer lists every hit in rank order and stays within the budget', () => {
  const big = Array.from({ length: 80 }, (_, i) => `    total_${i} = value * ${i} + offset`).join('\n');
  const hits = Array.from({ length: 30 }, (_, i) => hit(i, `def f${i}(value, offset):\n${big}\n`));
  const text = renderHits('30 results for "total"', hits, folders);
  assert.ok(text.length <= MAX_RESULT_CHARS, String(text.length));
  const headers = [...text.matchAll(/^(\d+)\. pkg\/m(\d+)\.py:10-90  f\d+  \(function, python, score [\d.]+\)$/gm)];
  assert.equal(headers.length, 30);
  assert.deepEqual(headers.map((m) => Number(m[2])), Array.from({ length: 30 }, (_, i) => i));
  for (const block of text.split('```python\n').slice(1)) {
    assert.ok(block.split('\n```')[0].length <= CODE_CHARS_PER_HIT);
  }
  assert.match(text, /more lines \(read the file for the rest\)/);
  assert.match(text, /results? listed without code: the answer is kept under 12000 characters/);
});

test('small answers carry all their code; none says so', () => {
  const text = renderHits('2 results', [hit(0), hit(1)], folders);
  assert.match(text, /^2 results\n1\. pkg\/m0\.py:10-11  f0  \(function, python, score 1\.0000\)\n```python\ndef f0\(\):\n    return 0\n```\n2\./);
  assert.equal(renderHits('0 results', [], folders, { empty: 'Nothing.' }), '0 results\nNothing.\n');
  const previewOnly: Hit = { ...hit(3) };
  delete (previewOnly as Partial<Snippet>).text;
  assert.match(renderHits('1', [previewOnly], folders), /```python\ndef f3\(\):\n```/);
});

test('package.json contributes each tool with a model description and an input schema', () => {
  const tools = pkg.contributes.languageModelTools as { name: string; modelDescription: string; displayName: string; inputSchema: { type: string; properties: object; required?: string[] } }[];
  assert.deepEqual(tools.map((t) => t.name).sort(), [...LM_TOOLS].sort());
  for (const t of tools) {
    assert.match(t.name, /^nearcode_\w+$/);
    assert.ok(t.displayName && t.modelDescription.length > 100, t.name);
    assert.equal(t.inputSchema.type, 'object');
  }
  const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
  assert.deepEqual(byName.nearcode_search.inputSchema.required, ['query']);
  assert.deepEqual(byName.nearcode_completionContext.inputSchema.required, ['path', 'line']);
  assert.match(byName.nearcode_search.modelDescription, /12,000 characters/);
});
