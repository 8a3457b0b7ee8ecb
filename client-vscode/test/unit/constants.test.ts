// src/common/constants.ts must say what server/nearcode/lsp/protocol.py says.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import * as constants from '../../src/common/constants';
import { PROTOCOL_PY } from './paths';

interface Protocol {
  strings: Map<string, string>;
  tuples: Map<string, string[]>;
}

/** The module-level `NAME = "value"` and `NAME = (A, B)` assignments of protocol.py. */
function parseProtocol(source: string): Protocol {
  const strings = new Map<string, string>();
  const tuples = new Map<string, string[]>();
  for (const m of source.matchAll(/^([A-Z][A-Z0-9_]*)\s*(?::\s*[^=\n]+)?=\s*(["'])(.*?)\2\s*$/gm)) {
    strings.set(m[1], m[3]);
  }
  for (const m of source.matchAll(/^([A-Z][A-Z0-9_]*)\s*(?::\s*[^=\n]+)?=\s*[([]([^)\]]*)[)\]]/gm)) {
    const names = m[2].split(',').map((s) => s.trim()).filter(Boolean);
    tuples.set(m[1], names.map((n) => {
      const value = strings.get(n);
      assert.ok(value !== undefined, `${m[1]} names ${n}, which is not a string constant`);
      return value;
    }));
  }
  return { strings, tuples };
}

const protocol = parseProtocol(fs.readFileSync(PROTOCOL_PY, 'utf8'));
const ts = constants as unknown as Record<string, unknown>;

test('protocol.py has the constants this test expects to parse', () => {
  assert.ok(protocol.strings.has('SEARCH'));
  assert.ok(protocol.tuples.has('COMMANDS'));
});

test('every string constant of protocol.py is in constants.ts with the same value', () => {
  for (const [name, value] of protocol.strings) {
    assert.equal(ts[name], value, `constants.ts ${name}`);
  }
});

test('every tuple of protocol.py is in constants.ts with the same items in the same order', () => {
  for (const [name, values] of protocol.tuples) {
    assert.deepEqual(ts[name], values, `constants.ts ${name}`);
  }
});

test('constants.ts has nothing that protocol.py lacks', () => {
  const known = new Set([...protocol.strings.keys(), ...protocol.tuples.keys()]);
  const extra = Object.keys(ts).filter((name) => !known.has(name));
  assert.deepEqual(extra, []);
});

test('method names are namespaced, command names dotted', () => {
  for (const name of ['SEARCH', 'FIND_SIMILAR', 'COMPLETION_CONTEXT', 'INDEX_STATUS']) {
    assert.match(String(ts[name]), /^nearcode\/[a-zA-Z]+$/);
  }
  for (const cmd of constants.COMMANDS) {
    assert.match(cmd, /^nearcode\.[a-zA-Z]+$/);
  }
});
