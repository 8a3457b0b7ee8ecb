import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  displayPath,
  escapeIcons,
  hitLocationLabel,
  hitsToLocations,
  hitToPickItem,
  kindIcon,
  previewLine,
  type FolderRef,
} from '../../src/common/hits';
import type { Hit } from '../../src/common/types';

const ROOT: FolderRef = { uri: 'file:///work/shop', name: 'shop' };
const OTHER: FolderRef = { uri: 'file:///work/lib', name: 'lib' };

function hit(over: Partial<Hit> = {}): Hit {
  return {
    uri: 'file:///work/shop/src/cart.py',
    range: { start: { line: 11, character: 0 }, end: { line: 20, character: 0 } },
    score: 0.8,
    symbol: 'Cart.total_price',
    kind: 'method',
    language: 'python',
    preview: 'def total_price(self) -> float:\n    """Sum of the items."""\n    return sum(i.price for i in self.items)',
    ...over,
  };
}

test('a row shows symbol with its kind icon, path:line (1-based) and the first preview line', () => {
  const item = hitToPickItem(hit(), [ROOT]);
  assert.equal(item.label, '$(symbol-method) Cart.total_price');
  assert.equal(item.description, 'src/cart.py:12');
  assert.equal(item.detail, 'def total_price(self) -> float:');
  assert.equal(item.alwaysShow, true);
  assert.equal(item.hit.uri, hit().uri);
});

test('a chunk without a symbol is labelled by its first line and has no detail', () => {
  const item = hitToPickItem(hit({ symbol: null, kind: 'code', preview: '\n   import os\nimport sys' }), [ROOT]);
  assert.equal(item.label, '$(symbol-snippet) import os');
  assert.equal(item.detail, '');
});

test('the detail is the line that names the symbol, not a leading docstring', () => {
  const item = hitToPickItem(hit({
    symbol: 'compute_sales_tax',
    kind: 'function',
    preview: '"""Sales tax by region."""\nRATES = {"EU": 0.20}\ndef compute_sales_tax(amount: float, region: str) -> float:',
  }), [ROOT]);
  assert.equal(item.detail, 'def compute_sales_tax(amount: float, region: str) -> float:');
  assert.equal(previewLine('@decorator\ndef f():', 'Cls.f'), 'def f():');
  assert.equal(previewLine('a\nb', 'missing'), 'a');
});

test('an empty chunk still gets a label', () => {
  assert.equal(hitToPickItem(hit({ symbol: undefined, preview: '' }), [ROOT]).label, '$(symbol-method) (empty chunk)');
});

test('icon syntax in code is escaped, not drawn', () => {
  assert.equal(escapeIcons('echo $(whoami) and $(sync~spin)'), 'echo \\$(whoami) and \\$(sync~spin)');
  const item = hitToPickItem(hit({ symbol: null, kind: 'code', preview: 'x=$(pwd)' }), [ROOT]);
  assert.equal(item.label, '$(symbol-snippet) x=\\$(pwd)');
});

test('kinds map to codicons with a fallback', () => {
  assert.equal(kindIcon('function'), 'symbol-function');
  assert.equal(kindIcon('class'), 'symbol-class');
  assert.equal(kindIcon('weird'), 'symbol-snippet');
  assert.equal(kindIcon(undefined), 'symbol-snippet');
});

test('preview lines are flattened and cut', () => {
  assert.equal(previewLine('  a   b\t c  \nnext'), 'a b c');
  const long = previewLine('x'.repeat(500));
  assert.equal(long.length, 160);
  assert.ok(long.endsWith('…'));
});

test('paths are relative to their folder; with several folders the folder name leads', () => {
  assert.equal(displayPath('file:///work/shop/src/a%20b.py', [ROOT]), 'src/a b.py');
  assert.equal(displayPath('file:///work/lib/x.py', [ROOT, OTHER]), 'lib/x.py');
  assert.equal(displayPath('file:///elsewhere/y.py', [ROOT]), '/elsewhere/y.py');
  assert.equal(displayPath('file:///work/shopping/z.py', [ROOT]), '/work/shopping/z.py');
  assert.equal(displayPath('file:///work/shop/z.py', [{ uri: 'file:///work/shop/', name: 'shop' }]), 'z.py');
});

test('location label', () => {
  assert.equal(hitLocationLabel(hit({ range: { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } } }), [ROOT]), 'src/cart.py:1');
});

test('locations keep rank order and drop duplicates', () => {
  const a = hit();
  const b = hit({ uri: 'file:///work/shop/src/b.py' });
  const locations = hitsToLocations([a, b, { ...a, score: 0.1 }]);
  assert.deepEqual(locations.map((l) => l.uri), [a.uri, b.uri]);
  assert.deepEqual(locations[0].range, a.range);
});
