/**
 * The parent side of a worker process started with child_process.fork (grid runs, parallel training):
 * the worker exits when its parent is gone (killed, or done with it), and a reply that finds the
 * channel closed ends the worker quietly instead of crashing it with EPIPE.
 */
export function parentChannel(what: string): (message: unknown) => void {
  if (!process.send) throw new Error(`${what} must be started by its parent process (child_process.fork)`);
  process.on("disconnect", () => process.exit(0));
  return (message) => {
    if (!process.connected) process.exit(0);
    process.send!(message, undefined, undefined, (err) => {
      if (err) process.exit(0);
    });
  };
}
