// Which command starts `nearcode serve`, and what to tell the user when it does not start.

import * as fs from 'node:fs';
import * as path from 'node:path';

export type CommandSource = 'setting' | 'path' | 'python-extension' | 'python3';

export interface ServerCommand {
  command: string;
  args: string[];
  /** Where the command came from; shapes the fix suggested when it fails. */
  source: CommandSource;
}

export interface ResolveContext {
  /** Finds an executable on PATH. */
  which: (name: string) => string | undefined;
  /** The Python extension's selected interpreter, when that extension is installed. */
  pythonInterpreter?: string;
  /** Values for `${workspaceFolder}` and `${userHome}` in the setting. */
  workspaceFolder?: string;
  userHome?: string;
}

export const SETTING = 'nearcode.server.command';

/** Splits a command line on blanks, honouring single and double quotes and backslashes. */
export function splitCommandLine(line: string): string[] {
  const out: string[] = [];
  let current = '';
  let quote: '"' | "'" | undefined;
  let started = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === quote) {
        quote = undefined;
      } else if (ch === '\\' && quote === '"' && i + 1 < line.length && '"\\'.includes(line[i + 1])) {
        current += line[++i];
      } else {
        current += ch;
      }
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      started = true;
    } else if (ch === '\\' && i + 1 < line.length) {
      current += line[++i];
      started = true;
    } else if (/\s/.test(ch)) {
      if (started) {
        out.push(current);
        current = '';
        started = false;
      }
    } else {
      current += ch;
      started = true;
    }
  }
  if (quote) {
    throw new Error(`unbalanced ${quote} in ${JSON.stringify(line)}`);
  }
  if (started) {
    out.push(current);
  }
  return out;
}

/** Expands `${workspaceFolder}`, `${userHome}`, `${env:NAME}` and a leading `~/`. */
export function expandVariables(arg: string, ctx: ResolveContext, env: NodeJS.ProcessEnv = process.env): string {
  let out = arg.replace(/\$\{(workspaceFolder|userHome|env:([A-Za-z_][A-Za-z0-9_]*))\}/g, (whole, name: string, envName?: string) => {
    if (envName) {
      return env[envName] ?? '';
    }
    const value = name === 'workspaceFolder' ? ctx.workspaceFolder : ctx.userHome;
    return value ?? whole;
  });
  if (ctx.userHome && (out === '~' || out.startsWith('~/'))) {
    out = ctx.userHome + out.slice(1);
  }
  return out;
}

/**
 * The command to start the server with.
 *
 * Order: the `nearcode.server.command` setting (an array, or a string split like a shell would);
 * else `nearcode serve` when `nearcode` is on PATH; else `<interpreter> -m nearcode serve` with
 * the Python extension's selected interpreter; else `python3 -m nearcode serve`.
 *
 * @throws Error with a message fit for the user when the setting is malformed.
 */
export function resolveServerCommand(setting: unknown, ctx: ResolveContext): ServerCommand {
  let parts: string[] | undefined;
  if (typeof setting === 'string') {
    parts = splitCommandLine(setting);
  } else if (Array.isArray(setting)) {
    if (!setting.every((p) => typeof p === 'string')) {
      throw new Error(`${SETTING} must be a list of strings or a string`);
    }
    parts = setting as string[];
  } else if (setting !== undefined && setting !== null) {
    throw new Error(`${SETTING} must be a list of strings or a string`);
  }
  if (parts && parts.length > 0 && parts[0] !== '') {
    const [command, ...args] = parts.map((p) => expandVariables(p, ctx));
    return { command, args, source: 'setting' };
  }
  const onPath = ctx.which('nearcode');
  if (onPath) {
    return { command: onPath, args: ['serve'], source: 'path' };
  }
  if (ctx.pythonInterpreter) {
    return { command: ctx.pythonInterpreter, args: ['-m', 'nearcode', 'serve'], source: 'python-extension' };
  }
  return { command: 'python3', args: ['-m', 'nearcode', 'serve'], source: 'python3' };
}

