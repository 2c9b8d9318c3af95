/**
 * A first-in first-out ring of at most `capacity` items. Internal to this
 * module: the topic history is its only user.
 *
 * Storage grows by doubling up to the capacity rather than being allocated
 * whole up front, because most topics of a large graph hold far fewer
 * items than the configured bound.
 */
export class Ring<T> {
  /** Most items held; pushing onto a full ring evicts the oldest. */
  readonly capacity: number;
  /** Storage; `#slots.length` only grows, up to `capacity`. */
  #slots: (T | undefined)[] = [];
  /** Index in `#slots` of the oldest item; meaningful when non-empty. */
  #start = 0;
  #length = 0;

  /** `capacity` must be a non-negative integer; 0 makes a ring that holds nothing. */
  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) {
      throw new RangeError(
        `ring capacity must be a non-negative integer, got ${capacity}`,
      );
    }
    this.capacity = capacity;
  }

  /** Items held. */
  get length(): number {
    return this.#length;
  }

  /**
   * Appends `item` as the newest. Returns the item evicted to make room, if
   * the ring was full; with capacity 0 that is `item` itself.
   */
  push(item: T): T | undefined {
    if (this.capacity === 0) return item;
    if (this.#length === this.#slots.length) {
      if (this.#length === this.capacity) {
        const evicted = this.shift();
        this.#put(item);
        return evicted;
      }
      this.#grow();
    }
    this.#put(item);
    return undefined;
  }

  /** Removes and returns the oldest item. */
  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const item = this.#slots[this.#start];
    // Cleared so that evicted payloads can be collected.
    this.#slots[this.#start] = undefined;
    this.#start = (this.#start + 1) % this.#slots.length;
    this.#length--;
    return item;
  }

  /** The `i`th item, 0 being the oldest; undefined outside the ring. */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.#length) return undefined;
    return this.#slots[(this.#start + i) % this.#slots.length];
  }

  /** Drops every item and releases the storage. */
  clear(): void {
    this.#slots = [];
    this.#start = 0;
    this.#length = 0;
  }

  #put(item: T): void {
    this.#slots[(this.#start + this.#length) % this.#slots.length] = item;
    this.#length++;
  }

  /** Doubles the storage (at least 8, at most capacity), oldest first. */
  #grow(): void {
    const size = Math.min(this.capacity, Math.max(8, this.#slots.length * 2));
    const slots = new Array<T | undefined>(size);
    for (let i = 0; i < this.#length; i++) slots[i] = this.at(i);
    this.#slots = slots;
    this.#start = 0;
  }
}
