class Stack<T> {
  protected items: T[] = [];
  push(item: T): this { this.items.push(item); return this; }
  pop(): T | undefined { return this.items.pop(); }
  get size(): number { return this.items.length; }
}
class NumberStack extends Stack<number> {
  sum(): number { return this.items.reduce((a: number, b: number) => a + b, 0); }
}
const s = new NumberStack().push(1).push(2).push(3);
export default [s.sum(), s.pop(), s.size];
