/**
 * A Map that holds at most `capacity` entries: setting a new key when full forgets the oldest
 * one set. For per-process memos of facts that never change (a tenant's hashed shard, a
 * statement's prepared name, a workflow's project), so a process serving many keys stays bounded.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(readonly capacity: number) {
    super();
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, not ${capacity}`);
  }

  override set(key: K, value: V): this {
    if (!this.has(key) && this.size >= this.capacity) {
      const oldest = this.keys().next();
      if (oldest.done !== true) this.delete(oldest.value);
    }
    return super.set(key, value);
  }
}
