import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lastLine, renderCompletionContext } from '../../src/common/completionContext';
import type { Snippet } from '../../src/common/types';

const snippet: Snippet = {
  uri: 'file:///w/src/db.py',
  range: { start: { line: 4, character: 0 }, end: { line: 9, character: 0 } },
  score: 0.71234,
  symbol: 'connect',
  kind: 'function',
  language: 'python',
  preview: 'def connect(url):',
  text: 'def connect(url):\n    return Engine(url)\n',
};

test('renders each snippet with its place, score and fenced text', () => {
  const md = renderCompletionContext('src/app.py:3:5', [snippet], [{ uri: 'file:///w', name: 'w' }]);
  assert.match(md, /^# nearcode completion context/);
  assert.match(md, /At `src\/app.py:3:5`: 1 snippet, 41 characters\./);
  assert.match(md, /## 1\. `connect` — src\/db.py:5-9/);
  assert.match(md, /score 0\.712 · function · python/);
  assert.match(md, /```python\ndef connect\(url\):\n    return Engine\(url\)\n```/);
});

test('code containing backticks gets a longer fence', () => {
  const md = renderCompletionContext('a:1:1', [{ ...snippet, text: 'x = """```"""' }], []);
  assert.match(md, /````python\nx = """```"""\n````/);
});

test('no snippets says so', () => {
  const md = renderCompletionContext('a:1:1', [], []);
  assert.match(md, /0 snippets/);
  assert.match(md, /Nothing from elsewhere/);
});

test('a range ending at character 0 ends on the line before', () => {
  const r = (sl: number, el: number, ec: number) => ({ start: { line: sl, character: 0 }, end: { line: el, character: ec } });
  assert.equal(lastLine(r(4, 9, 0)), 8);
  assert.equal(lastLine(r(4, 9, 3)), 9);
  assert.equal(lastLine(r(4, 4, 0)), 4);
});
