type Op = (a: number, b: number) => number;
const ops: Record<string, Op> = { add: (a, b) => a + b, mul: (a, b) => a * b };
let apply: (op: Op, ...xs: number[]) => number = (op, ...xs) => xs.reduce((acc, x) => op(acc, x));
const compose = <A, B, C>(f: (b: B) => C, g: (a: A) => B): ((a: A) => C) => (a: A) => f(g(a));
const inc = (x: number): number => x + 1;
export default [apply(ops.add, 1, 2, 3), apply(ops.mul, 2, 3, 4), compose(inc, (s: string) => s.length)("abcd")];
