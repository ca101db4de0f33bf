import { createRng } from '../wifi-bench-sim/rng.js';
import { hash32 } from './chips.js';

/** Sequence numbers are taken in blocks of this many; each block loses its share of `loss`. */
export const LOSS_BLOCK = 20;

/**
 * Which UDP sequence numbers are lost, a pure function of (seed, loss, seq). Block b (sequence numbers
 * 20b..20b+19) loses floor(20(b+1)·loss + φ) − floor(20b·loss + φ) datagrams (φ in [0,1) from the seed), at
 * positions shuffled by the seed: from sequence 0 on, the count is within one datagram of loss × count at block boundaries
 * (two in between),
 * and the pattern looks random.
 */
export class LossPattern {
  private readonly phase: number;
  private cachedBlock = -1;
  private cachedLost = new Set<number>();

  constructor(
    private readonly seed: number,
    readonly loss: number,
  ) {
    this.phase = createRng(hash32(`loss-phase|${seed}`))();
  }

  isLost(seq: number): boolean {
    if (this.loss <= 0) return false;
    if (this.loss >= 1) return true;
    const block = Math.floor(seq / LOSS_BLOCK);
    if (block !== this.cachedBlock) {
      this.cachedBlock = block;
      this.cachedLost = this.lostInBlock(block);
    }
    return this.cachedLost.has(seq - block * LOSS_BLOCK);
  }

  private lostInBlock(block: number): Set<number> {
    const count =
      Math.floor(LOSS_BLOCK * (block + 1) * this.loss + this.phase) - Math.floor(LOSS_BLOCK * block * this.loss + this.phase);
    const rng = createRng(hash32(`loss|${this.seed}|${block}`));
    const positions = Array.from({ length: LOSS_BLOCK }, (_, i) => i);
    for (let i = positions.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [positions[i], positions[j]] = [positions[j] as number, positions[i] as number];
    }
    return new Set(positions.slice(0, count));
  }
}
