/**
 * Ctrl-C and SIGTERM for a command that runs until it is stopped (`kit dashboard`): stopping it is its
 * normal end, not an interruption. bin/run.js (and git-shell.ts, when kit runs some other way) handle
 * both signals from kit's first moment by reaping the git shells and exiting 128 + the signal's number;
 * while a handler is registered here they call it instead, and the command closes what it opened, returns,
 * and kit exits as after any command (the shells are reaped there). Their listeners fire once: a second
 * Ctrl-C finds none and ends the process at once, as a user who presses it twice expects.
 */
const STOP_HANDLER = Symbol.for('kit.stopHandler');

type Store = Record<symbol, ((signal: NodeJS.Signals) => void) | undefined>;

/** Makes the first SIGINT or SIGTERM call `handler` instead of ending kit; returns the undo. */
export function onStopSignal(handler: (signal: NodeJS.Signals) => void): () => void {
  const store = globalThis as unknown as Store;
  store[STOP_HANDLER] = handler;
  return () => {
    if (store[STOP_HANDLER] === handler) store[STOP_HANDLER] = undefined;
  };
}

/** The registered handler, called for a signal; false when there is none (then the caller ends kit). */
export function deliverStopSignal(signal: NodeJS.Signals): boolean {
  const handler = (globalThis as unknown as Store)[STOP_HANDLER];
  if (!handler) return false;
  handler(signal);
  return true;
}
