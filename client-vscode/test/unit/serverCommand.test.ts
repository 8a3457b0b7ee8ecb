import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  describeStartFailure,
  expandVariables,
  formatCommand,
  resolveServerCommand,
  splitCommandLine,
  stderrLevel,
  which,
  type ResolveContext,
} from '../../src/common/serverCommand';

const none: ResolveContext = { which: () => undefined };

test('an array setting is used as it is', () => {
  assert.deepEqual(resolveServerCommand(['/v/bin/nearcode', 'serve', '--log', 'x y'], none),
    { command: '/v/bin/nearcode', args: ['serve', '--log', 'x y'], source: 'setting' });
});

test('a string setting is split like a shell would', () => {
  assert.deepEqual(resolveServerCommand('"/opt/my env/python" -m nearcode serve', none),
    { command: '/opt/my env/python', args: ['-m', 'nearcode', 'serve'], source: 'setting' });
});

test('variables in the setting are expanded', () => {
  const ctx: ResolveContext = { ...none, workspaceFolder: '/w/proj', userHome: '/home/u' };
  assert.deepEqual(resolveServerCommand(['${workspaceFolder}/.venv/bin/nearcode', 'serve'], ctx).command, '/w/proj/.venv/bin/nearcode');
  assert.equal(expandVariables('~/bin/nearcode', ctx), '/home/u/bin/nearcode');
  assert.equal(expandVariables('${userHome}/x', ctx), '/home/u/x');
  assert.equal(expandVariables('${env:NC_TEST}/y', ctx, { NC_TEST: '/e' }), '/e/y');
  assert.equal(expandVariables('${workspaceFolder}/x', none), '${workspaceFolder}/x');
  assert.equal(expandVariables('a~b', ctx), 'a~b');
});

test('empty setting: nearcode on PATH first', () => {
  const ctx: ResolveContext = { which: (n) => (n === 'nearcode' ? '/usr/local/bin/nearcode' : undefined), pythonInterpreter: '/py' };
  for (const setting of [undefined, null, [], '', '   ', ['']]) {
    assert.deepEqual(resolveServerCommand(setting, ctx), { command: '/usr/local/bin/nearcode', args: ['serve'], source: 'path' }, JSON.stringify(setting));
  }
});

test('then the Python extension interpreter, then python3', () => {
  assert.deepEqual(resolveServerCommand([], { ...none, pythonInterpreter: '/venv/bin/python' }),
    { command: '/venv/bin/python', args: ['-m', 'nearcode', 'serve'], source: 'python-extension' });
  assert.deepEqual(resolveServerCommand([], none), { command: 'python3', args: ['-m', 'nearcode', 'serve'], source: 'python3' });
});

test('a malformed setting is an error that names the setting', () => {
  assert.throws(() => resolveServerCommand([1, 2], none), /nearcode\.server\.command/);
  assert.throws(() => resolveServerCommand({ command: 'x' }, none), /nearcode\.server\.command/);
  assert.throws(() => resolveServerCommand('"unclosed', none), /unbalanced/);
});

test('command line splitting', () => {
  assert.deepEqual(splitCommandLine('  a  b\tc '), ['a', 'b', 'c']);
  assert.deepEqual(splitCommandLine(`a 'b c' "d \\"e\\"" f\\ g ''`), ['a', 'b c', 'd "e"', 'f g', '']);
  assert.deepEqual(splitCommandLine(''), []);
});

test('formatCommand quotes what needs it', () => {
  assert.equal(formatCommand({ command: '/a b/python', args: ['-m', 'nearcode', 'serve'] }), '"/a b/python" -m nearcode serve');
});

test('which finds executables on PATH and checks paths as they are', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nearcode-which-'));
  const exe = path.join(dir, 'nearcode');
  const plain = path.join(dir, 'notexec');
  fs.writeFileSync(exe, '#!/bin/sh\n');
  fs.chmodSync(exe, 0o755);
  fs.writeFileSync(plain, '');
  fs.chmodSync(plain, 0o644);
  fs.mkdirSync(path.join(dir, 'adir'));
  try {
    assert.equal(which('nearcode', `/nonexistent${path.delimiter}${dir}`, 'linux'), exe);
    assert.equal(which('notexec', dir, 'linux'), undefined);
    assert.equal(which('adir', dir, 'linux'), undefined);
    assert.equal(which('missing', dir, 'linux'), undefined);
    assert.equal(which(exe, '', 'linux'), exe);
    assert.equal(which(path.join(dir, 'nope'), dir, 'linux'), undefined);
    assert.equal(which('nearcode', undefined, 'linux') === undefined || typeof which('nearcode') === 'string', true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('not found: says what was tried and how to fix it', () => {
  const fromPath = describeStartFailure({ command: 'python3', args: ['-m', 'nearcode', 'serve'], source: 'python3' }, { code: 'ENOENT' }, '');
  assert.match(fromPath.message, /neither `nearcode` nor `python3` was found on PATH/);
  assert.match(fromPath.message, /scripts\/install\.sh creates \.venv\/bin\/nearcode/);
  assert.match(fromPath.message, /nearcode\.server\.command/);
  assert.equal(fromPath.offerSettings, true);
  const fromSetting = describeStartFailure({ command: '/x/nearcode', args: ['serve'], source: 'setting' }, { code: 'ENOENT' }, '');
  assert.match(fromSetting.message, /the command in "nearcode\.server\.command", `\/x\/nearcode serve`, was not found/);
});

test('a Python without nearcode: says to install it into that Python', () => {
  const f = describeStartFailure({ command: '/usr/bin/python3', args: ['-m', 'nearcode', 'serve'], source: 'python3' },
    { message: 'Connection closed' }, "Traceback...\n/usr/bin/python3: No module named nearcode\n");
  assert.match(f.message, /has no nearcode module/);
  assert.match(f.message, /\/usr\/bin\/python3 -m pip install <nearcode checkout>/);
});

test('other failures quote the last stderr line', () => {
  const f = describeStartFailure({ command: 'nearcode', args: ['serve'], source: 'path' },
    { message: 'Connection closed' }, 'starting\nValueError: bad thing\n\n');
  assert.match(f.message, /failed to start: ValueError: bad thing/);
  const g = describeStartFailure({ command: 'nearcode', args: ['serve'], source: 'path' }, { message: 'Connection closed' }, '');
  assert.match(g.message, /failed to start: Connection closed/);
  const h = describeStartFailure({ command: '/x', args: [], source: 'setting' }, { code: 'EACCES' }, '');
  assert.match(h.message, /not executable/);
});

test('stderr lines get the level their Python logging prefix names', () => {
  assert.equal(stderrLevel('INFO nearcode.onnx_backend: exporting'), 'debug');
  assert.equal(stderrLevel('DEBUG x'), 'debug');
  assert.equal(stderrLevel('WARNING pygls.protocol.json_rpc: Server shutting down'), 'warn');
  assert.equal(stderrLevel('ERROR nearcode.server: boom'), 'error');
  assert.equal(stderrLevel('Traceback (most recent call last):'), 'error');
  assert.equal(stderrLevel('/usr/bin/python3: No module named nearcode'), 'error');
  assert.equal(stderrLevel('INFORMATION is not a level'), 'error');
});
