// Starting, stopping and restarting `nearcode serve`, and the LanguageClient talking to it.

import * as cp from 'node:child_process';
import * as os from 'node:os';
import * as readline from 'node:readline';
import * as vscode from 'vscode';
import {
  LanguageClient,
  State,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { PROGRESS_TITLE } from './common/constants';
import type { ServerState } from './common/indexStatus';
import {
  describeStartFailure,
  formatCommand,
  resolveServerCommand,
  stderrLevel,
  which,
  type ServerCommand,
} from './common/serverCommand';
import { toInitializationOptions, type ServerSetting } from './common/settings';
import type { WorkDoneProgressValue } from './common/types';

const STDERR_TAIL_CHARS = 4000;
const KILL_AFTER_MS = 3000;

/**
 * A LanguageClient whose start-up failures stay quiet: the manager explains them itself, with a
 * fix, instead of the generic "couldn't create connection to server".
 */
class NearcodeLanguageClient extends LanguageClient {
  override error(message: string, data?: unknown, showNotification?: boolean | 'force'): void {
    const quiet = this.state !== State.Running;
    super.error(message, data, quiet ? false : showNotification);
  }
}

export interface StateChange {
  state: ServerState;
  detail?: string;
}

/** Owns the server process and its client; one per window. */
export class ServerManager implements vscode.Disposable {
  private client: NearcodeLanguageClient | undefined;
  private starting: Promise<LanguageClient | undefined> | undefined;
  private process: cp.ChildProcess | undefined;
  private readonly stateEmitter = new vscode.EventEmitter<StateChange>();
  private readonly progressEmitter = new vscode.EventEmitter<{ token: string | number; value: WorkDoneProgressValue }>();
  private readonly clientDisposables: vscode.Disposable[] = [];
  private disposed = false;

  /** Fires on every change of the server's state. */
  readonly onDidChangeState = this.stateEmitter.event;
  /** Every work-done progress value the server sends (the built-in progress UI still shows it). */
  readonly onProgress = this.progressEmitter.event;

  constructor(
    private readonly output: vscode.LogOutputChannel,
    private readonly pythonInterpreter: () => Promise<string | undefined>,
  ) {}

  /** The running client, starting the server first if needed; undefined when it cannot start. */
  async ready(): Promise<LanguageClient | undefined> {
    if (this.client && this.client.state === State.Running) {
      return this.client;
    }
    return this.start();
  }

  /** The client if the server is running now; never starts it. */
  running(): LanguageClient | undefined {
    return this.client && this.client.state === State.Running ? this.client : undefined;
  }

  /** Starts the server unless it is running or starting. */
  start(): Promise<LanguageClient | undefined> {
    if (!this.starting) {
      this.starting = this.doStart().finally(() => {
        this.starting = undefined;
      });
    }
    return this.starting;
  }

  async restart(): Promise<LanguageClient | undefined> {
    if (this.starting) {
      await this.starting;
    }
    await this.stop();
    return this.start();
  }

  async stop(): Promise<void> {
    const client = this.client;
    const proc = this.process;
    this.client = undefined;
    this.process = undefined;
    for (const d of this.clientDisposables.splice(0)) {
      d.dispose();
    }
    if (client) {
      try {
        await client.dispose(KILL_AFTER_MS);
      } catch (error) {
        this.output.warn(`stopping the server: ${String(error)}`);
      }
    }
    // The client only asks the server to exit; give it time to close its index, then make sure
    // a stuck one goes away.
    if (proc && !(await exited(proc, KILL_AFTER_MS))) {
      this.output.warn('the server did not exit after shutdown; terminating it');
      proc.kill();
    }
    if (!this.disposed) {
      this.stateEmitter.fire({ state: 'stopped' });
    }
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.stop();
    this.stateEmitter.dispose();
    this.progressEmitter.dispose();
  }

  private async doStart(): Promise<LanguageClient | undefined> {
    this.stateEmitter.fire({ state: 'starting' });
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const config = vscode.workspace.getConfiguration('nearcode');
    let cmd: ServerCommand;
    try {
      cmd = resolveServerCommand(config.get('server.command'), {
        which: (name) => which(name),
        pythonInterpreter: await this.pythonInterpreter(),
        workspaceFolder: folder,
        userHome: os.homedir(),
      });
    } catch (error) {
      return this.failed(`${(error as Error).message}.`, true, 'bad setting');
    }
    this.output.info(`starting the server: ${formatCommand(cmd)} (${cmd.source})`);
    if (!which(cmd.command)) {
      const failure = describeStartFailure(cmd, { code: 'ENOENT' }, '');
      return this.failed(failure.message, failure.offerSettings, 'not found');
    }

    let stderrTail = '';
    let spawnError: NodeJS.ErrnoException | undefined;
    const serverOptions: ServerOptions = async () => {
      const child = cp.spawn(cmd.command, cmd.args, { cwd: folder, env: process.env, stdio: 'pipe' });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', (error) => {
          spawnError = error;
          reject(error);
        });
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderrTail = (stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
      });
      child.on('exit', (code, signal) => this.output.info(`server process exited (code ${code}, signal ${signal})`));
      this.process = child;
      return { process: child, detached: false };
    };

    const initializationOptions = toInitializationOptions(
      (name: ServerSetting) => config.inspect(name), vscode.workspace.isTrusted);
    this.output.info(`initializationOptions: ${JSON.stringify(initializationOptions)}`);
    const clientOptions: LanguageClientOptions = {
      // Open files are synchronised so that queries about them see unsaved edits; the server
      // watches the workspace folders itself, so no file events are forwarded.
      documentSelector: [{ scheme: 'file' }],
      initializationOptions,
      outputChannel: this.output,
      stdioOptions: {
        stdout: (input, channel) => lines(input, (line) => channel.info(line)),
        stderr: (input, channel) => lines(input, (line) => channel[stderrLevel(line)](line)),
      },
      initializationFailedHandler: () => false,
      middleware: {
        handleWorkDoneProgress: (token, params, next) => {
          this.progressEmitter.fire({ token, value: params as WorkDoneProgressValue });
          next(token, params);
        },
      },
    };
    const client = new NearcodeLanguageClient('nearcode', 'nearcode', serverOptions, clientOptions);
    this.client = client;
    this.clientDisposables.push(client.onDidChangeState((e) => {
      if (this.client !== client) {
        return;
      }
      if (e.newState === State.Running) {
        this.stateEmitter.fire({ state: 'running' });
      } else if (e.newState === State.Starting) {
        this.stateEmitter.fire({ state: 'starting' });
      } else if (e.newState === State.Stopped && e.oldState === State.Running) {
        this.stateEmitter.fire({ state: 'failed', detail: 'the server stopped' });
      }
    }));
    try {
      await client.start();
    } catch (error) {
      if (this.client === client) {
        this.client = undefined;
      }
      await client.dispose().catch(() => undefined);
      const failure = describeStartFailure(cmd, spawnError ?? (error as Error), stderrTail);
      this.output.error(`${failure.message}\n${String(error)}`);
      return this.failed(failure.message, failure.offerSettings, 'failed to start');
    }
    this.output.info(`server running; indexing progress is titled "${PROGRESS_TITLE}"`);
    return client;
  }

  private failed(message: string, offerSettings: boolean, detail: string): undefined {
    this.stateEmitter.fire({ state: 'failed', detail });
    const actions = offerSettings ? ['Open Settings', 'Show Output'] : ['Show Output'];
    void vscode.window.showErrorMessage(message, ...actions).then((choice) => {
      if (choice === 'Open Settings') {
        void vscode.commands.executeCommand('workbench.action.openSettings', 'nearcode.server.command');
      } else if (choice === 'Show Output') {
        this.output.show(true);
      }
    });
    return undefined;
  }
}

/** Resolves true once `proc` has exited, false if it is still running after `ms`. */
function exited(proc: cp.ChildProcess, ms: number): Promise<boolean> {
  if (proc.exitCode !== null || proc.signalCode !== null) {
    return Promise.resolve(true);
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function lines(input: NodeJS.ReadableStream, each: (line: string) => void): void {
  readline.createInterface({ input, crlfDelay: Infinity, terminal: false }).on('line', each);
}
