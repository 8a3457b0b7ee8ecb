// Where the tests find the extension's and the server's files, from out/test/unit/.

import * as path from 'node:path';

export const CLIENT_ROOT = path.resolve(__dirname, '..', '..', '..');
export const REPO_ROOT = path.resolve(CLIENT_ROOT, '..');
export const PROTOCOL_PY = path.join(REPO_ROOT, 'server', 'nearcode', 'lsp', 'protocol.py');
export const CONFIG_PY = path.join(REPO_ROOT, 'server', 'nearcode', 'config.py');
export const PACKAGE_JSON = path.join(CLIENT_ROOT, 'package.json');