/** The command as one line, quoted where needed, for messages and the log. */
export function formatCommand(cmd: { command: string; args: string[] }): string {
  return [cmd.command, ...cmd.args].map((p) => (/^[\w@%+=:,./-]+$/.test(p) ? p : JSON.stringify(p))).join(' ');
}

/**
 * An executable named `name` on `pathEnv`, like `which`. Names with a slash are checked as they
 * are.
 */
export function which(
  name: string,
  pathEnv: string | undefined = process.env.PATH,
  platform: NodeJS.Platform = process.platform,
  pathExt: string | undefined = process.env.PATHEXT,
): string | undefined {
  const exts = platform === 'win32' ? ['', ...(pathExt ?? '.EXE;.CMD;.BAT;.COM').split(';')] : [''];
  const candidates = name.includes('/') || (platform === 'win32' && name.includes('\\'))
    ? [name]
    : (pathEnv ?? '').split(platform === 'win32' ? ';' : path.delimiter).filter(Boolean).map((dir) => path.join(dir, name));
  for (const base of candidates) {
    for (const ext of exts) {
      const file = base + ext;
      if (isExecutable(file, platform)) {
        return file;
      }
    }
  }
  return undefined;
}

function isExecutable(file: string, platform: NodeJS.Platform): boolean {
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) {
      return false;
    }
    if (platform === 'win32') {
      return true;
    }
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface StartFailure {
  /** The error notification's text: what failed and how to fix it. */
  message: string;
  /** Offer to open the `nearcode.server.command` setting. */
  offerSettings: boolean;
}

/**
 * The message shown when the server cannot be started or exits during start-up.
 *
 * @param error the spawn error (`code` ENOENT, EACCES) or the client's start error.
 * @param stderr the last lines the process wrote to stderr, if any.
 */
export function describeStartFailure(
  cmd: ServerCommand,
  error: { code?: string; message?: string } | undefined,
  stderr: string,
): StartFailure {
  const line = formatCommand(cmd);
  const setHint = `or set "${SETTING}" to the full command, e.g. ["/path/to/venv/bin/nearcode", "serve"]`;
  const install = 'Install nearcode (in a nearcode checkout, scripts/install.sh creates .venv/bin/nearcode)';
  if (error?.code === 'ENOENT') {
    const what = cmd.source === 'setting'
      ? `the command in "${SETTING}", \`${line}\`, was not found.`
      : `neither \`nearcode\` nor \`${cmd.command}\` was found on PATH.`;
    return { message: `nearcode: cannot start the server: ${what} ${install}, ${setHint}.`, offerSettings: true };
  }
  if (error?.code === 'EACCES') {
    return {
      message: `nearcode: cannot start the server: \`${cmd.command}\` is not executable. Make it executable (chmod +x) ${setHint}.`,
      offerSettings: true,
    };
  }
  const lastLine = stderr.trim().split('\n').filter((l) => l.trim() !== '').pop() ?? '';
  if (/No module named '?nearcode'?/.test(stderr)) {
    return {
      message: `nearcode: cannot start the server: \`${cmd.command}\` has no nearcode module. Install nearcode into that Python (\`${cmd.command} -m pip install <nearcode checkout>\`), ${setHint}.`,
      offerSettings: true,
    };
  }
  const detail = lastLine || error?.message || 'it exited during start-up';
  return {
    message: `nearcode: the server \`${line}\` failed to start: ${detail}. See the "nearcode" output for details; check that \`${line}\` runs in a terminal, ${setHint}.`,
    offerSettings: true,
  };
}

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/**
 * The output-channel level of one line the server wrote to stderr.
 *
 * Python logging lines start with their level name. nearcode's own records also reach the
 * channel as window/logMessage, so INFO and DEBUG lines on stderr are kept at debug level;
 * anything unprefixed (a traceback, "No module named …") stays an error.
 */
export function stderrLevel(line: string): LogLevel {
  const m = /^\s*(CRITICAL|ERROR|WARNING|WARN|INFO|DEBUG)\b/.exec(line);
  if (!m) {
    return 'error';
  }
  switch (m[1]) {
    case 'WARNING':
    case 'WARN':
      return 'warn';
    case 'INFO':
    case 'DEBUG':
      return 'debug';
    default:
      return 'error';
  }
}
