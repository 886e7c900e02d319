type Result = { ok: boolean; items: readonly number[] };
const result: Result = { ok: true, items: [3, 1, 2].sort((p: number, q: number) => p - q) };
export default result as Result;
