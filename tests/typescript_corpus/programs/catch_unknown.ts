function risky(n: number): number {
  if (n > 2) throw new RangeError(`too big: ${n}`);
  return n;
}
const out: string[] = [];
for (const n of [1, 3]) {
  try { out.push(String(risky(n))); }
  catch (e: unknown) { out.push(e instanceof Error ? e.message : "?"); }
}
export default out;
