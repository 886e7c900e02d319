function isString(x: unknown): x is string { return typeof x === "string"; }
function assertNumber(x: unknown): asserts x is number {
  if (typeof x !== "number") throw new Error("not a number");
}
const mixed: unknown[] = [1, "a", 2, "b"];
const strings = mixed.filter(isString);
const v: unknown = 41;
assertNumber(v);
export default { strings, next: v + 1 };
