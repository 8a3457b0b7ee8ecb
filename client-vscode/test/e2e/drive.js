// @ts-check
// Drives code-server (VS Code in the browser) with playwright-core and Debian's Chromium:
// Search Code, open a hit, Find Similar Code, Show Completion Context. Started by scripts/e2e.sh,
// which sets CS_URL (the workbench with the fixture workspace open) and E2E_OUT (screenshots).
'use strict';

const { chromium } = require('playwright-core');
const fs = require('node:fs');
const path = require('node:path');

const URL = required('CS_URL');
const OUT = required('E2E_OUT');
const WORKSPACE = required('E2E_WORKSPACE');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const INDEX_TIMEOUT = Number(process.env.E2E_INDEX_TIMEOUT_MS || 120000);

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set; run scripts/e2e.sh`);
  }
  return value;
}

const t0 = Date.now();
const log = (msg) => console.log(`[drive ${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const profile = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'nearcode-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 900 },
  });
  try {
    const page = context.pages()[0] || await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') {
        console.log('[browser error]', m.text().slice(0, 300));
      }
    });
    try {
      await run(page);
    } catch (error) {
      await shot(page, 'failure').catch(() => undefined);
      throw error;
    }
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

/** @param {import('playwright-core').Page} page */
async function run(page) {
  await page.goto(URL, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('.monaco-workbench', { timeout: 120000 });
  log('workbench loaded');

  // 1. The extension starts the server; the status bar shows indexing, then the idle icon.
  const status = page.locator('.statusbar-item', { hasText: 'nearcode' }).first();
  await status.waitFor({ timeout: 60000 });
  log(`index ready: ${JSON.stringify(await waitIdle(status))}`);
  await shot(page, '01-status-bar');

  // 2. Search Code: a natural-language query; the tax function must lead the list.
  await runCommand(page, 'nearcode: Search Code');
  const input = page.locator('.quick-input-widget input[placeholder*="Describe the code"]');
  await input.waitFor({ timeout: 20000 });
  await input.pressSequentially('sales tax rate of a region', { delay: 15 });
  const rows = page.locator('.quick-input-list .monaco-list-row');
  const taxRow = rows.filter({ hasText: 'compute_sales_tax' }).first();
  await taxRow.waitFor({ timeout: 30000 });
  await expectText(rows.first(), /compute_sales_tax/, 'first search result');
  await expectText(taxRow, /shop\/tax\.py:\d+/, 'search result path:line');
  await expectText(taxRow, /def compute_sales_tax\(amount/, 'search result preview');
  log(`search results: ${JSON.stringify((await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ')))}`);
  await shot(page, '02-search-quickpick');

  // 3. Accepting a hit opens its file at its range: Cart.total_price starts on line 25.
  await input.fill('total price of the cart');
  const cartRow = rows.filter({ hasText: 'Cart.total_price' }).first();
  await cartRow.waitFor({ timeout: 30000 });
  await expectText(rows.first(), /Cart\.total_price/, 'first result for the cart query');
  await expectText(cartRow, /shop\/cart\.py:25/, 'cart hit path:line');
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab.active', { hasText: 'cart.py' }).waitFor({ timeout: 20000 });
  const selection = page.locator('[id="status.editor.selection"]');
  await expectText(selection, /Ln 25,/, 'cursor after opening the hit', 10000);
  log('opened shop/cart.py at line 25');
  await shot(page, '03-search-opened-hit');

  // 4. Find Similar Code for the function at the cursor: a peek view listing invoice_total.
  await runCommand(page, 'nearcode: Find Similar Code');
  const peek = page.locator('.peekview-widget');
  await peek.waitFor({ timeout: 30000 });
  // The peek groups locations by file, as for references; open invoice.py's group.
  const refRows = page.locator('.peekview-widget .ref-tree .monaco-list-row');
  const invoiceFile = refRows.filter({ hasText: 'invoice.py' }).first();
  await invoiceFile.waitFor({ timeout: 10000 });
  const invoiceTotal = refRows.filter({ hasText: 'def invoice_total' }).first();
  if (!(await invoiceTotal.isVisible())) {
    await invoiceFile.click();
  }
  await invoiceTotal.click({ timeout: 10000 });
  await page.locator('.peekview-widget .monaco-editor .view-lines', { hasText: 'def invoice_total' }).first().waitFor({ timeout: 10000 });
  log(`similar code: ${JSON.stringify((await page.locator('.peekview-widget .ref-tree .monaco-list-row').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ')))}`);
  await shot(page, '04-find-similar-peek');
  await page.keyboard.press('Escape');
  await peek.waitFor({ state: 'hidden', timeout: 10000 });

  // 5. Show Completion Context at the cursor: a Markdown document beside the editor.
  await runCommand(page, 'nearcode: Show Completion Context');
  await page.locator('.tabs-container .tab', { hasText: 'completion-context-1.md' }).first().waitFor({ timeout: 30000 });
  await page.locator('.monaco-editor .view-lines', { hasText: 'nearcode completion context' }).first().waitFor({ timeout: 10000 });
  log('completion context shown');
  await shot(page, '05-completion-context');

  // 5b. Another extension calls the language-model tools through vscode.lm.invokeTool, as Copilot's
  // agent mode would (no chat session, no Copilot needed).
  await lmTools(page);

  // 6. Reindex Workspace: the server reindexes and the status bar comes back to idle.
  await runCommand(page, 'nearcode: Reindex Workspace');
  await page.locator('.statusbar-item', { hasText: 'nearcode: reindex started' }).first().waitFor({ timeout: 20000 });
  await waitIdle(status);
  log('reindexed');

  // 7. Restart Server: the status bar goes through starting back to idle.
  await runCommand(page, 'nearcode: Restart Server');
  await page.locator('.statusbar-item', { hasText: 'nearcode: server restarted' }).first().waitFor({ timeout: 30000 });
  await waitIdle(status);
  log('restarted');

  // 8. A server command that does not exist: a changed setting restarts the server, which fails
  // with a message that says how to fix it; the status bar turns to an error.
  const workspaceSettings = path.join(WORKSPACE, '.vscode', 'settings.json');
  fs.mkdirSync(path.dirname(workspaceSettings), { recursive: true });
  fs.writeFileSync(workspaceSettings, JSON.stringify({ 'nearcode.server.command': ['/nonexistent/nearcode', 'serve'] }, null, 2));
  const toast = page.locator('.notifications-toasts .notification-list-item', { hasText: 'cannot start the server' }).first();
  await toast.waitFor({ timeout: 30000 });
  await expectText(toast, /\/nonexistent\/nearcode serve`, was not found.*nearcode\.server\.command/s, 'start error message');
  await status.locator('.codicon-error').waitFor({ timeout: 10000 });
  log(`start error shown: ${JSON.stringify((await toast.innerText()).replace(/\s+/g, ' '))}`);
  await page.waitForTimeout(800); // let the toast finish sliding in
  await shot(page, '06-start-error');

  // 9. Putting the setting back brings the server back.
  fs.rmSync(workspaceSettings);
  await waitIdle(status);
  log('server back after the setting was fixed');
  log('all steps passed');
}

/** Runs the test extension's command and checks what nearcode's language-model tools answered. */
async function lmTools(page) {
  const file = required('E2E_TOOL_OUT');
  fs.rmSync(file, { force: true });
  await page.keyboard.press('Escape');
  await runCommand(page, 'nearcode e2e: Invoke the Search Tool');
  const deadline = Date.now() + 30000;
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline) {
      throw new Error(`the test extension wrote no ${file}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const got = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (got.skipped) {
    log(`language-model tools SKIPPED: ${got.skipped}`);
    return;
  }
  if (got.failure) {
    throw new Error(`vscode.lm.invokeTool failed in VS Code ${got.version}: ${got.failure}`);
  }
  const expect = (ok, what) => {
    if (!ok) {
      throw new Error(`language-model tools: ${what}; got ${JSON.stringify(got, null, 2)}`);
    }
  };
  expect(JSON.stringify(got.tools) === JSON.stringify(['nearcode_completionContext', 'nearcode_findSimilar', 'nearcode_search']),
    'the three nearcode tools are registered');
  expect(/^1\. shop\/tax\.py:\d+-\d+  compute_sales_tax  \(function, python, score [\d.]+\)$/m.test(got.search),
    'nearcode_search ranks compute_sales_tax first');
  expect(/^1\. shop[^\n]*\n```python\n(?:[^`]*\n)?def compute_sales_tax\(amount/m.test(got.search), 'nearcode_search returns the code');
  expect(/invoice_total/.test(got.similar), 'nearcode_findSimilar finds invoice_total');
  expect(/'query' is required/.test(got.error), 'a call without a query fails with a clear message');
  log(`language-model tools in VS Code ${got.version}: ${got.tools.join(', ')}; search: ${JSON.stringify(got.search.split('\n').slice(0, 2))}`);
}

/** Waits until the status bar item says the index is up to date, with counts; returns its label. */
async function waitIdle(status) {
  const deadline = Date.now() + INDEX_TIMEOUT;
  let label = '';
  while (Date.now() < deadline) {
    label = (await status.getAttribute('aria-label').catch(() => '')) || '';
    if (/index up to date[\s\S]*\d+ files?/.test(label) && await status.locator('.codicon-search').count() > 0) {
      return label;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the index did not become ready; status bar: ${JSON.stringify(label)}`);
}

/** Runs a command from the palette by its title. */
async function runCommand(page, title) {
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 20000 });
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  await row.click({ timeout: 20000 });
  log(`ran "${title}"`);
}

async function expectText(locator, pattern, what, timeout = 5000) {
  const deadline = Date.now() + timeout;
  let text = '';
  while (Date.now() < deadline) {
    text = await locator.innerText().catch(() => '');
    if (pattern.test(text)) {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: expected ${pattern}, got ${JSON.stringify(text)}`);
}

async function shot(page, name) {
  const file = path.join(OUT, `${name}.png`);
  await page.screenshot({ path: file });
  log(`screenshot ${file}`);
}

main().catch((error) => {
  console.error('E2E FAILED:', error);
  process.exit(1);
});
