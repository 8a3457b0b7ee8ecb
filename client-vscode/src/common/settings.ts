// VS Code settings → the server's initializationOptions.

/**
 * The server's settings (server/nearcode/config.py `Settings`, camelCased), each contributed as
 * `nearcode.<name>`. test/unit/settings.test.ts checks this list against config.py and
 * package.json.
 */
export const SERVER_SETTINGS = [
  'model',
  'backend',
  'dbPath',
  'exclude',
  'maxFileBytes',
  'denseWeight',
  'lexicalWeight',
  'diagnostics',
  'duplicateThreshold',
  'duplicateExclude',
  'maxDiagnosticsPerFile',
  'store',
  'watch',
] as const;

export type ServerSetting = (typeof SERVER_SETTINGS)[number];

/** Where a setting's value came from, as `WorkspaceConfiguration.inspect` reports it. */
export interface InspectedValue<T = unknown> {
  defaultValue?: T;
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

/**
 * The value the user set, most specific scope first, or undefined when only the default applies.
 *
 * Defaults are not forwarded: the server has the same ones, and a forwarded default would
 * override the project's own `[tool.nearcode]` table in pyproject.toml.
 */
export function explicitValue<T>(inspected: InspectedValue<T> | undefined): T | undefined {
  if (!inspected) {
    return undefined;
  }
  for (const value of [inspected.workspaceFolderValue, inspected.workspaceValue, inspected.globalValue]) {
    if (value !== undefined && value !== null) {
      return value;
    }
  }
  return undefined;
}

/**
 * initializationOptions for the server: the server settings the user set explicitly, under their
 * camelCase names (the server reads camelCase as well as snake_case).
 *
 * @param inspect looks one setting up, e.g. `(name) => config.inspect(name)`.
 */
export function toInitializationOptions(
  inspect: (name: ServerSetting) => InspectedValue | undefined,
): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const name of SERVER_SETTINGS) {
    const value = explicitValue(inspect(name));
    if (value !== undefined && !(typeof value === 'string' && value.trim() === '')) {
      options[name] = value;
    }
  }
  return options;
}

/** True when a change to `nearcode.<section>` needs a server restart to take effect. */
export function needsRestart(affects: (section: string) => boolean): boolean {
  return affects('nearcode.server') || SERVER_SETTINGS.some((name) => affects(`nearcode.${name}`));
}
