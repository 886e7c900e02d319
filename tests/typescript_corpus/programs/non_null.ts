const m = new Map<string, number[]>();
m.set("a", [1, 2, 3]);
const total = m.get("a")!.reduce((s, v) => s + v, 0);
const obj: { deep?: { value?: number } } = { deep: { value: 9 } };
export default [total, obj.deep!.value!, obj!.deep?.value];
