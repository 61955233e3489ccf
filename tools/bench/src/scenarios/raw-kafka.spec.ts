import { countReceived } from './raw-kafka';

describe('countReceived', () => {
  it('resolves once the given number more than were received have arrived, not before', async () => {
    const received = countReceived();
    received.onBatch([1, 2]);
    let done = false;
    const next = received.next(3).then(() => (done = true));
    received.onBatch([3, 4]);
    await Promise.resolve();
    expect(done).toBe(false);
    received.onBatch([5]);
    await next;
    expect(done).toBe(true);
  });
});
