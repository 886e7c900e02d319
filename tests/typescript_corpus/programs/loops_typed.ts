const grid: number[][] = [[1, 2], [3, 4]];
let sum: number = 0;
for (let i: number = 0; i < grid.length; i++) {
  for (const v of grid[i] as number[]) sum += v;
}
const counts: { [k: string]: number } = {};
for (const w of "a b a c a".split(" ")) counts[w] = (counts[w] ?? 0) + 1;
export default { sum, counts };
