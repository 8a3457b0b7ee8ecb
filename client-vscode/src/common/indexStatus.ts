// What the status bar says about the index, from `$/progress` and `nearcode/indexStatus`.

import { PROGRESS_TITLE } from './constants';
import type { IndexStatus, WorkDoneProgressValue } from './types';

export type ServerState = 'starting' | 'running' | 'stopped' | 'failed';

export interface StatusView {
  /** Status bar text, with codicons. */
  text: string;
  tooltip: string;
  /** True while the index is being built: poll indexStatus, spin the icon. */
  indexing: boolean;
  /** Draw the item as an error. */
  error: boolean;
}

/**
 * Folds server state, work-done progress and indexStatus answers into one view.
 *
 * Progress is only taken from tokens whose `begin` carries the server's indexing title; other
 * progress (if any) is left to VS Code's own progress UI.
 */
export class IndexStatusModel {
  private server: ServerState = 'starting';
  private serverDetail = '';
  private status: IndexStatus | undefined;
  private readonly indexingTokens = new Set<string>();
  private progressMessage: string | undefined;
  private progressPercentage: number | undefined;

  setServerState(state: ServerState, detail = ''): void {
    this.server = state;
    this.serverDetail = detail;
    if (state !== 'running') {
      this.status = undefined;
      this.indexingTokens.clear();
      this.progressMessage = undefined;
      this.progressPercentage = undefined;
    }
  }

  /** A `$/progress` value for `token`; returns true when it was indexing progress. */
  onProgress(token: string | number, value: WorkDoneProgressValue): boolean {
    const key = String(token);
    if (value.kind === 'begin') {
      if (value.title !== PROGRESS_TITLE) {
        return false;
      }
      this.indexingTokens.add(key);
      this.progressMessage = value.message;
      this.progressPercentage = value.percentage;
      return true;
    }
    if (!this.indexingTokens.has(key)) {
      return false;
    }
    if (value.kind === 'report') {
      this.progressMessage = value.message ?? this.progressMessage;
      this.progressPercentage = value.percentage ?? this.progressPercentage;
    } else {
      this.indexingTokens.delete(key);
      if (this.indexingTokens.size === 0) {
        this.progressMessage = undefined;
        this.progressPercentage = undefined;
        if (this.status?.state === 'indexing') {
          // The poll that follows brings the final counts; until then, nothing is pending.
          this.status = { ...this.status, state: 'idle', pendingFiles: 0 };
        }
      }
    }
    return true;
  }

  onIndexStatus(status: IndexStatus): void {
    this.status = status;
  }

  /** Indexing, or not known yet: the server has not answered indexStatus since it started. */
  get indexing(): boolean {
    return this.server === 'running'
      && (this.indexingTokens.size > 0 || this.status === undefined || this.status.state === 'indexing');
  }

  view(): StatusView {
    switch (this.server) {
      case 'starting':
        return { text: '$(loading~spin) nearcode', tooltip: 'nearcode: starting the server…', indexing: false, error: false };
      case 'failed':
        return {
          text: '$(error) nearcode',
          tooltip: `nearcode: the server is not running${this.serverDetail ? ` (${this.serverDetail})` : ''}. Click for actions.`,
          indexing: false,
          error: true,
        };
      case 'stopped':
        return { text: '$(circle-slash) nearcode', tooltip: 'nearcode: the server is stopped. Click for actions.', indexing: false, error: false };
      default:
        break;
    }
    const s = this.status;
    const counts = s ? `${formatCount(s.files, 'file')}, ${formatCount(s.chunks, 'chunk')}` : '';
    const model = s?.model ? `\nmodel: ${s.model}` : '';
    if (!s && this.indexingTokens.size === 0) {
      return { text: '$(sync~spin) nearcode', tooltip: 'nearcode: asking the server about the index…', indexing: true, error: false };
    }
    if (this.indexing) {
      const progress = this.progressText();
      return {
        text: `$(sync~spin) nearcode${progress ? ` ${progress}` : ''}`,
        tooltip: `nearcode: indexing${progress ? ` (${progress})` : ''}${counts ? `\n${counts} indexed so far` : ''}${embeddedText(s)}${model}\nSearch works meanwhile on what is indexed.`,
        indexing: true,
        error: false,
      };
    }
    return {
      text: '$(search) nearcode',
      tooltip: `nearcode: index up to date${counts ? `\n${counts}` : ''}${model}\nClick for actions.`,
      indexing: false,
      error: false,
    };
  }

  private progressText(): string {
    if (this.progressMessage) {
      return this.progressMessage;
    }
    if (this.progressPercentage !== undefined) {
      return `${Math.round(this.progressPercentage)}%`;
    }
    const s = this.status;
    if (s && s.state === 'indexing' && s.pendingFiles > 0) {
      return `${s.pendingFiles} pending`;
    }
    return '';
  }
}

/** The second tier while it fills: every indexed file is found by its words at once, by meaning
 * once its chunks have vectors. */
function embeddedText(s: IndexStatus | undefined): string {
  if (!s || s.chunksEmbedded === undefined || s.chunksEmbedded >= s.chunks) {
    return '';
  }
  return `\n${s.chunksEmbedded.toLocaleString('en-US')} of ${formatCount(s.chunks, 'chunk')} embedded (the others are found by their words meanwhile)`;
}

export function formatCount(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}
