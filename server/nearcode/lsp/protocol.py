"""The names of nearcode's own LSP methods and commands, in one place.

Mirrored in client-vscode/src/common/constants.ts; README documents the request contract.
"""

from __future__ import annotations

SEARCH = "nearcode/search"
FIND_SIMILAR = "nearcode/findSimilar"
COMPLETION_CONTEXT = "nearcode/completionContext"
INDEX_STATUS = "nearcode/indexStatus"

CMD_REINDEX = "nearcode.reindex"
CMD_SEARCH = "nearcode.search"
CMD_FIND_SIMILAR = "nearcode.findSimilar"
CMD_SHOW_DUPLICATES = "nearcode.showDuplicates"

COMMANDS = (CMD_REINDEX, CMD_SEARCH, CMD_FIND_SIMILAR, CMD_SHOW_DUPLICATES)

DIAGNOSTIC_SOURCE = "nearcode"
PROGRESS_TITLE = "nearcode: indexing"
# initializationOptions key: the editor trusts the workspace folder (VS Code's workspace trust)
TRUST_OPTION = "workspaceTrusted"
