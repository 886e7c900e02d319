const { a, b: [c, d] }: { a: number; b: [string, boolean] } = { a: 1, b: ["two", true] };
function sum({ x, y = 10 }: { x: number; y?: number }): number { return x + y; }
const [head, ...rest]: number[] = [5, 6, 7];
export default { a, c, d, s1: sum({ x: 1 }), s2: sum({ x: 1, y: 2 }), head, rest };
