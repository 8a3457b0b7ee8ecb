// The status bar item: the server's state and the index's progress.

import * as vscode from 'vscode';
import * as ids from './common/commands';
import { INDEX_STATUS } from './common/constants';
import { IndexStatusModel } from './common/indexStatus';
import type { IndexStatus } from './common/types';
import type { ServerManager } from './server';

const POLL_MS = 1000;

export class IndexStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('nearcode.status', vscode.StatusBarAlignment.Left, 10);
  private readonly model = new IndexStatusModel();
  private readonly disposables: vscode.Disposable[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private polling = false;

  constructor(private readonly server: ServerManager, private readonly output: vscode.LogOutputChannel) {
    this.item.name = 'nearcode index';
    this.item.command = ids.STATUS_MENU;
    this.disposables.push(
      this.item,
      server.onDidChangeState((change) => {
        this.model.setServerState(change.state, change.detail);
        this.render();
        this.item.show();
        if (change.state === 'running') {
          this.refresh();
        }
      }),
      server.onProgress(({ token, value }) => {
        if (this.model.onProgress(token, value)) {
          this.render();
          // Between begin and end, the counts come from polling; at the end, one last poll.
          this.refresh();
        }
      }),
    );
    // Shown from the first state change on: a window without folders starts no server.
    this.render();
  }

  /** True while the index is being built (or its state is not known yet). */
  get indexing(): boolean {
    return this.model.indexing;
  }

  /** Asks the server for the index status now, and keeps asking while it is indexing. */
  refresh(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    void this.poll();
  }

  private async poll(): Promise<void> {
    if (this.polling) {
      return;
    }
    this.polling = true;
    try {
      const client = this.server.running();
      if (client) {
        const status = await client.sendRequest<IndexStatus>(INDEX_STATUS, {});
        this.model.onIndexStatus(status);
        this.render();
      }
    } catch (error) {
      // The server may be restarting; the state change will render the right thing.
      this.output.debug(`indexStatus failed: ${String(error)}`);
    } finally {
      this.polling = false;
    }
    if (this.model.indexing && this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.poll();
      }, POLL_MS);
    }
  }

  private render(): void {
    const view = this.model.view();
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor = view.error ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }

  dispose(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
    }
    this.disposables.forEach((d) => d.dispose());
  }
}
