import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PROGRESS_TITLE } from '../../src/common/constants';
import { IndexStatusModel, formatCount } from '../../src/common/indexStatus';
import type { IndexStatus } from '../../src/common/types';

const idle: IndexStatus = { state: 'idle', files: 1234, chunks: 5678, pendingFiles: 0, model: 'all-MiniLM-L6-v2' };

function running(): IndexStatusModel {
  const m = new IndexStatusModel();
  m.setServerState('running');
  return m;
}

test('starting, failed and stopped servers', () => {
  const m = new IndexStatusModel();
  assert.match(m.view().text, /loading~spin/);
  m.setServerState('failed', 'not found');
  assert.equal(m.view().error, true);
  assert.match(m.view().tooltip, /not found/);
  m.setServerState('stopped');
  assert.match(m.view().text, /circle-slash/);
  assert.equal(m.view().indexing, false);
});

test('indexing progress: begin, report with counts, end', () => {
  const m = running();
  assert.equal(m.onProgress('t1', { kind: 'begin', title: PROGRESS_TITLE, percentage: 0 }), true);
  assert.equal(m.indexing, true);
  assert.equal(m.view().text, '$(sync~spin) nearcode 0%');
  m.onProgress('t1', { kind: 'report', message: '120/450 files', percentage: 26 });
  assert.equal(m.view().text, '$(sync~spin) nearcode 120/450 files');
  assert.match(m.view().tooltip, /Search works meanwhile/);
  m.onIndexStatus({ ...idle, state: 'indexing', files: 120, chunks: 900, pendingFiles: 330 });
  assert.match(m.view().tooltip, /120 files, 900 chunks indexed so far/);
  assert.doesNotMatch(m.view().tooltip, /embedded/); // an older server: no second tier to show
  m.onIndexStatus({ ...idle, state: 'indexing', files: 450, chunks: 900, chunksEmbedded: 300, pendingFiles: 0 });
  assert.match(m.view().tooltip, /300 of 900 chunks embedded \(the others are found by their words meanwhile\)/);
  m.onProgress('t1', { kind: 'end' });
  assert.equal(m.indexing, false);
  assert.equal(m.view().text, '$(search) nearcode');
});

test('running but no status yet: not claimed up to date, and polled', () => {
  const m = running();
  assert.equal(m.indexing, true);
  assert.equal(m.view().text, '$(sync~spin) nearcode');
  assert.doesNotMatch(m.view().tooltip, /up to date/);
  m.onIndexStatus(idle);
  assert.equal(m.indexing, false);
  assert.match(m.view().tooltip, /up to date/);
});

test('a restart forgets the old counts', () => {
  const m = running();
  m.onIndexStatus(idle);
  m.setServerState('starting');
  m.setServerState('running');
  assert.equal(m.indexing, true);
});

test('progress with another title is not indexing', () => {
  const m = running();
  assert.equal(m.onProgress('x', { kind: 'begin', title: 'something else' }), false);
  assert.equal(m.onProgress('x', { kind: 'report', message: 'm' }), false);
  m.onIndexStatus(idle);
  assert.equal(m.indexing, false);
});

test('numeric and string tokens are the same token', () => {
  const m = running();
  m.onProgress(7, { kind: 'begin', title: PROGRESS_TITLE });
  m.onProgress('7', { kind: 'end' });
  m.onIndexStatus(idle);
  assert.equal(m.indexing, false);
});

test('indexStatus alone (e.g. a watcher storm without progress) shows indexing with pending files', () => {
  const m = running();
  m.onIndexStatus({ ...idle, state: 'indexing', pendingFiles: 42 });
  assert.equal(m.indexing, true);
  assert.equal(m.view().text, '$(sync~spin) nearcode 42 pending');
  m.onIndexStatus(idle);
  assert.equal(m.indexing, false);
  assert.match(m.view().tooltip, /1,234 files, 5,678 chunks/);
  assert.match(m.view().tooltip, /model: all-MiniLM-L6-v2/);
});

test('a server restart forgets progress in flight', () => {
  const m = running();
  m.onProgress('t', { kind: 'begin', title: PROGRESS_TITLE });
  m.setServerState('starting');
  m.setServerState('running');
  m.onIndexStatus(idle);
  assert.equal(m.indexing, false);
});

test('counts', () => {
  assert.equal(formatCount(1, 'file'), '1 file');
  assert.equal(formatCount(0, 'file'), '0 files');
  assert.equal(formatCount(12345, 'chunk'), '12,345 chunks');
});
