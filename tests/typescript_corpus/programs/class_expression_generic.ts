const Holder = class<T> implements Iterable<T> {
  constructor(public_items: T[]) { this.items = public_items; }
  items: T[];
  *[Symbol.iterator](): Iterator<T> { yield* this.items; }
};
export default [...new Holder<number>([4, 5, 6])];
