-- Headless Neovim (0.7+) as a real LSP client of `nearcode serve`.
-- Env: NEARCODE_SERVER (the server command, words separated by tabs), NEARCODE_WS (workspace
-- folder), NEARCODE_FILE (a file in it to open), NEARCODE_QUERY, NEARCODE_OUT (JSON results).
-- Uses vim.lsp.start_client + buf_attach_client (0.7 has no vim.lsp.start).
local out = {}
local function finish(code)
  local f = assert(io.open(os.getenv('NEARCODE_OUT'), 'w'))
  f:write(vim.fn.json_encode(out))
  f:close()
  vim.cmd(code == 0 and 'qa!' or 'cq!')
end

local cmd = vim.split(os.getenv('NEARCODE_SERVER'), '\t')
local client_id = vim.lsp.start_client({
  name = 'nearcode',
  cmd = cmd,
  root_dir = os.getenv('NEARCODE_WS'),
  workspace_folders = { { uri = vim.uri_from_fname(os.getenv('NEARCODE_WS')), name = 'ws' } },
})
out.client_id = client_id
vim.cmd('edit ' .. os.getenv('NEARCODE_FILE'))
local bufnr = vim.api.nvim_get_current_buf()
vim.lsp.buf_attach_client(bufnr, client_id)
local client = vim.lsp.get_client_by_id(client_id)
out.initialized = vim.wait(20000, function() return client.initialized end, 50)
if not out.initialized then return finish(1) end

-- wait for the index: poll nearcode/indexStatus until idle
local status
out.idle = vim.wait(60000, function()
  local res = vim.lsp.buf_request_sync(bufnr, 'nearcode/indexStatus', {}, 5000)
  for _, r in pairs(res or {}) do status = r.result end
  return status ~= nil and status.state == 'idle' and status.files > 0 and status.pendingFiles == 0
end, 200)
out.status = status

local query = os.getenv('NEARCODE_QUERY')
local res = vim.lsp.buf_request_sync(bufnr, 'workspace/symbol', { query = query }, 20000)
for _, r in pairs(res or {}) do out.symbols = r.result; out.symbols_err = r.err end
res = vim.lsp.buf_request_sync(bufnr, 'nearcode/search', { query = query, limit = 5 }, 20000)
for _, r in pairs(res or {}) do out.search = r.result; out.search_err = r.err end

client.stop()
out.stopped = vim.wait(5000, function() return client.is_stopped() end, 50)
finish(0)
