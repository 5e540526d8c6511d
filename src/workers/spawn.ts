/**
 * Starting a worker in browsers (module Web Worker) and Node (`worker_threads`), with one way to
 * hear about its death and to keep it from holding a Node process open while idle.
 */
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { WorkerError } from '../core/errors.js';
import { detectEnvironment, requireNodeBuiltin } from '../core/env.js';
import { defaultWorkerUrl } from './worker-url.js';
import type { WorkerKind } from './protocol.js';

/** A started worker. */
export interface SpawnedWorker {
  kind: WorkerKind;
  endpoint: Comlink.Endpoint;
  /** Rejects (with a {@link WorkerError}) when the worker dies: crash, exit, load failure, terminate. */
  dead: Promise<never>;
  /** Whether `dead` has rejected. */
  readonly isDead: boolean;
  /**
   * Calls `listener` with the death's error when the worker dies (at once if it is dead); returns
   * the function that unsubscribes it. Unlike `dead.then`, nothing stays attached after a call
   * unsubscribes, so per-call listeners do not accumulate on a long-lived worker.
   */
  onDead(listener: (e: Error) => void): () => void;
  /** Kills the worker now; `dead` rejects with `why`. */
  terminate(why: string): Promise<void>;
  /** Node: keep the process alive (a call is pending) or not (idle). No-op in browsers. */
  hold(on: boolean): void;
  /** The underlying `Worker` (browser) or `worker_threads.Worker` (Node). */
  raw: unknown;
}

/**
 * Starts `url` as a worker: a module Web Worker in browsers, a `worker_threads` worker in Node.
 * Starts unheld (an idle worker does not keep Node running).
 *
 * @example
 * ```ts
 * const w = spawnWorker(new URL('./worker.js', import.meta.url));
 * const remote = Comlink.wrap<Pix2PixWorkerApi>(w.endpoint);
 * ```
 */
