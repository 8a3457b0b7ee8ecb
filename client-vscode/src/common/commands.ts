// The extension's own VS Code command ids.
//
// They must differ from the server's workspace/executeCommand names (constants.COMMANDS):
// vscode-languageclient registers a VS Code command for each command the server announces, and a
// second registration of the same id would fail.

export const SEARCH_CODE = 'nearcode.searchCode';
export const FIND_SIMILAR_CODE = 'nearcode.findSimilarCode';
export const REINDEX_WORKSPACE = 'nearcode.reindexWorkspace';
export const REBUILD_INDEX = 'nearcode.rebuildIndex';
export const RESTART_SERVER = 'nearcode.restartServer';
export const SHOW_COMPLETION_CONTEXT = 'nearcode.showCompletionContext';
export const SHOW_OUTPUT = 'nearcode.showOutput';
/** Opened by a click on the status bar item; not in the command palette. */
export const STATUS_MENU = 'nearcode.statusMenu';

export const CLIENT_COMMANDS = [
  SEARCH_CODE, FIND_SIMILAR_CODE, REINDEX_WORKSPACE, REBUILD_INDEX, RESTART_SERVER, SHOW_COMPLETION_CONTEXT,
  SHOW_OUTPUT, STATUS_MENU,
] as const;
