// Typed calls to flowlab's server extension (/flowlab/api), authenticated by Jupyter Server.
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

export interface IRunSummary {
  id: string;
  workflow: string;
  status: string;
  created: string | null;
  ended: string | null;
  parent: string | null;
  tags: string[];
  /** Who launched the run (FLOWLAB_USER, else the login); null for runs recorded before. */
  user: string | null;
  outputs: Record<string, string | number | boolean | null>;
}

export interface IOperator {
  state: string;
  worker: string | null;
  started: string | null;
  ended: string | null;
  duration: number | null;
  logs: string | null;
  traceback: string | null;
}

export interface IRunDetail extends Omit<IRunSummary, 'outputs'> {
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  operators: Record<string, IOperator>;
  error: { message?: string; operator?: string } | null;
  /** Notes added to the run, oldest first (its tags are in the summary). */
  notes: string[];
  dag: string;
  html: string;
  state_colours: Record<string, string>;
  /** Whether the status is final (the server's list): the run tab stops polling then. */
  finished: boolean;
}

/** Run statuses and operator states, the final ones and their colours, as the server has them. */
export interface IStates {
  run_statuses: string[];
  operator_states: string[];
  terminal_run: string[];
  terminal_operator: string[];
  colours: Record<string, string>;
}

export interface ISavedSearch {
  name: string;
  query: string;
  order_by: string | null;
  limit: number | null;
}

/** An answer other than 2xx: the server's `message` (a bad query names the column). */
export class FlowlabError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message);
  }
}

async function request<T>(path: string): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'flowlab', 'api', path);
  const response = await ServerConnection.makeRequest(url, {}, settings);
  const text = await response.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { message: text };
  }
  if (!response.ok) {
    const message = (data as { message?: string } | null)?.message;
    throw new FlowlabError(message || `${response.status} ${response.statusText}`, response.status);
  }
  return data as T;
}

/** The runs `query` finds; only those `user` launched when given (the sidebar's "mine"). */
export function listRuns(query: string, limit = 50, user?: string): Promise<IRunSummary[]> {
  const params = new URLSearchParams({ q: query, limit: String(limit) });
  if (user) {
    params.set('user', user);
  }
  return request<IRunSummary[]>(`runs?${params.toString()}`);
}

/** Who the server runs as: the user the runs launched from its notebooks are recorded as. */
export async function currentUser(): Promise<string> {
  const answer = await request<{ user: string }>('me');
  return answer.user;
}

export function getRun(id: string): Promise<IRunDetail> {
  return request<IRunDetail>(`runs/${encodeURIComponent(id)}`);
}

export function getStates(): Promise<IStates> {
  return request<IStates>('states');
}

export function listSearches(): Promise<ISavedSearch[]> {
  return request<ISavedSearch[]>('searches');
}

/** The URL of flowlab's dashboard (`flowlab ui`), which the server starts on first request. */
export async function dashboardUrl(): Promise<string> {
  const answer = await request<{ url: string }>('dashboard');
  return answer.url;
}
