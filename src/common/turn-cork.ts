/**
 * Writes of one turn of the event loop leave a stream together. Each `write` on a socket is a
 * syscall of its own (on a virtualised host, a costly one), and a busy controller writes in
 * bursts: the event bus hands a stream every event of a flush in one loop, a turn's reports
 * produce several frames to one executor. Corked until the turn ends (setImmediate), a burst
 * leaves in one writev; a lone write waits at most for the rest of its turn.
 */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

/** A function to call before each write to `stream`: the first of a turn corks it until the turn ends. */
export function turnCork(stream: Corkable): () => void {
  let corked = false;
  const release = () => {
    corked = false;
    stream.uncork();
  };
  return () => {
    if (corked) return;
    corked = true;
    stream.cork();
    setImmediate(release);
  };
}
