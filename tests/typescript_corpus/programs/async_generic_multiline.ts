const wrap = async <
    T
>(v: T): Promise<T[]> => [v, v];
async function main(): Promise<number[]> {
  const a = await wrap<number>(3);
  const b: number[] = await Promise.all([1, 2].map(async (x: number): Promise<number> => x * 10));
  return [...a, ...b];
}
export default await main();
