/**
 * zlib settings shared by the packed formats (doc-packing.ts, event-packing.ts): every record
 * and event is deflated on its own, with a preset dictionary, into a few hundred bytes.
 *
 * `chunkSize` matters more than it looks. zlib's one-shot functions allocate an output buffer of
 * `chunkSize` bytes per call (16 KiB by default) and return a view into it, so each packed event
 * left 16 KiB behind. Buffers of 4 KiB and more are not taken from Node's pool but allocated one
 * by one outside V8's heap, and freed only when a garbage collection finds them: placing 10,000
 * instances (60,000 events) went through ~1 GB of them, and the controller's resident memory
 * carried a few hundred MB of that garbage and of the fragmentation it left in malloc's arenas.
 * Below 4 KiB the output comes from Node's buffer pool; a record longer than a chunk is simply
 * produced in several (the bytes are the same either way).
 */
import type { ZlibOptions } from 'node:zlib';

/** Output chunk of the one-shot calls: a packed record fits in one or two, and sixteen share one of Node's 8 KiB pool slabs. */
const CHUNK_BYTES = 512;

/** The deflate settings of a packed format with dictionary `dictionary` (frozen with the format). */
export function deflateOptions(dictionary: Buffer): ZlibOptions {
  return { dictionary, windowBits: 12, memLevel: 5, level: 6, chunkSize: CHUNK_BYTES };
}

/** The inflate settings matching `deflateOptions(dictionary)`. */
export function inflateOptions(dictionary: Buffer): ZlibOptions {
  return { dictionary, windowBits: 12, chunkSize: CHUNK_BYTES };
}
