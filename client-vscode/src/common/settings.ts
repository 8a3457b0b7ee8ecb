// VS Code settings → the server's initializationOptions.

import { TRUST_OPTION } from './constants';

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
  'includeTests',
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
 * Settings that name a path or a host (server/nearcode/trust.py `UNSAFE`, and `model`, which may
 * name a folder of weights): in an untrusted workspace only the user's own value counts.
 * package.json lists them as restricted configurations too.
 */
export const RESTRICTED_SETTINGS: readonly ServerSetting[] = ['model', 'dbPath', 'store'];

/**
 * initializationOptions for the server: the server settings the user set explicitly, under their
 * camelCase names (the server reads camelCase as well as snake_case), and, when VS Code trusts
 * the workspace, `workspaceTrusted: true`, so the server also honours the paths and hosts its
 * pyproject.toml names.
 *
 * @param inspect looks one setting up, e.g. `(name) => config.inspect(name)`.
 * @param trusted `vscode.workspace.isTrusted`.
 */
export function toInitializationOptions(
  inspect: (name: ServerSetting) => InspectedValue | undefined,
  trusted: boolean,
): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const name of SERVER_SETTINGS) {
    let inspected = inspect(name);
    if (!trusted && inspected && RESTRICTED_SETTINGS.includes(name)) {
      inspected = { defaultValue: inspected.defaultValue, globalValue: inspected.globalValue };
    }
    const value = explicitValue(inspected);
    if (value !== undefined && !(typeof value === 'string' && value.trim() === '')) {
      options[name] = value;
    }
  }
  if (trusted) {
    options[TRUST_OPTION] = true;
  }
  return options;
}

/** True when a change to `nearcode.<section>` needs a server restart to take effect. */
export function needsRestart(affects: (section: string) => boolean): boolean {
  return affects('nearcode.server') || SERVER_SETTINGS.some((name) => affects(`nearcode.${name}`));
}
