import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AnalyticsEngine } from '@perftrack/analytics';
import type { MetricsCollector, ToolExecutionMetrics } from '@perftrack/core';
import { BatchQueue, checkInteger, checkOptionKeys, Diagnostics, errorMessage } from '@perftrack/core/internal';
import { openHistory } from '@perftrack/integration';
import { PerformanceStorage } from '@perftrack/storage';
import { DashboardModel, type DashboardSnapshot } from './model';
import { pageCsp, renderPage } from './page';
import { StorageSource } from './storage-source';

/** The port `perftrack dashboard` and the example use unless told otherwise. */
export const DEFAULT_DASHBOARD_PORT = 7420;

/** Options of {@link startDashboard}. Give a `collector`, a storage `dir`/`storage`, or both. */
export interface DashboardOptions {
  /** Attach to a running process: every record of this collector is shown live. */
  collector?: MetricsCollector;
  /**
   * The engine whose figures are shown, e.g. `PerformanceIntegration`'s `analytics`, so nothing
   * is analysed twice. Default: the dashboard's own engine, fed with what it sees.
   */
  analytics?: AnalyticsEngine;
  /** Read a storage directory (followed for new records unless a `collector` is given: then it is history only). */
  dir?: string;
  /** Read this storage instead of `dir`. */
  storage?: PerformanceStorage;
  /** TCP port; `0` picks a free one. Default `0`. */
  port?: number;
  /**
   * Interface to listen on. Default `127.0.0.1`. Any other value must be given on purpose: the
   * dashboard has no authentication, so a non-loopback host is warned about.
   */
  host?: string;
  /** How often the page is refreshed, ms. Default `500`. */
  refreshMs?: number;
  /** How often a storage directory is read for new records, ms. Default `1000`. */
  pollMs?: number;
  /** Newest stored sessions read. Default `200`. */
  maxSessions?: number;
  /** Pages connected at once; more get a 503. Default `16`. */
  maxClients?: number;
  /** Chart bucket width, ms. Default `1000`. */
  bucketMs?: number;
  /** Chart buckets. Default `120`. */
  buckets?: number;
  /** Receives failures (a storage read, a write to a page). Default: the first is warned about. */
  onError?: (error: unknown) => void;
  /** One-time warnings (a non-loopback host, dropped records). Default `process.emitWarning`. */
  onWarning?: (message: string) => void;
}

