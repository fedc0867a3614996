import { describe, expect, it } from 'vitest';
import { groupCommitWait } from '../src/bench/raw-limits';
import { summarize } from '../src/bench/stats';

describe('groupCommitWait (the disk floor under a durable p99)', () => {
  it('weighs each commit by how long it lasts: one long flush among quick ones sets the tail', () => {
    // Five 1 ms commits and one of 100 ms, back to back.
    const commits: Array<[number, number]> = [
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 103],
      [103, 104],
      [104, 105],
    ];
    const perCommit = summarize(commits.map(([start, end]) => end - start));
    expect(perCommit.p50Ms).toBe(1);
    const wait = groupCommitWait(commits);
    // Arrivals over [1, 104): those during the long flush wait for it and then for their own commit.
    expect(wait.p50Ms).toBeGreaterThan(45);
    expect(wait.p50Ms).toBeLessThan(55);
    expect(wait.p99Ms).toBeGreaterThan(99);
    expect(wait.maxMs).toBeLessThanOrEqual(101);
  });

  it('a write arriving between commits joins the next one to start', () => {
    const wait = groupCommitWait([
      [0, 1],
      [5, 6],
      [10, 11],
    ]);
    // From t = 1 to 10: in the gap [1, 5) it waits for commit 2's end at 6, inside [5, 6) for commit 3's at 11.
    expect(wait.maxMs).toBeCloseTo(6, 1);
    expect(wait.count).toBeGreaterThan(800);
  });
});
