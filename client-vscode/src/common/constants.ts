// The names of nearcode's own LSP methods and commands; mirrors server/nearcode/lsp/protocol.py.
// test/unit/constants.test.ts parses protocol.py and fails when the two lists drift apart.

export const SEARCH = 'nearcode/search';
export const FIND_SIMILAR = 'nearcode/findSimilar';
export const COMPLETION_CONTEXT = 'nearcode/completionContext';
export const INDEX_STATUS = 'nearcode/indexStatus';

export const CMD_REINDEX = 'nearcode.reindex';
export const CMD_SEARCH = 'nearcode.search';
export const CMD_FIND_SIMILAR = 'nearcode.findSimilar';
export const CMD_SHOW_DUPLICATES = 'nearcode.showDuplicates';

export const COMMANDS = [CMD_REINDEX, CMD_SEARCH, CMD_FIND_SIMILAR, CMD_SHOW_DUPLICATES] as const;

export const DIAGNOSTIC_SOURCE = 'nearcode';
export const PROGRESS_TITLE = 'nearcode: indexing';
export const TRUST_OPTION = 'workspaceTrusted';
