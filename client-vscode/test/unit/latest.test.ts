import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatestQuery, type Timers, type TokenSource } from '../../src/common/latest';

/** Timers that only move when the test says so. */
class ManualTimers implements Timers {
  now = 0;
  private next = 1;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, { at: this.now + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  advance(ms: number): void {
    this.now += ms;
    for (const [id, t] of [...this.pending].sort((x, y) => x[1].at - y[1].at)) {
      if (t.at <= this.now) {
        this.pending.delete(id);
        t.fn();
      }
    }
  }
  get size(): number {
    return this.pending.size;
  }
}

interface Token { cancelled: boolean; disposed: boolean }

class Source implements TokenSource<Token> {
  readonly token: Token = { cancelled: false, disposed: false };
  cancel(): void {
    this.token.cancelled = true;
  }
  dispose(): void {
    this.token.disposed = true;
  }
}

interface Call { query: string; token: Token; resolve: (r: string[]) => void; reject: (e: unknown) => void }

function setup(delayMs = 200) {
  const timers = new ManualTimers();
  const calls: Call[] = [];
  const results: [string, string[]][] = [];
  const errors: [string, unknown][] = [];
  const busy: boolean[] = [];
  const latest = new LatestQuery<Token, string[]>({
    delayMs,
    timers,
    empty: [],
    newTokenSource: () => new Source(),
    run: (query, token) => new Promise((resolve, reject) => calls.push({ query, token, resolve, reject })),
    onResult: (q, r) => results.push([q, r]),
    onError: (q, e) => errors.push([q, e]),
    onBusy: (b) => busy.push(b),
  });
  return { timers, calls, results, errors, busy, latest };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

test('typing fast sends one request, after the quiet period', async () => {
  const { timers, calls, latest } = setup();
  latest.schedule('p');
  timers.advance(100);
  latest.schedule('pa');
  timers.advance(100);
  latest.schedule('par');
  timers.advance(199);
  assert.equal(calls.length, 0);
  timers.advance(1);
  assert.deepEqual(calls.map((c) => c.query), ['par']);
});

test('a newer query cancels the request in flight and its late answer is dropped', async () => {
  const { timers, calls, results, latest } = setup();
  latest.schedule('parse');
  timers.advance(200);
  latest.schedule('parse config');
  assert.equal(calls[0].token.cancelled, true, 'stale request cancelled as soon as the text changes');
  timers.advance(200);
  calls[0].resolve(['stale']);
  calls[1].resolve(['fresh']);
  await flush();
  assert.deepEqual(results, [['parse config', ['fresh']]]);
  assert.equal(calls[0].token.disposed, true);
  assert.equal(calls[1].token.disposed, true);
});

test('the error of a cancelled request is not reported', async () => {
  const { timers, calls, errors, results, latest } = setup();
  latest.schedule('a');
  timers.advance(200);
  latest.schedule('ab');
  calls[0].reject(new Error('cancelled'));
  timers.advance(200);
  calls[1].reject(new Error('boom'));
  await flush();
  assert.equal(errors.length, 1);
  assert.equal(errors[0][0], 'ab');
  assert.equal(results.length, 0);
});

test('a blank query answers empty at once and cancels what was pending', async () => {
  const { timers, calls, results, busy, latest } = setup();
  latest.schedule('x');
  latest.schedule('   ');
  timers.advance(1000);
  assert.equal(calls.length, 0);
  assert.deepEqual(results, [['   ', []]]);
  assert.equal(timers.size, 0);
  assert.deepEqual(busy, [true, false]);
});

test('busy while waiting or in flight, not after the answer', async () => {
  const { timers, calls, busy, latest } = setup();
  latest.schedule('q');
  assert.deepEqual(busy, [true]);
  timers.advance(200);
  calls[0].resolve(['r']);
  await flush();
  assert.deepEqual(busy, [true, false]);
});

test('now() skips the quiet period', async () => {
  const { calls, results, latest } = setup();
  latest.now('initial');
  assert.equal(calls.length, 1);
  calls[0].resolve(['hit']);
  await flush();
  assert.deepEqual(results, [['initial', ['hit']]]);
});

test('dispose cancels everything and nothing arrives afterwards', async () => {
  const { timers, calls, results, latest } = setup();
  latest.schedule('a');
  timers.advance(200);
  latest.schedule('b');
  latest.dispose();
  timers.advance(1000);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].token.cancelled, true);
  calls[0].resolve(['late']);
  await flush();
  latest.schedule('c');
  timers.advance(1000);
  assert.equal(calls.length, 1);
  assert.deepEqual(results, []);
});

test('real timers: the debounce waits about the configured time', async () => {
  const calls: string[] = [];
  const latest = new LatestQuery<Token, string[]>({
    delayMs: 30,
    empty: [],
    newTokenSource: () => new Source(),
    run: async (q) => {
      calls.push(q);
      return [q];
    },
    onResult: () => undefined,
    onError: () => undefined,
  });
  const t0 = Date.now();
  latest.schedule('a');
  latest.schedule('ab');
  await new Promise((r) => setTimeout(r, 80));
  assert.deepEqual(calls, ['ab']);
  assert.ok(Date.now() - t0 >= 30);
  latest.dispose();
});
