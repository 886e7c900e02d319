function make<T>(x: T): T[] { return [x]; }
const makeString = make<string>;
const sets = [new Set<number>([1, 1, 2]).size, new Map<string, string>([["a", "b"]]).get("a")];
export default [makeString("s"), ...sets];
