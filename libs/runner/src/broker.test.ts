import { EventEmitter } from 'node:events';
import type { ConnectionSummary, Endpoint } from '@espbench/traffic';
import { describe, expect, it } from 'vitest';
import { ConnectionBroker, type MeteredConnectionLike } from './broker.js';
import { EventQueue } from './event-queue.js';

let nextId = 1;
function conn(endpoint: Endpoint, remoteAddress: string, acceptedAt = Date.now()): MeteredConnectionLike {
  const e = new EventEmitter();
  return {
    id: nextId++,
    endpoint,
    remoteAddress,
    acceptedAt,
    closed: new Promise<ConnectionSummary>(() => {}),
    snapshot: () => {
      throw new Error('unused');
    },
    estimateUntil: () => {
      throw new Error('unused');
    },
    on: (event, l) => e.on(event, l),
    off: (event, l) => e.off(event, l),
  };
}

describe('ConnectionBroker', () => {
  it('hands a connection to the board whose IP it comes from, once', async () => {
    const server = new EventEmitter();
    const broker = new ConnectionBroker(server as never);
    const since = Date.now() - 10;
    const a = broker.claim('download', '127.0.0.2', since, 1000);
    const b = broker.claim('download', '127.0.0.3', since, 1000);
    const fromB = conn('download', '127.0.0.3');
    const fromA = conn('download', '127.0.0.2');
    server.emit('connection', fromB);
    server.emit('connection', fromA);
    expect(await a).toBe(fromA);
    expect(await b).toBe(fromB);
    broker.dispose();
  });

  it('keeps a connection that arrived before the claim, but not an older one or another endpoint', async () => {
    const server = new EventEmitter();
    const broker = new ConnectionBroker(server as never);
    const now = Date.now();
    server.emit('connection', conn('download', '127.0.0.2', now - 5000));
    server.emit('connection', conn('upload', '127.0.0.2', now));
    const early = conn('download', '127.0.0.2', now);
    server.emit('connection', early);
    expect(await broker.claim('download', '127.0.0.2', now - 1000, 100)).toBe(early);
    expect(await broker.claim('download', '127.0.0.2', now - 1000, 50)).toBeNull();
    broker.dispose();
  });

  it('gives a board with a known IP priority over one still learning its IP', async () => {
    const server = new EventEmitter();
    const broker = new ConnectionBroker(server as never);
    const since = Date.now() - 10;
    const unknown = broker.claim('echo', null, since, 200);
    const known = broker.claim('echo', '127.0.0.9', since, 1000);
    const c = conn('echo', '127.0.0.9');
    server.emit('connection', c);
    expect(await known).toBe(c);
    expect(await unknown).toBeNull();
    broker.dispose();
  });

  it('cancels a claim on abort so it cannot steal a later connection', async () => {
    const server = new EventEmitter();
    const broker = new ConnectionBroker(server as never);
    const ac = new AbortController();
    const claim = broker.claim('upload', null, 0, 10_000, ac.signal);
    ac.abort();
    expect(await claim).toBeNull();
    const c = conn('upload', '127.0.0.2');
    server.emit('connection', c);
    expect(await broker.claim('upload', null, 0, 100)).toBe(c);
    broker.dispose();
  });
});

describe('EventQueue', () => {
  it('delivers in order, times out, and reports close', async () => {
    const q = new EventQueue<{ type: string }>();
    q.push({ type: 'a' });
    expect(await q.next(Date.now() + 10)).toEqual({ type: 'a' });
    expect(await q.next(Date.now() + 20)).toEqual({ kind: 'timeout' });
    setTimeout(() => q.push({ type: 'b' }), 5);
    expect(await q.next(Date.now() + 1000)).toEqual({ type: 'b' });
    q.close('unplugged');
    expect(await q.next(Date.now() + 1000)).toEqual({ kind: 'closed', reason: 'unplugged' });
  });

  it('stops waiting on abort and bounds unread items', async () => {
    const q = new EventQueue<{ type: string }>(3);
    for (const type of ['1', '2', '3', '4', '5']) q.push({ type });
    expect(q.dropped).toBe(2);
    expect(await q.next(0)).toEqual({ type: '3' });
    const empty = new EventQueue<{ type: string }>();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 5);
    expect(await empty.next(Date.now() + 5000, ac.signal)).toEqual({ kind: 'aborted' });
  });
});
