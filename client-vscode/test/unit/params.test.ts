import assert from 'node:assert/strict';
import { test } from 'node:test';
import { completionContextParams, findSimilarParams } from '../../src/common/params';

const uri = 'file:///w/a.py';
const at = (line: number, character: number) => ({ line, character });

test('no selection: the cursor position, so the server takes the enclosing function', () => {
  const params = findSimilarParams(uri, { start: at(4, 2), end: at(4, 2), active: at(4, 2) }, 10);
  assert.deepEqual(params, { textDocument: { uri }, position: at(4, 2), limit: 10 });
});

test('a selection: its range, whichever way it was made', () => {
  const params = findSimilarParams(uri, { start: at(3, 0), end: at(9, 5), active: at(3, 0) }, 7);
  assert.deepEqual(params, { textDocument: { uri }, range: { start: at(3, 0), end: at(9, 5) }, limit: 7 });
  assert.equal('position' in params, false);
});

test('completion context sends only the options given', () => {
  assert.deepEqual(completionContextParams(uri, at(1, 1)), { textDocument: { uri }, position: at(1, 1) });
  assert.deepEqual(completionContextParams(uri, at(1, 1), { limit: 3, maxChars: 2000 }),
    { textDocument: { uri }, position: at(1, 1), limit: 3, maxChars: 2000 });
  assert.deepEqual(Object.keys(completionContextParams(uri, at(0, 0), { limit: undefined })), ['textDocument', 'position']);
});
