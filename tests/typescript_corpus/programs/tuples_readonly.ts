type Entry = readonly [name: string, score: number, note?: string];
const entries: readonly Entry[] = [["a", 3], ["b", 5, "best"]];
const best = entries.reduce((m: Entry, e: Entry): Entry => (e[1] > m[1] ? e : m));
const scores: ReadonlyArray<number> = entries.map(([, s]: Entry) => s);
export default { best, scores };
