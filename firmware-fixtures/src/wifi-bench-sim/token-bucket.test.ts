import { describe, expect, it } from 'vitest';
import { TokenBucket, bucketCapacity } from './token-bucket.js';

describe('TokenBucket', () => {
  it('holds 4 ms of traffic, at least 4096 bytes', () => {
    expect(bucketCapacity(1_000_000)).toBe(4096);
    expect(bucketCapacity(10_000_000)).toBe(40_000);
  });

  it('starts empty and earns at the rate', () => {
    const bucket = new TokenBucket(1_000_000, 4096, 100);
    expect(bucket.tokens).toBe(0);
    bucket.refill(101, true);
    expect(bucket.tokens).toBeCloseTo(1000);
    expect(bucket.msUntil(3000)).toBeCloseTo(2);
  });

  it('caps credit earned while the peer was the bottleneck, but never credit already held', () => {
    const bucket = new TokenBucket(1_000_000, 4096, 0);
    bucket.refill(50, true);
    expect(bucket.tokens).toBe(4096);
    bucket.refill(60, false);
    expect(bucket.tokens).toBeCloseTo(14_096);
    bucket.refill(61, true);
    expect(bucket.tokens).toBeCloseTo(14_096);
  });

  it('credits the first graceMs of a capped wait in full, and caps the rest', () => {
    const bucket = new TokenBucket(1_000_000, 4096, 0);
    bucket.refill(50, true, 100);
    expect(bucket.tokens).toBeCloseTo(50_000);
    bucket.refill(400, true, 100);
    expect(bucket.tokens).toBeCloseTo(150_000);
    bucket.refill(1000, true, 0);
    expect(bucket.tokens).toBeCloseTo(150_000);
    bucket.refill(1010, false, 100);
    expect(bucket.tokens).toBeCloseTo(160_000);
  });

  it('keeps the long-run rate exact when its own timers fire late', () => {
    // Spend a 1024-byte chunk whenever there is budget, waking 1 ms late each time.
    const bucket = new TokenBucket(1_000_000, 4096, 0);
    let now = 0;
    let sent = 0;
    while (now < 2000) {
      bucket.refill(Math.min(now, 2000), false);
      while (bucket.tokens >= 512) {
        bucket.take(1024);
        sent += 1024;
      }
      now += bucket.msUntil(2048) + 1;
    }
    bucket.refill(2000, false);
    expect(Math.abs(sent - 2_000_000)).toBeLessThanOrEqual(1024);
  });

  it('goes negative when a read overshoots', () => {
    const bucket = new TokenBucket(1000, 4096, 0);
    bucket.take(1024);
    expect(bucket.tokens).toBe(-1024);
    expect(bucket.msUntil(0)).toBeCloseTo(1024);
  });
});
