const util = {
  wrap<T>(x: T): { value: T } { return { value: x }; },
  twice(n: number): number { return n * 2; },
  async later(ms?: number): Promise<string> { return `after ${ms ?? 0}`; },
};
export default [util.wrap<string>("w"), util.twice(4), await util.later(5)];
