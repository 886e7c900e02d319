type Fn<in out T = unknown> = (x: T) => T;
function pipe<T>(...fns: Array<Fn<T>>): Fn<T> {
  return (x: T): T => fns.reduce((acc: T, fn: Fn<T>) => fn(acc), x);
}
const lessThan = <T extends number,>(a: T, b: T): boolean => a < b;
const r = pipe<number>((x) => x + 1, (x) => x * 3)(2);
export default [r, lessThan(1, 2), lessThan<number>(3, 2)];
