declare const injected: number;
declare function helper(x: number): number;
declare class Ghost { x: number }
declare enum Dir { Up, Down }
declare global { interface Window { custom: string } }
declare module "some-module" { export const v: number; }
const real = 3;
export default real * 2;