export function spawnWorker(url?: string | URL): SpawnedWorker {
  let rejectDead!: (e: Error) => void;
  let isDead = false;
  let deathError: Error | undefined;
  const listeners = new Set<(e: Error) => void>();
  const dead = new Promise<never>((_, reject) => {
    rejectDead = reject;
  });
  dead.catch(() => undefined); // may never be observed; never an unhandled rejection
  const die = (e: Error) => {
    if (isDead) return;
    isDead = true;
    deathError = e;
    rejectDead(e);
    for (const l of [...listeners]) l(e);
    listeners.clear();
  };
  const onDead = (listener: (e: Error) => void): (() => void) => {
    if (isDead) {
      listener(deathError!);
      return () => undefined;
    }
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  if (detectEnvironment() === 'node') {
    const href = String(url ?? defaultWorkerUrl());
    const wt = requireNodeBuiltin('node:worker_threads', 'Starting a worker in Node');
    const target =
      /^[a-z][a-z0-9+.-]*:/i.test(href) && !/^[a-z]:[\\/]/i.test(href) ? new URL(href) : href;
    let lastError: Error | undefined;
    const w = new wt.Worker(target as URL | string);
    w.unref();
    w.on('error', (e: Error) => {
      lastError = e;
      const loadFailure =
        (e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' ||
        /Cannot find module/.test(e.message);
      die(
        new WorkerError(
          loadFailure
            ? `The pix2pix worker script could not be loaded from ${href}: ${e.message}. Build it (npm run build writes dist/worker.node.js) or pass its location as the "workerUrl" option.`
            : `The pix2pix worker crashed with an uncaught ${e.name}: ${e.message}. Pending calls were rejected; call restart() or create a new model.`,
          { cause: e },
        ),
      );
    });
    w.on('messageerror', (e: Error) =>
      die(
        new WorkerError(
          `A message from the pix2pix worker could not be deserialised: ${e.message}.`,
          { cause: e },
        ),
      ),
    );
    let exited = false;
    w.on('exit', (code: number) => {
      exited = true;
      die(
        new WorkerError(
          `The pix2pix worker exited (exit code ${code})${lastError ? ` after ${lastError.name}: ${lastError.message}` : ''} while calls could still be pending; they were rejected. Call restart() or create a new model.`,
        ),
      );
    });
    return {
      kind: 'worker_threads',
      endpoint: nodeEndpoint(w as never),
      dead,
      get isDead() {
        return isDead;
      },
      onDead,
      async terminate(why) {
        die(new WorkerError(why));
        if (exited) return;
        // A worker being terminated no longer keeps Node's event loop alive (ref() or not), so a
        // caller awaiting this (restart(), then the rest of its program) saw the process end
        // silently, exit code 0 or 13: a timer holds the loop until the worker's exit.
        const hold = setInterval(() => undefined, 1 << 30);
        try {
          await w.terminate();
        } finally {
          clearInterval(hold);
        }
      },
      hold(on) {
        if (on) w.ref();
        else w.unref();
      },
      raw: w,
    };
  }

  const href = url === undefined ? 'worker.js (beside the pix2pix-ts bundle)' : String(url);
  if (typeof Worker !== 'function')
    throw new WorkerError(
      'This environment has no Worker; create the model without { worker: true }.',
    );
  let w: Worker;
  try {
    // The default as one literal expression: the pattern vite, webpack 5, rollup and parcel
    // recognise, so they bundle the worker script and its wasm files as the app's own.
    w =
      url === undefined
        ? new Worker(new URL('./worker.js', import.meta.url), {
            type: 'module',
            name: 'pix2pix-ts',
          })
        : new Worker(url, { type: 'module', name: 'pix2pix-ts' });
  } catch (cause) {
    // Module workers must be same-origin: a script from another origin (a CDN) starts through a
    // same-origin blob that imports it (the CDN must send CORS headers, as jsDelivr and unpkg do).
    const target = crossOriginScript(url);
    try {
      if (!target) throw cause;
      const blob = URL.createObjectURL(
        new Blob([`import ${JSON.stringify(target)};`], { type: 'text/javascript' }),
      );
      dead.catch(() => URL.revokeObjectURL(blob));
      w = new Worker(blob, { type: 'module', name: 'pix2pix-ts' });
    } catch {
      throw new WorkerError(
        `Could not start the pix2pix worker from ${href}: ${(cause as Error).message}. Check the "workerUrl" option (module workers must be same-origin, or from a host that sends CORS headers).`,
        { cause },
      );
    }
  }
  // A Web Worker reports an uncaught error or a failed script load only as an "error" event; the
  // model's state is then unknown, so the worker is treated as dead and closed.
  w.addEventListener('error', (ev: ErrorEvent) => {
    ev.preventDefault?.();
    const detail = ev.message
      ? `an uncaught error: ${ev.message}`
      : `an error loading or running ${href} (check the "workerUrl" option and the browser console)`;
    die(
      new WorkerError(
        `The pix2pix worker stopped after ${detail}. Pending calls were rejected; call restart() or create a new model.`,
      ),
    );
    w.terminate();
  });
  w.addEventListener('messageerror', () =>
    die(new WorkerError('A message from the pix2pix worker could not be deserialised.')),
  );
  return {
    kind: 'web-worker',
    endpoint: w as unknown as Comlink.Endpoint,
    dead,
    get isDead() {
      return isDead;
    },
    onDead,
    async terminate(why) {
      die(new WorkerError(why));
      w.terminate();
    },
    hold() {},
    raw: w,
  };
}

/**
 * The absolute URL of the worker script when it is on another origin than the page (the library
 * loaded from a CDN), else undefined. Not a literal `new URL('./worker.js', import.meta.url)`, so
 * that bundlers do not emit worker.js a second time as a plain asset.
 */
function crossOriginScript(url: string | URL | undefined): string | undefined {
  const here = (globalThis as { location?: { href: string; origin: string } }).location;
  if (!here) return undefined;
  try {
    const target =
      url === undefined
        ? new URL('worker.js', String(import.meta.url))
        : new URL(String(url), here.href);
    return /^https?:$/.test(target.protocol) && target.origin !== here.origin
      ? target.href
      : undefined;
  } catch {
    return undefined;
  }
}
