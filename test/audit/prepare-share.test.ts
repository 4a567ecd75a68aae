import { describe, expect, it } from 'vitest';
import { PrepareShare, type Utilisation } from '../../src/audit/prepare-share.ts';

/** Two threads whose cumulative event-loop times grow by the given busy fractions each 100 ms. */
function threads() {
  const main: Utilisation = { idle: 0, active: 0 };
  const writer: Utilisation = { idle: 0, active: 0 };
  const share = new PrepareShare(() => ({ ...main }));
  let now = 0;
  return {
    share,
    tick(mainBusy: number, writerBusy: number) {
      now += 100;
      main.active += 100 * mainBusy;
      main.idle += 100 * (1 - mainBusy);
      writer.active += 100 * writerBusy;
      writer.idle += 100 * (1 - writerBusy);
      share.observe({ ...writer }, now);
    },
  };
}

const prepareHere = (share: PrepareShare, n: number) => Array.from({ length: n }, () => share.here()).filter(Boolean).length;

describe('PrepareShare', () => {
  it('starts with every record prepared in the writer thread', () => {
    const { share } = threads();
    expect(prepareHere(share, 100)).toBe(0);
  });

  it('moves records to the main thread while the writer is the busier one, up to all of them', () => {
    const { share, tick } = threads();
    tick(0.2, 1);
    for (let i = 0; i < 5; i++) tick(0.2, 1);
    expect(share.mainShare).toBeCloseTo(0.5);
    expect(prepareHere(share, 100)).toBe(50);
    for (let i = 0; i < 20; i++) tick(0.2, 1);
    expect(share.mainShare).toBe(1);
    expect(prepareHere(share, 100)).toBe(100);
  });

  it('moves them back when the main thread becomes the busier one, down to none', () => {
    const { share, tick } = threads();
    for (let i = 0; i < 11; i++) tick(0.1, 0.9);
    expect(share.mainShare).toBe(1);
    for (let i = 0; i < 3; i++) tick(1, 0.3);
    expect(share.mainShare).toBeCloseTo(0.7);
    for (let i = 0; i < 20; i++) tick(1, 0.3);
    expect(share.mainShare).toBe(0);
  });

  it('holds still when both threads are about as busy', () => {
    const { share, tick } = threads();
    for (let i = 0; i < 4; i++) tick(0.2, 1);
    const before = share.mainShare;
    for (let i = 0; i < 10; i++) tick(0.62, 0.6);
    expect(share.mainShare).toBe(before);
  });

  it('rebalances at most every 100 ms however often the writer reports', () => {
    const main: Utilisation = { idle: 0, active: 0 };
    const share = new PrepareShare(() => ({ ...main }));
    for (let t = 0; t <= 99; t++) {
      main.idle += 1;
      share.observe({ idle: 0, active: t }, t);
    }
    // The first report is only a baseline and the next 99 come within 100 ms of it.
    expect(share.mainShare).toBe(0);
    share.observe({ idle: 0, active: 100 }, 100);
    expect(share.mainShare).toBeCloseTo(0.1);
  });
});
