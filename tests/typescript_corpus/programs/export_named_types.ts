export type Id = number;
export interface Item { id: Id; name: string }
export const items: Item[] = [{ id: 1, name: "one" }];
export function names(list: Item[]): string[] { return list.map((i: Item) => i.name); }
export { type Id as Identifier };
export default names(items);
