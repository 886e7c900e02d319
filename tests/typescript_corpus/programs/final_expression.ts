interface Sum { total: number }
const s: Sum = { total: [1, 2, 3, 4].reduce((a: number, b: number): number => a + b) };
export default s.total satisfies number;
