const raw: unknown = JSON.parse('{"n": 5, "tags": ["a", "b"]}');
const data = raw as { n: number; tags: string[] };
const n = (data.n as number) * 2;
const t = data.tags as unknown as string[];
export default { n, t: t.join("+") };
