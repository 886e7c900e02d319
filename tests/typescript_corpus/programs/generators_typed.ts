function* range(start: number, end: number, step: number = 1): Generator<number, void, unknown> {
  for (let i = start; i < end; i += step) yield i;
}
async function* ticks(n: number): AsyncGenerator<string> {
  for (let i = 0; i < n; i++) yield `t${i}`;
}
const collected: string[] = [];
for await (const t of ticks(3)) collected.push(t);
export default { r: [...range(0, 10, 3)], collected };
