function first<T>(items: T[]): T | undefined {
  return items[0];
}
function pair<A, B extends object = {}>(a: A, b: B): [A, B] {
  return [a, b];
}
export default [first<number>([7, 8]), first([]), pair("k", { v: 1 })];
