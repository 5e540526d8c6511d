/**
 * Comlink set-up shared by both sides of the worker boundary: errors keep their class and `code`
 * (comlink alone carries only name/message/stack), abort signals become cancel ports, and helpers
 * to report progress and to yield to the event loop at step boundaries.
 */
import * as Comlink from 'comlink';
import {
  AbortError,
  serializeError,
  deserializeError,
  type SerializedError,
} from '../core/errors.js';
import type { CallHooks, WorkProgress } from './protocol.js';
import { nodeBuiltin } from '../core/env.js';

let installed = false;

/**
 * Replaces comlink's `throw` transfer handler with one that sends {@link serializeError}'s form and
 * rebuilds the library's error classes on the other side. Idempotent; both sides must call it.
 * comlink is bundled into pix2pix-ts's dist, so this does not touch an application's own comlink.
 *
 * @example
 * ```ts
 * installErrorTransfer();
 * const remote = Comlink.wrap<Pix2PixWorkerApi>(endpoint);
 * ```
 */
export function installErrorTransfer(): void {
  if (installed) return;
  installed = true;
  const original = Comlink.transferHandlers.get('throw')!;
  Comlink.transferHandlers.set('throw', {
    canHandle: original.canHandle,
    serialize: ({ value }: { value: unknown }) => [{ error: serializeError(value) }, []],
    deserialize: (s: { error: SerializedError }) => {
      throw deserializeError(s.error);
    },
  } as Comlink.TransferHandler<unknown, unknown>);
}

/**
 * Main side: a cancel port for `signal` (undefined without a signal). `close()` releases both
 * ports once the call has settled, so nothing keeps Node's event loop alive.
 *
 * @example
 * ```ts
 * const token = cancelToken(signal);
 * try { await remote.translateBatch(imgs, {}, Comlink.transfer({ cancel: token.port }, token.transfer)); }
 * finally { token.close(); }
 * ```
 */
export function cancelToken(signal: AbortSignal | undefined): {
  port?: MessagePort;
  transfer: Transferable[];
  close(): void;
} {
  if (!signal) return { transfer: [], close() {} };
  const { port1, port2 } = new MessageChannel();
  const onAbort = () => port1.postMessage('abort');
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) onAbort();
  return {
    port: port2,
    transfer: [port2],
    close() {
      signal.removeEventListener('abort', onAbort);
      port1.close();
    },
  };
}

/**
 * Worker side: a flag raised by the cancel port, and a progress sender that never waits for the
 * main thread except once at the end (`flush`), so the last progress event arrives before the
 * call's result.
 *
 * @example
 * ```ts
 * const call = callContext(hooks);
 * try { for (...) { await call.checkpoint(); ...; call.progress({ kind: 'translate', done, total }); } }
 * finally { await call.finish(); }
 * ```
 */
export function callContext<E = WorkProgress>(
  hooks: { onProgress?: (e: E) => unknown; cancel?: MessagePort } | CallHooks | undefined,
): {
  readonly aborted: boolean;
  /** Aborts when the cancel message arrives (for fetch and other abortable work in the worker). */
  readonly signal: AbortSignal;
  checkpoint(): Promise<void>;
  /**
   * Synchronously takes a cancel message that has reached the port but not been dispatched (Node:
   * `receiveMessageOnPort`; elsewhere only what was dispatched counts). Returns `aborted`.
   */
  poll(): boolean;
  /** Sends an event without waiting for the main thread; `transfer` lists buffers to hand over. */
  progress(p: E, transfer?: Transferable[]): void;
  /** Sends an event and waits until the main thread's callback (and its promise) is done. */
  send(p: E, transfer?: Transferable[]): Promise<void>;
  finish(): Promise<void>;
} {
  const controller = new AbortController();
  const port = hooks?.cancel;
  const onMessage = () => controller.abort(abortError());
  if (port) {
    port.addEventListener('message', onMessage);
    port.start();
  }
  const cb = hooks?.onProgress as (((e: E) => unknown) & Partial<Comlink.ProxyMethods>) | undefined;
  let last: Promise<unknown> = Promise.resolve();
  const post = (p: E, transfer?: Transferable[]): Promise<unknown> =>
    Promise.resolve(cb!(transfer?.length ? Comlink.transfer(p, transfer) : p));
  const proc = (globalThis as { process?: NodeJS.Process }).process;
  const wt = port && proc?.versions?.node ? nodeBuiltin('node:worker_threads') : undefined;
  return {
    get aborted() {
      return controller.signal.aborted;
    },
    poll() {
      if (port && wt && !controller.signal.aborted && wt.receiveMessageOnPort(port as never))
        controller.abort(abortError());
      return controller.signal.aborted;
    },
    signal: controller.signal,
    /**
     * Lets queued messages in (one macrotask turn: the cancel message, other calls, test hooks),
     * then throws AbortError if the cancel came.
     */
    async checkpoint() {
      await macrotask();
      if (controller.signal.aborted) throw abortError();
    },
    progress(p, transfer) {
      if (!cb) return;
      last = post(p, transfer).catch(() => undefined);
    },
    async send(p, transfer) {
      if (!cb) return;
      const done = post(p, transfer);
      last = done.catch(() => undefined);
      await done;
    },
    async finish() {
      if (port) {
        port.removeEventListener('message', onMessage);
        port.close();
      }
      if (cb) {
        await last;
        try {
          await cb[Comlink.releaseProxy]?.();
        } catch {
          /* the main side went away */
        }
      }
    },
  };
}

/**
 * The error a cancelled call rejects with.
 *
 * @example
 * ```ts
 * if (signal.aborted) throw abortError();
 * ```
 */
export function abortError(): AbortError {
  return new AbortError(
    'The operation was aborted through its AbortSignal; it stopped at a step boundary, so the model holds the state after the last completed step.',
  );
}

/** One event-loop turn (not a microtask), so queued port messages are delivered. */
export function macrotask(): Promise<void> {
  const si = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
  if (si) return new Promise((r) => si(r));
  return new Promise((r) => setTimeout(r, 0));
}
