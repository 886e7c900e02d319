const values = [1, "2", 3] as (number | string)[];
const nums = values.map(v => Number(v) as number);
const total = (nums.reduce((a, b) => a + b, 0) as number) / 2;
const obj = { a: 1 } as Record<string, number>;
obj["b"] = (obj.a as number) + 1;
const flag = (values.length > 2) as boolean ? "many" : "few";
export default { nums, total, obj, flag };
