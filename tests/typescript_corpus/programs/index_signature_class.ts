class Bag {
  [key: string]: unknown;
  count: number = 0;
  add(k: string, v: unknown): void { this[k] = v; this.count++; }
}
const bag = new Bag();
bag.add("x", 1);
bag.add("y", "two");
export default { count: bag.count, x: bag["x"], y: bag["y"] };
