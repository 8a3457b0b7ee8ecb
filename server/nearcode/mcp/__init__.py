"""nearcode for coding agents: an MCP server over the workspace's index (`nearcode mcp`)."""
