/**
 * The writes of one turn leave a stream in one writev (src/common/turn-cork.ts), with a real
 * Node Writable recording how its sink is called, and over a real TCP socket pair: a burst of
 * SSE-sized frames arrives whole, and a lone write in a later turn still goes out.
 */
import net from 'node:net';
import { Writable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { turnCork } from '../../src/common/turn-cork.ts';

function recordingSink(): { stream: Writable; calls: string[][] } {
  const calls: string[][] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      calls.push([chunk.toString()]);
      done();
    },
    writev(chunks, done) {
      calls.push(chunks.map(({ chunk }) => String(chunk)));
      done();
    },
  });
  return { stream, calls };
}

describe('turnCork', () => {
  it('sends the writes of one turn in one writev, and a later lone write on its own', async () => {
    const { stream, calls } = recordingSink();
    const cork = turnCork(stream);
    for (const text of ['a', 'b', 'c']) {
      cork();
      stream.write(text);
    }
    expect(calls).toEqual([]);
    await nextTurn();
    expect(calls).toEqual([['a', 'b', 'c']]);
    cork();
    stream.write('d');
    await nextTurn();
    expect(calls).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('loses nothing when the stream is ended while corked', async () => {
    const { stream, calls } = recordingSink();
    const cork = turnCork(stream);
    cork();
    stream.write('x');
    cork();
    stream.end('y');
    await new Promise((resolve) => stream.once('finish', resolve));
    await nextTurn();
    expect(calls.flat()).toEqual(['x', 'y']);
  });

  it('over TCP: a burst of frames arrives complete and in order', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    const peer = await accepted;
    let received = '';
    client.on('data', (chunk) => { received += chunk.toString(); });
    const cork = turnCork(peer);
    const frames = Array.from({ length: 50 }, (_, i) => `id: ${i}\ndata: {"n":${i}}\n\n`);
    for (const frame of frames) {
      cork();
      peer.write(frame);
    }
    const expected = frames.join('');
    for (let i = 0; i < 200 && received.length < expected.length; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(received).toBe(expected);
    client.destroy();
    peer.destroy();
    server.close();
  });
});