/** A running dashboard. */
export interface Dashboard {
  /** `http://host:port/`. */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** The state the page shows. */
  readonly model: DashboardModel;
  /** What the page would show now (also served as JSON at `/api/snapshot`). */
  snapshot(): DashboardSnapshot;
  /** Reads storage (in storage mode) and pushes a refresh to every page now. */
  refresh(): Promise<void>;
  /** Pages connected now. */
  readonly clients: number;
  /** Stops intake, ends every stream and closes the server. Safe to call twice. */
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const OPTION_KEYS = [
  'collector',
  'analytics',
  'dir',
  'storage',
  'port',
  'host',
  'refreshMs',
  'pollMs',
  'maxSessions',
  'maxClients',
  'bucketMs',
  'buckets',
  'onError',
  'onWarning',
];
/** A page whose unsent output passes this is too slow and is disconnected. */
const MAX_BUFFERED = 8 * 1024 * 1024;
const HEARTBEAT_MS = 15_000;

const int = (name: string, value: unknown, fallback: number, min: number, max: number): number =>
  value === undefined ? fallback : checkInteger('startDashboard', name, value, min, max);

/** The hostname of a Host header (`[::1]:80` → `::1`). */
function hostName(header: string): string {
  const v = header.trim().toLowerCase();
  if (v.startsWith('[')) return v.slice(1, v.indexOf(']'));
  const colon = v.lastIndexOf(':');
  return colon === -1 ? v : v.slice(0, colon);
}

/**
 * Starts the dashboard: one self-contained page (charts by uPlot, inlined) and a Server-Sent
 * Events stream (`/events`) of new records (`event: records`) and refreshed figures
 * (`event: snapshot`), plus `/api/snapshot` as JSON. Listens on 127.0.0.1 unless `host` says
 * otherwise, and answers only requests addressed to a loopback name (or to that host), so a web
 * page elsewhere cannot read it through DNS rebinding.
 *
 * @example
 * // attach to the running app
 * const perf = await PerformanceIntegration.initialize();
 * const dashboard = await startDashboard({ collector: perf.collector, analytics: perf.analytics });
 * console.log(`dashboard: ${dashboard.url}`);
 * // or read what an agent writes: startDashboard({ dir: '.perftrack' })
 */
export async function startDashboard(options: DashboardOptions = {}): Promise<Dashboard> {
  if (options === null || typeof options !== 'object') throw new TypeError('startDashboard: options must be an object');
  checkOptionKeys(options, OPTION_KEYS, 'startDashboard');
  const { collector, analytics } = options;
  if (collector !== undefined && typeof collector?.subscribe !== 'function')
    throw new TypeError('startDashboard: collector must be a MetricsCollector');
  if (analytics !== undefined && typeof analytics?.analyze !== 'function')
    throw new TypeError('startDashboard: analytics must be an AnalyticsEngine');
  if (options.dir !== undefined && (typeof options.dir !== 'string' || options.dir === ''))
    throw new TypeError('startDashboard: dir must be a non-empty string');
  if (options.storage !== undefined && !(options.storage instanceof PerformanceStorage))
    throw new TypeError('startDashboard: storage must be a PerformanceStorage');
  if (options.dir !== undefined && options.storage !== undefined) throw new TypeError('startDashboard: give dir or storage, not both');
  const storage = options.storage ?? (options.dir !== undefined ? new PerformanceStorage({ dir: options.dir }) : undefined);
  if (collector === undefined && storage === undefined && analytics === undefined) {
    throw new TypeError('startDashboard: give a collector (to attach to this process), a dir or storage (to read), or both');
  }
  const port = int('port', options.port, 0, 0, 65535);
  const refreshMs = int('refreshMs', options.refreshMs, 500, 50, 60_000);
  const pollMs = int('pollMs', options.pollMs, 1000, 50, 3_600_000);
  const maxSessions = int('maxSessions', options.maxSessions, 200, 1, 100_000);
  const maxClients = int('maxClients', options.maxClients, 16, 1, 1000);
  if (options.host !== undefined && (typeof options.host !== 'string' || options.host.trim() === ''))
    throw new TypeError('startDashboard: host must be a non-empty string');
  const host = options.host ?? '127.0.0.1';
  const onError = options.onError;
  if (onError !== undefined && typeof onError !== 'function') throw new TypeError('startDashboard: onError must be a function');
  const diagnostics = new Diagnostics({ onError: onError && ((e: unknown) => onError(e)), onWarning: options.onWarning }, 'startDashboard');
  const fail = (e: unknown): void => diagnostics.report(e, 'dashboard', (x) => `perftrack dashboard: ${errorMessage(x)}`);
  const loopback = LOOPBACK.has(host.toLowerCase());
  if (!loopback) {
    diagnostics.warnOnce(
      'host',
      `perftrack dashboard: listening on ${host}, reachable from other machines; it has no authentication and shows tool names and error messages`,
    );
  }

  const model = new DashboardModel({
    ...(analytics ? { analytics } : {}),
    ...(options.bucketMs !== undefined ? { bucketMs: options.bucketMs } : {}),
    ...(options.buckets !== undefined ? { buckets: options.buckets } : {}),
  });
  const source: DashboardSnapshot['source'] =
    collector || !storage ? { kind: 'collector' } : { kind: 'storage', dir: describeStorage(storage, options.dir) };
  const stored = storage ? new StorageSource(openHistory({ storage }), model, maxSessions) : undefined;
  if (stored) await stored.poll(false);

  // Live records: the tool's path only enqueues; the model takes them on a later turn.
  let queue: BatchQueue<ToolExecutionMetrics, undefined> | undefined;
  let unsubscribe: (() => void) | undefined;
  if (collector) {
    queue = new BatchQueue<ToolExecutionMetrics, undefined>({
      handle: (m) => model.add(m, true),
      overflow: 'drop',
      name: 'perftrack dashboard',
      onError: (e) => fail(e),
      onWarning: (message) => diagnostics.warnOnce('drop', message),
    });
    const q = queue;
    unsubscribe = collector.subscribe({ onMetric: (m) => q.push(m, undefined) });
  }

  const snapshot = (): DashboardSnapshot => {
    queue?.drain();
    const c = collector?.stats();
    return model.snapshot(source, {
      collectorDropped: c ? c.dropped : null,
      sampledOut: c ? c.sampledOut : null,
      dashboardDropped: queue ? queue.stats().dropped : 0,
      corruptLines: stored?.corruptLines ?? 0,
    });
  };

  const clients = new Set<ServerResponse>();
  const send = (res: ServerResponse, event: string, data: unknown): void => {
    if (res.writableLength > MAX_BUFFERED) {
      res.destroy(); // a page that stopped reading
      clients.delete(res);
      return;
    }
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };

  let lastVersion = -1;
  let lastPush = 0;
  let lastPoll = 0;
  const push = (force: boolean): void => {
    queue?.drain();
    const pending = model.takePending();
    if (clients.size === 0) return;
    const now = Date.now();
    // a refresh when records arrived, and at least every 2 s so the charts' time axis moves on
    if (!force && model.version === lastVersion && now - lastPush < 2000) return;
    lastVersion = model.version;
    lastPush = now;
    const snap = snapshot();
    for (const res of [...clients]) {
      if (pending.records.length > 0 || pending.omitted > 0) send(res, 'records', pending);
      send(res, 'snapshot', snap);
    }
  };

  let ticking = false;
  const tick = async (): Promise<void> => {
    if (ticking) return;
    ticking = true;
    try {
      if (stored && !collector && Date.now() - lastPoll >= pollMs) {
        lastPoll = Date.now();
        await stored.poll(true);
      }
      push(false);
    } catch (e) {
      fail(e);
    } finally {
      ticking = false;
    }
  };
  const timer = setInterval(() => void tick(), refreshMs);
  timer.unref();
  const heartbeat = setInterval(() => {
    for (const res of clients) res.write(': ping\n\n');
  }, HEARTBEAT_MS);
  heartbeat.unref();

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-store');
    const name = hostName(req.headers.host ?? '');
    const hostAllowed = LOOPBACK.has(name) || (!loopback && (host === '0.0.0.0' || host === '::' || name === hostName(host)));
    if (!hostAllowed) {
      res
        .writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' })
        .end('perftrack dashboard: requests must be addressed to 127.0.0.1 or localhost\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/' || path === '/index.html') {
      const nonce = randomBytes(16).toString('base64');
      res.writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Security-Policy': pageCsp(nonce),
        'X-Frame-Options': 'DENY',
      });
      res.end(req.method === 'HEAD' ? undefined : renderPage(nonce));
    } else if (path === '/api/snapshot') {
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end(req.method === 'HEAD' ? undefined : JSON.stringify(snapshot()));
    } else if (path === '/events') {
      if (clients.size >= maxClients) {
        res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '5' }).end('too many dashboard pages open\n');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
      res.write('retry: 1000\n\n');
      clients.add(res);
      req.socket.setNoDelay(true);
      res.on('close', () => clients.delete(res));
      res.on('error', () => clients.delete(res));
      send(res, 'snapshot', snapshot());
    } else if (path === '/favicon.ico') {
      res.writeHead(204).end();
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
    }
  };

  const server: Server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (e) {
      fail(e);
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    }
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    clearInterval(timer);
    clearInterval(heartbeat);
    unsubscribe?.();
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(
      `perftrack dashboard: cannot listen on ${host}:${port}${code === 'EADDRINUSE' ? ' (port already in use)' : code ? ` (${code})` : ''}`,
      { cause: e },
    );
  }
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : urlHost}:${address.port}/`;

  let closing: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    host,
    model,
    snapshot,
    get clients() {
      return clients.size;
    },
    async refresh() {
      if (stored && !collector) {
        lastPoll = Date.now();
        await stored.poll(true);
      }
      push(true);
    },
    close() {
      return (closing ??= (async () => {
        clearInterval(timer);
        clearInterval(heartbeat);
        unsubscribe?.();
        queue?.clear();
        for (const res of clients) res.end();
        clients.clear();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })());
    },
  };
}

function describeStorage(storage: PerformanceStorage, dir: string | undefined): string {
  if (dir !== undefined) return dir;
  const adapter = storage.adapter as { dir?: unknown };
  return typeof adapter.dir === 'string' ? adapter.dir : storage.adapter.constructor.name;
}
